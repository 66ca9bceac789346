"""Connection gaps: tracked from status transitions, shown on the tape and in the error pane."""

from __future__ import annotations

import re

from sor_tui.runtime.clock import FrozenClock
from sor_tui.transport.status import FeedState, FeedStatus, StatusChanged
from sor_tui.ui.gaps import Gap, GapTracker
from tests.ui.conftest import AppBuilder
from tests.ui.fakes import FakeFeed

SECOND = 1_000_000_000
PRINT_ROW = re.compile(r"^ \d\d:\d\d:\d\d")


def _status(state: FeedState, since: float) -> FeedStatus:
    return FeedStatus(state, state.value.lower(), since=since)


def test_a_drop_opens_a_gap_and_the_reconnect_closes_it_at_the_transition_times() -> None:
    clock = FrozenClock()
    tracker = GapTracker(clock)
    assert tracker.on_status(_status(FeedState.CONNECTING, 990.0)) is None
    assert tracker.on_status(_status(FeedState.CONNECTED, 991.0)) is None
    assert not tracker.gaps  # the first connection is no gap
    assert tracker.on_status(_status(FeedState.RECONNECTING, 995.0)) is None
    assert tracker.open
    assert tracker.on_status(_status(FeedState.CONNECTING, 996.0)) is None
    closed = tracker.on_status(_status(FeedState.CONNECTED, 998.0))
    assert closed == Gap(clock.wall - 5 * SECOND, clock.wall - 2 * SECOND)
    assert not tracker.open and list(tracker.gaps) == [closed]
    # A deliberate stop is not a gap.
    tracker.on_status(_status(FeedState.STOPPED, 999.0))
    assert list(tracker.gaps) == [closed]


def test_gap_text_names_both_ends() -> None:
    gap = Gap(1_772_460_307_000_000_000, 1_772_460_309_500_000_000)
    assert gap.text() == "— gap: connection lost 14:05:07 \u201314:05:09 —"
    assert Gap(gap.start_ns).text().endswith("\u2013… —")
    assert gap.text(24) == "— gap 14:05:07\u201314:05:09 —"
    assert gap.problem().code == "GAP" and gap.problem().source == "feed"


async def test_drop_and_reconnect_leave_a_gap_row_and_an_error_entry(
    desk_app: AppBuilder,
) -> None:
    script = [
        StatusChanged(_status(FeedState.RECONNECTING, 998.0)),
        StatusChanged(_status(FeedState.CONNECTED, 999.0)),
    ]
    app = desk_app(FakeFeed(script=script))
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(3):
            await pilot.pause()
            app.render_frame()
        await pilot.pause()
        tape = app.desk.tape
        text = tape.shown_text()
        assert "— gap: connection lost 14:05:05 \u201314:05:06 —" in text or (
            "— gap 14:05:05\u201314:05:06 —" in text and tape.size.width < 46
        )
        codes = [(p.source, p.code) for _, p in app.desk.error_log.problems]
        assert ("feed", "GAP") in codes
        gap_entry = next(p for _, p in app.desk.error_log.problems if p.code == "GAP")
        assert "may be missing" in gap_entry.explanation and "resynced" in gap_entry.explanation


async def test_the_gap_row_sits_in_time_order_among_the_prints(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        tape = app.desk.tape
        assert tape.tape is not None
        times = [e.execution.executed_at_ns for e in tape.tape.entries]
        assert len(times) > 4
        middle = sorted(times)[len(times) // 2]
        tape.show_gaps((Gap(middle - 1, middle + 1),))
        lines = tape.shown_text().split("\n")
        rows = [line for line in lines if PRINT_ROW.match(line) or "— gap" in line]
        above = next(i for i, line in enumerate(rows) if "— gap" in line)
        # The rows above the gap are exactly the prints executed after it started.
        newer = sum(1 for t in times if t >= middle - 1)
        assert 0 < newer < len(rows) - 1  # prints on both sides of the gap are on screen
        assert above == newer
