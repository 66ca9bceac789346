"""What the link benchmarks read off a connected desk: staleness on screen and a key's time.

Shared by the local pty rows (``bench_link.py``) and the rows through ``sshd``
(``ssh_link.py``), so both measure exactly the same thing.
"""

from __future__ import annotations

import time

from tests.terminal.slow_link import SlowLinkTerminal

KEY_CAP = 30.0  # seconds a key may take before it is reported as this cap


def staleness_and_key(
    terminal: SlowLinkTerminal, warm: float, window: float
) -> tuple[float, float]:
    """Worst age of the newest print on screen over ``window``, then the tab-switch time."""
    time.sleep(warm)
    worst = 0.0
    end = time.monotonic() + window
    while time.monotonic() < end:
        age = terminal.newest_print_age()
        worst = max(worst, age if age is not None else 0.0)
        time.sleep(0.25)
    terminal.send("s")
    key = terminal.wait_for(lambda text: "Channel" in text and "Want" in text, KEY_CAP)
    return worst, KEY_CAP if key is None else key
