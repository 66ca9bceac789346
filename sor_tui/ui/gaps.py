"""Connection gaps: intervals between losing a live connection and getting it back.

Executions printed while disconnected never reach the tape, so the tape and the error
pane keep a lasting mark of every such interval instead of closing up silently.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sor_tui.runtime.clock import Clock
from sor_tui.transport.status import FeedState, FeedStatus, Problem
from sor_tui.ui.format import format_clock

MAX_GAPS = 64
EN_DASH = "\u2013"  # the interval dash, spelled out so it is not mistaken for "-"


@dataclass(frozen=True, slots=True)
class Gap:
    """One interval without a connection; ``end_ns`` is None while it lasts."""

    start_ns: int
    end_ns: int | None = None

    def text(self, width: int = 80) -> str:
        """The tape row: ``— gap: connection lost HH:MM:SS`` en dash ``HH:MM:SS —``."""
        start = format_clock(self.start_ns)[:8]
        end = "…" if self.end_ns is None else format_clock(self.end_ns)[:8]
        text = f"— gap: connection lost {start} {EN_DASH}{end} —"
        # Narrow tapes get the short form rather than a cropped end time.
        return text if len(text) <= width else f"— gap {start}{EN_DASH}{end} —"

    def problem(self) -> Problem:
        """The error-pane entry for a closed (or still open) gap."""
        end = "…" if self.end_ns is None else format_clock(self.end_ns)[:8]
        message = f"connection lost {format_clock(self.start_ns)[:8]} {EN_DASH} {end}"
        return Problem("feed", "GAP", message)


class GapTracker:
    """Follows every status transition and opens/closes gaps (UI thread only)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.gaps: deque[Gap] = deque(maxlen=MAX_GAPS)
        self._state: FeedState | None = None

    @property
    def open(self) -> bool:
        """True while the connection is lost."""
        return bool(self.gaps) and self.gaps[-1].end_ns is None

    def on_status(self, status: FeedStatus) -> Gap | None:
        """Take one transition; returns the gap it closed, if any."""
        previous, self._state = self._state, status.state
        if previous is FeedState.CONNECTED and status.state is not FeedState.CONNECTED:
            if status.state is not FeedState.STOPPED:  # a deliberate stop is no gap
                self.gaps.append(Gap(self._wall_at(status.since)))
            return None
        if status.state is FeedState.CONNECTED and self.open:
            closed = Gap(self.gaps[-1].start_ns, self._wall_at(status.since))
            self.gaps[-1] = closed
            return closed
        return None

    def _wall_at(self, since: float) -> int:
        """The wall time of a monotonic instant (the frame may run a little later)."""
        now = self.clock.wall_ns()
        if since <= 0:
            return now
        behind = max(0.0, self.clock.monotonic() - since)
        return now - int(behind * 1_000_000_000)
