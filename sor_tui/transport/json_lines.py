"""JSON Lines of books, executions, subscriptions and status (``sor-tui stream``'s output).

Books are coalesced to at most the render rate per market and always written once more in
their final state; executions are written every one, exactly once (the desk state
de-duplicates replays). ``run_feed`` runs a feed into a writer until it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel, TopOfBook
from sor_tui.core.numbers import canonical_text
from sor_tui.core.state import DeskState
from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.core.views import BookView
from sor_tui.transport.companion import Companion, watch_companion
from sor_tui.transport.feed import Feed
from sor_tui.transport.status import (
    FeedEvent,
    FeedState,
    Problem,
    StatusChanged,
    SubscriptionAnswered,
)
from sor_tui.transport.stream_alerts import StreamAlerts

log = logging.getLogger(__name__)


async def run_feed(
    feed: Feed,
    writer: JsonLinesWriter,
    render_rate: float,
    duration: float | None,
    companion: Companion | None = None,
) -> str | None:
    """Run until stopped; returns the companion's fatal problem (None when all went well)."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def request_stop() -> None:
        if not stopping:
            stopping.append(loop.create_task(feed.stop()))

    writer.on_closed = request_stop
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop)
    timer = loop.call_later(duration, request_stop) if duration is not None else None
    flusher = loop.create_task(writer.flush_every(1.0 / render_rate))

    def flusher_done(task: asyncio.Task[None]) -> None:
        if not task.cancelled():
            request_stop()  # a writer that died must not leave the feed running unseen

    flusher.add_done_callback(flusher_done)
    failures: list[str] = []
    watcher = loop.create_task(watch_companion(companion, feed, failures, request_stop))
    try:
        await feed.run(writer.on_event)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        if timer is not None:
            timer.cancel()
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        for task in stopping:
            await task
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        writer.flush(final=True)
        writer.write_summary(feed.counters.reconnects, feed.counters.requests_unsent)
        closed = companion.close() if companion is not None else None
    if closed is not None and not failures:
        failures.append(closed)
    return failures[0] if failures else None


@dataclass(slots=True)
class _Shown:
    version: int
    status: str


class JsonLinesWriter:
    """Turns feed events into JSON Lines; books are coalesced and flushed on a timer."""

    def __init__(
        self,
        out: IO[str] | None,
        state: DeskState,
        markets: list[str],
        depth: int,
        alerts: StreamAlerts | None = None,
    ) -> None:
        """``out`` None writes nothing (``sor-tui record``); executions are still drained."""
        self._out = out
        self.alerts = alerts
        self._state = state
        self._markets = markets
        self._depth = depth
        self._dirty: set[str] = set()
        self._shown: dict[str, _Shown] = {}
        self._tops_shown: set[str] = set()
        self._offset_shown: int | None = None
        self.closed = False
        self.on_closed: Callable[[], None] | None = None

    def write(self, obj: dict[str, Any]) -> None:
        """Write one JSON object as one line (nothing once the reader has gone away)."""
        if self.closed or self._out is None:
            return
        try:
            self._out.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")
        except BrokenPipeError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        """stdout's reader closed it (``| head``): stop quietly, like any Unix filter."""
        self.closed = True
        with contextlib.suppress(OSError, ValueError):
            # Later flushes, including the interpreter's at exit, must not raise again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            if self._out is not None:
                os.dup2(devnull, self._out.fileno())
            os.close(devnull)
        if self.on_closed is not None:
            self.on_closed()

    def on_event(self, event: FeedEvent) -> None:
        """Feed callback: cheap; books are only marked dirty here."""
        if self.alerts is not None and type(event) is not BookUpdate:
            self.alerts.on_event(event)
        if type(event) is BookUpdate or isinstance(event, (BookSnapshot, BookUpdate)):
            # The exact-type test first: one per message at full rate, cheaper than isinstance.
            self._dirty.add(event.market)
        elif isinstance(event, SubscriptionAnswered):
            channel = event.channel
            self.write(
                {
                    "event": "subscription",
                    "action": event.action,
                    "channel": channel.type,
                    "market": channel.market,
                    "success": event.success,
                    "error": event.error,
                }
            )
        elif isinstance(event, Problem):
            line = {"event": "error", "code": event.code, "message": event.message}
            if event.market:
                line["market"] = event.market
            self.write(line)
        elif isinstance(event, TopOfBook):
            self._tops_shown.add(event.market)
            self.write(top_line(event.market, event.bid, event.ask, event.time_text))
        elif isinstance(event, StatusChanged):
            status = event.status
            self.write({"event": "status", "state": str(status.state), "detail": status.detail})
            if status.state is not FeedState.CONNECTED:
                for market in sorted(self._tops_shown):  # never leave a stale top shown
                    self.write(top_line(market, None, None, None))
                self._tops_shown.clear()
            self._dirty.update(self._markets)  # books change status with the connection
            self.flush()

    async def flush_every(self, interval: float) -> None:
        """Flush coalesced books and new executions every ``interval`` seconds."""
        while True:
            await asyncio.sleep(interval)
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        """Write new executions, then every changed book (every book when ``final``)."""
        executions = self._state.drain_new_executions()
        for execution in executions:
            self.write(
                {
                    "event": "execution",
                    "market": execution.market,
                    "price": canonical_text(execution.price),
                    "amount": canonical_text(execution.amount),
                    "executed_at": execution.executed_at,
                }
            )
        self._write_clock()
        if self.alerts is not None:
            for line in self.alerts.flush(self._state, self._markets, executions):
                self.write(line)
        markets = set(self._markets) if final else self._dirty
        for market in sorted(markets):
            view = self._state.book_view(market, self._depth)
            if view is None:
                continue
            shown = self._shown.get(market)
            if shown is not None and (shown.version, shown.status) == (view.version, view.status):
                continue  # already on stdout exactly like this
            self._shown[market] = _Shown(view.version, str(view.status))
            self.write(book_line(view))
        self._dirty.clear()
        if not self.closed and self._out is not None:
            try:
                self._out.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _write_clock(self) -> None:
        """The server clock's offset from ours, when first known and when it moves >= 100 ms."""
        clock = self._state.server_clock
        offset = clock.offset_ns
        shown = self._offset_shown
        if offset is None or (shown is not None and abs(offset - shown) < CLOCK_STEP_NS):
            return
        self._offset_shown = offset
        self.write(
            {"event": "server_clock", "offset_ms": round(offset / 1e6, 1), "source": clock.source}
        )

    def write_summary(self, reconnects: int, requests_unsent: int) -> None:
        """The last line: what was kept, suppressed, refused or flagged during the run."""
        counters = self._state.counters()
        line: dict[str, Any] = {"event": "summary", "reconnects": reconnects}
        line.update({name: counters.get(name, 0) for name in SUMMARY_COUNTERS})
        line["requests_unsent"] = requests_unsent
        self.write(line)
        if not self.closed and self._out is not None:
            with contextlib.suppress(BrokenPipeError, ValueError):
                self._out.flush()


CLOCK_STEP_NS = 100_000_000
SUMMARY_COUNTERS = (
    "executions",
    "duplicates_suppressed",
    "executions_too_new",
    "executions_too_old",
    "late_updates",
    "long_crosses",
    "time_regressions",
    "future_times",
    "rejects",
    "dropped_book_data",
)


def top_line(
    market: str, bid: PriceLevel | None, ask: PriceLevel | None, time_text: str | None
) -> dict[str, Any]:
    """The JSON object of a market's top of book (both sides null when cleared)."""

    def side(level: PriceLevel | None) -> dict[str, str] | None:
        if level is None:
            return None
        return {"price": canonical_text(level.price), "amount": canonical_text(level.amount)}

    return {
        "event": "top_of_book",
        "market": market,
        "time": time_text,
        "bid": side(bid),
        "ask": side(ask),
    }


def book_line(view: BookView) -> dict[str, Any]:
    """The JSON object of one book view: top levels best first, exact decimal strings."""
    when = view.last_update_ns or view.snapshot_time_ns
    return {
        "event": "book",
        "market": view.market,
        "time": None if when is None else format_rfc3339_ns(when),
        "status": str(view.status),
        "bids": [[canonical_text(lv.price), canonical_text(lv.amount)] for lv in view.bids],
        "asks": [[canonical_text(lv.price), canonical_text(lv.amount)] for lv in view.asks],
    }
