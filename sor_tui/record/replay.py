"""Replay a recording into a fresh DeskState: step, play to a time, seek back and forth.

Frames are decoded with the same ``decode`` as live and applied with their recorded
receive time; lifecycle marks make the same DeskState calls the live session made. The
state's wall clock is the recording's clock, so what a live desk saw at a moment is what
the replay shows at that moment. Seeking backwards rebuilds the state from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sor_tui.core.events import ServerEvent
from sor_tui.core.protocol import decode
from sor_tui.core.state import DeskState
from sor_tui.record.reader import Entry, Recording
from sor_tui.record.recorder import BEGIN_SYNC, CONNECTION_LOST, END_SYNC, RESYNCING

MAX_FRAME_BYTES = 64 * 1024 * 1024  # the feed's default limit, so decode agrees with live

StateFactory = Callable[[Callable[[], int]], DeskState]


def default_state(clock_ns: Callable[[], int]) -> DeskState:
    """A plain DeskState whose wall clock is the replay's clock."""
    return DeskState(wall_clock_ns=clock_ns)


class Replay:
    """A cursor over a recording that drives a DeskState."""

    def __init__(
        self,
        recording: Recording,
        *,
        state_factory: StateFactory = default_state,
        on_event: Callable[[ServerEvent], None] | None = None,
    ) -> None:
        self.recording = recording
        self._entries = recording.entries
        self._factory = state_factory
        self.on_event = on_event
        self._now_ns = recording.start_ns
        self._position = 0
        self.state = self._factory(self._clock)
        self.rebuilds = 0

    def _clock(self) -> int:
        return self._now_ns

    def __repr__(self) -> str:
        return f"Replay(position={self._position}, total={self.total})"

    # -- where we are --------------------------------------------------------------------

    @property
    def position(self) -> int:
        """How many entries have been applied."""
        return self._position

    @property
    def total(self) -> int:
        """How many entries the recording holds."""
        return len(self._entries)

    @property
    def at_end(self) -> bool:
        """Whether every entry has been applied."""
        return self._position >= len(self._entries)

    @property
    def now_ns(self) -> int:
        """The recording time the state corresponds to."""
        return self._now_ns

    @property
    def start_ns(self) -> int:
        """Time of the first entry."""
        return self.recording.start_ns

    @property
    def end_ns(self) -> int:
        """Time of the last entry."""
        return self.recording.end_ns

    def next_time_ns(self) -> int | None:
        """Time of the next entry to apply, or None at the end."""
        return None if self.at_end else self._entries[self._position].t_ns

    # -- moving ----------------------------------------------------------------------------

    def step(self, count: int = 1) -> int:
        """Apply up to ``count`` entries; returns how many were applied."""
        stop = min(len(self._entries), self._position + max(0, count))
        applied = stop - self._position
        for index in range(self._position, stop):
            self._apply(self._entries[index])
        self._position = stop
        return applied

    def play_until(self, t_ns: int, limit: int | None = None) -> int:
        """Apply entries received at or before ``t_ns`` (at most ``limit``); returns how many.

        The clock moves to ``t_ns`` once every such entry is applied; a call stopped by
        ``limit`` leaves it at the last applied entry, so the next call continues.
        """
        entries = self._entries
        start = self._position
        stop = len(entries) if limit is None else min(len(entries), start + max(0, limit))
        index = start
        while index < stop and entries[index].t_ns <= t_ns:
            self._apply(entries[index])
            index += 1
        self._position = index
        if index == len(entries) or entries[index].t_ns > t_ns:
            self._now_ns = max(self._now_ns, t_ns)
        return index - start

    def reached(self, t_ns: int) -> bool:
        """Whether every entry at or before ``t_ns`` has been applied."""
        return self.at_end or self._entries[self._position].t_ns > t_ns

    def clone_at(self, t_ns: int) -> Replay:
        """A new cursor on the same recording, at ``t_ns`` (safe to build in a thread)."""
        clone = Replay(self.recording, state_factory=self._factory)
        clone.play_until(t_ns)
        return clone

    def seek(self, t_ns: int) -> None:
        """Show the state at ``t_ns``: forwards by playing, backwards by rebuilding."""
        if t_ns < self._now_ns:
            self.rewind()
        self.play_until(t_ns)

    def seek_position(self, position: int) -> None:
        """Show the state after exactly ``position`` entries."""
        if position < self._position:
            self.rewind()
        self.step(position - self._position)

    def rewind(self) -> None:
        """Back to the start with a fresh state."""
        self._position = 0
        self._now_ns = self.recording.start_ns
        self.state = self._factory(self._clock)
        self.rebuilds += 1

    # -- applying --------------------------------------------------------------------------

    def _apply(self, entry: Entry) -> None:
        if entry.t_ns > self._now_ns:
            self._now_ns = entry.t_ns
        state = self.state
        if entry.frame is not None:
            event = decode(entry.frame, max_bytes=MAX_FRAME_BYTES)
            state.apply(event, entry.t_ns)
            if self.on_event is not None:
                self.on_event(event)
            return
        _MARK_ACTIONS[entry.mark or ""](state, entry.market)


def _begin(state: DeskState, market: str | None) -> None:
    if market:
        state.begin_sync(market)


def _end(state: DeskState, market: str | None) -> None:
    if market:
        state.end_sync(market)


def _lost(state: DeskState, market: str | None) -> None:
    state.connection_lost()


def _resyncing(state: DeskState, market: str | None) -> None:
    if market:
        state.mark_resyncing(market)


def _nothing(state: DeskState, market: str | None) -> None:
    return None


_MARK_ACTIONS: dict[str, Callable[[DeskState, Any], None]] = {
    BEGIN_SYNC: _begin,
    END_SYNC: _end,
    CONNECTION_LOST: _lost,
    RESYNCING: _resyncing,
    "": _nothing,
}
