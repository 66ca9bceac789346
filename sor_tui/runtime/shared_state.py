"""A DeskState that the feed thread writes and the UI thread reads, under one lock.

Every mutating call comes from the feed's own thread; the UI's frame timer takes views.
The lock is held only for one event or one view, so neither side waits long.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sor_tui.core.events import Execution, ServerEvent
from sor_tui.core.state import DeskState
from sor_tui.core.views import BookView, TapeView
from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState


class SharedDeskState(DeskState):
    """DeskState with its reads and writes serialized by a lock."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.RLock()  # re-entrant: safe if a core method calls another

    def apply(self, event: ServerEvent, received_ns: int) -> None:
        """Apply one event (feed thread)."""
        with self.lock:
            super().apply(event, received_ns)

    def begin_sync(self, market: str) -> None:
        """A subscribe was sent for the market's book (feed thread)."""
        with self.lock:
            super().begin_sync(market)

    def set_desired_markets(self, markets: Iterable[str] | None) -> None:
        """The markets subscribed to changed (feed thread)."""
        with self.lock:
            super().set_desired_markets(markets)

    def end_sync(self, market: str) -> None:
        """The market's book was unsubscribed."""
        with self.lock:
            super().end_sync(market)

    def connection_lost(self) -> None:
        """Every book goes stale (feed thread)."""
        with self.lock:
            super().connection_lost()

    def mark_resyncing(self, market: str) -> None:
        """A resync of the market was requested (feed thread)."""
        with self.lock:
            super().mark_resyncing(market)

    def resync_needed(self) -> list[tuple[str, str]]:
        """Books needing a resync, each reported once (feed thread)."""
        with self.lock:
            return super().resync_needed()

    def book_view(self, market: str, depth: int, group: Decimal | None = None) -> BookView | None:
        """A frozen view of one book (UI thread)."""
        with self.lock:
            return super().book_view(market, depth, group)

    def tape_view(self, limit: int, market: str | None = None) -> TapeView:
        """The tape view (UI thread)."""
        with self.lock:
            return super().tape_view(limit, market)

    def take_undesired_markets(self) -> list[str]:
        """Markets newly dropped as not subscribed (UI thread)."""
        with self.lock:
            return super().take_undesired_markets()

    def drain_new_executions(self) -> list[Execution]:
        """Executions accepted since the last drain (UI thread)."""
        with self.lock:
            return super().drain_new_executions()

    @property
    def version(self) -> int:
        """Changes whenever anything changed."""
        with self.lock:
            return super().version


class SharedRecordingDeskState(SharedDeskState, RecordingDeskState):
    """The shared (locked) desk state that can also record; the lock covers the switch.

    MRO: the lock is taken first, then the recording layer marks, then the core applies,
    so a recorder is never swapped or closed while the feed thread is writing to it.
    """

    def apply(self, event: ServerEvent, received_ns: int) -> None:
        """Apply one event (feed thread): the hot path, one lock and no layer in between."""
        with self.lock:  # the recorder is read under the lock: a start cannot slip between
            if self._recorder is None:
                DeskState.apply(self, event, received_ns)
            else:
                RecordingDeskState.apply(self, event, received_ns)

    def start_recording(self, recorder: Recorder) -> None:
        """Start recording (UI thread); live books are written as synthetic snapshots."""
        with self.lock:
            super().start_recording(recorder)

    def stop_recording(self) -> Recorder | None:
        """Stop recording (UI or feed thread); the caller closes the returned recorder."""
        with self.lock:
            return super().stop_recording()

    def frame(self, data: str | bytes, received_ns: int) -> None:
        """The feed's raw-frame hook (feed thread); lock-free while not recording."""
        if self.recorder is None:
            return
        with self.lock:  # not closed under us by a stop on the UI thread
            super().frame(data, received_ns)
