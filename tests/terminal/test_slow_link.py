"""The desk behind a 32 KB/s link: what is on screen stays fresh and keys are answered.

Real ptys, the real ``sor-tui demo`` process, a terminal at the far end that drains the
output at 32 KB/s and answers the app's queries in order with the bytes it drains.
"""

from __future__ import annotations

import time

import pytest

from tests.terminal.slow_link import demo_argv, newest_clock_age, slow_link

RATE = 32_000  # bytes a second: a congested VPN, a hotel or mobile connection
WARM_UP = 5.0  # seconds for start-up, the first full paint and the first prints
WATCH = 8.0  # seconds of sampling the screen's age
MAX_AGE = 2.0  # the newest print on screen is at most this far behind the wall clock
MAX_KEY = 2.0  # a tab switch shows within this


def test_clock_age_reads_the_newest_time_of_day() -> None:
    """The age helper picks the latest clock on screen, across lines."""
    now = 3600 * 12 + 30.5  # 12:00:30.500 UTC
    lines = ["x 12:00:29.000 BTC", "y 12:00:30.250 ETH", "z 11:59:59.999"]
    age = newest_clock_age(lines, now)
    assert age is not None and abs(age - 0.25) < 1e-6
    assert newest_clock_age(["no clock"], now) is None


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_screen_stays_fresh_and_keys_answer_at_32kbps_wide() -> None:
    """At 32 KB/s and 160x48 the newest print is at most 2 s old; a tab switch shows in 2 s."""
    with slow_link(demo_argv(), columns=160, rows=48, rate=RATE) as terminal:
        assert terminal.wait_for(lambda text: "CONNECTED" in text, 20) is not None
        time.sleep(WARM_UP)
        ages: list[float] = []
        end = time.monotonic() + WATCH
        while time.monotonic() < end:
            age = terminal.newest_print_age()
            if age is not None:
                ages.append(age)
            time.sleep(0.25)
        assert ages, "no print ever reached the screen"
        assert max(ages) <= MAX_AGE, f"screen fell behind: ages {[round(a, 1) for a in ages]}"
        terminal.send("s")
        shown = terminal.wait_for(lambda text: "Channel" in text and "Want" in text, 30)
        assert shown is not None and shown <= MAX_KEY, f"tab switch took {shown} s"
        terminal.send("b")
        back = terminal.wait_for(lambda text: "spread" in text, 30)
        assert back is not None and back <= MAX_KEY, f"back to the books took {back} s"
        assert terminal.stats.bytes_per_second() <= RATE * 1.05  # the link was the limit


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_a_terminal_that_never_answers_still_gets_fresh_frames() -> None:
    """No answer to the cursor-position question: after a few seconds frames flow freely."""
    with slow_link(demo_argv(), columns=80, rows=24, rate=None, answers=False) as terminal:
        assert terminal.wait_for(lambda text: "CONNECTED" in text, 20) is not None
        time.sleep(6)  # the pacer gives up waiting 5 s after its first question
        ages = []
        for _ in range(8):
            age = terminal.newest_print_age()
            if age is not None:
                ages.append(age)
            time.sleep(0.25)
        assert ages and max(ages) <= 1.5, ages
        changes, last = 0, terminal.text()
        for _ in range(40):  # 2 s: a held-back desk would draw once a second
            time.sleep(0.05)
            text = terminal.text()
            changes, last = changes + (text != last), text
        assert changes >= 8, f"only {changes} screen changes in 2 s"
        assert terminal.screen.queries >= 1 and terminal.stats.answered_queries == 0
