"""A DeskState that tells a recorder about lifecycle calls and accepted executions.

The feed takes its desk state as a parameter, so recording needs no change in the feed
for these: whatever the session does to the books (begin_sync on subscribe, end_sync,
connection_lost, resyncing) is marked in the recording in order with the frames, which is
what lets a replay rebuild identical books. Raw frames come from the feed's frame hook.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sor_tui.core.events import Execution, ServerEvent
from sor_tui.core.numbers import canonical_text
from sor_tui.core.state import DeskState
from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.core.views import BookStatus, BookView
from sor_tui.record.recorder import (
    BEGIN_SYNC,
    CONNECTION_LOST,
    END_SYNC,
    RESYNCING,
    Recorder,
)

_FULL_DEPTH = 1_000_000


class RecordingDeskState(DeskState):
    """The desk state, plus a switchable recorder (``recorder = None`` stops recording)."""

    def __init__(self, *args: Any, recorder: Recorder | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorder: Recorder | None = None
        self._clock_ns: Callable[[], int] = kwargs.get("wall_clock_ns", time.time_ns)
        if recorder is not None:
            self.start_recording(recorder)

    @property
    def recorder(self) -> Recorder | None:
        """The active recorder, if recording."""
        return self._recorder

    def start_recording(self, recorder: Recorder) -> None:
        """Record from now on; books already live are written as synthetic snapshots."""
        now = self._clock_ns()
        for market in self.markets:
            view = self.book_view(market, _FULL_DEPTH)
            if view is None or view.status not in (BookStatus.SYNCING, BookStatus.LIVE):
                continue
            recorder.mark(BEGIN_SYNC, market, now)
            if view.status == BookStatus.LIVE:
                recorder.synthetic_frame(snapshot_frame(view, now), now)
        self._recorder = recorder

    def stop_recording(self) -> Recorder | None:
        """Stop recording and return the recorder (the caller closes it)."""
        recorder, self._recorder = self._recorder, None
        return recorder

    def frame(self, data: str | bytes, received_ns: int) -> None:
        """The feed's raw-frame hook: record the frame when recording."""
        recorder = self._recorder
        if recorder is not None:
            recorder.frame(data, received_ns)

    def apply(self, event: ServerEvent, received_ns: int) -> None:
        """Apply the event; an execution the tape accepted goes to the executions store."""
        if self._recorder is None or not isinstance(event, Execution):
            super().apply(event, received_ns)
            return
        before = self.tape.accepted
        super().apply(event, received_ns)
        if self.tape.accepted != before:
            self._recorder.execution(event, received_ns)

    def begin_sync(self, market: str) -> None:
        """Mark, then start the book's sync."""
        self._mark(BEGIN_SYNC, market)
        super().begin_sync(market)

    def end_sync(self, market: str) -> None:
        """Mark, then end the book's sync."""
        self._mark(END_SYNC, market)
        super().end_sync(market)

    def connection_lost(self) -> None:
        """Mark, then make every book stale."""
        self._mark(CONNECTION_LOST)
        super().connection_lost()

    def mark_resyncing(self, market: str) -> None:
        """Mark, then flag the book as resyncing."""
        self._mark(RESYNCING, market)
        super().mark_resyncing(market)

    def _mark(self, kind: str, market: str | None = None) -> None:
        if self._recorder is not None:
            self._recorder.mark(kind, market, self._clock_ns())


def snapshot_frame(view: BookView, at_ns: int) -> str:
    """A wire-format SNAPSHOT frame holding a view's levels (for recordings started late)."""
    time_ns = view.last_update_ns or view.snapshot_time_ns or at_ns
    payload = {
        "type": "SNAPSHOT",
        "market": view.market,
        "time": format_rfc3339_ns(time_ns),
        "bids": [
            {"price": canonical_text(lv.price), "amount": canonical_text(lv.amount)}
            for lv in view.bids
        ],
        "asks": [
            {"price": canonical_text(lv.price), "amount": canonical_text(lv.amount)}
            for lv in view.asks
        ],
    }
    return json.dumps({"channel": "market_data", "payload": payload}, separators=(",", ":"))
