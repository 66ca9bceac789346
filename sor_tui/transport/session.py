"""One WebSocket connection of the feed: reader, request writer and watchdog.

A ``Session`` owns everything that lives only as long as its connection (the outbox of
requests, snapshot deadlines, the heartbeat clock); the feed throws it away on loss, so
nothing per-connection can leak into the next connection (protocol §10.4, pitfall §13.4).
The reader decodes and applies every frame inline, so it never stalls behind the UI.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from sor_tui.core.events import (
    BookSnapshot,
    BookUpdate,
    Channel,
    ChannelType,
    Execution,
    Heartbeat,
    OperationResult,
    Rejected,
    ServerError,
    ServerEvent,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.explain import explain
from sor_tui.core.liveness import HeartbeatWatch
from sor_tui.core.protocol import (
    encode_subscribe,
    encode_subscription_list,
    encode_unsubscribe,
)
from sor_tui.core.sanitize import sanitize
from sor_tui.core.subscriptions import (
    SUBSCRIBE,
    UNSUBSCRIBE,
    ChannelOutcome,
    DataState,
    SubscriptionRegistry,
)
from sor_tui.transport.connection_end import SessionEnded, close_reason, is_connection_error
from sor_tui.transport.metrics import Metrics
from sor_tui.transport.reader import StateLock, read_frames
from sor_tui.transport.status import FeedEvent, Problem, SubscriptionAnswered

if TYPE_CHECKING:
    from sor_tui.core.state import DeskState
    from sor_tui.transport.options import FeedOptions

log = logging.getLogger(__name__)

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
UNKNOWN_CHANNEL = "UNKNOWN_CHANNEL"
_DATA_CHANNEL = {
    BookSnapshot: ChannelType.MARKET_DATA,
    TopOfBook: ChannelType.TOP_OF_BOOK,
    Execution: ChannelType.EXECUTION_DATA,
}


@dataclass(frozen=True, slots=True)
class _Op:
    kind: str  # "subscribe" | "unsubscribe" | "list"
    channel: Channel | None = None
    resync: bool = False


class Session:
    """The live part of one connection; ``run()`` returns why the connection ended."""

    def __init__(
        self,
        ws: ClientConnection,
        *,
        registry: SubscriptionRegistry,
        state: DeskState,
        options: FeedOptions,
        metrics: Metrics,
        emit: Callable[[FeedEvent], None],
        publish_registry: Callable[[], None],
        last_resync: dict[str, float],
        clock: Callable[[], float],
        lock: StateLock,
        on_frame: Callable[[str | bytes, int], None] | None = None,
        heartbeat_learned: float | None = None,
    ) -> None:
        self.ws = ws
        self._lock = lock  # the desk state's: held per batch by the reader, and here
        self._on_frame = on_frame
        self.opened_at = clock()
        self.got_data = False  # a snapshot, heartbeat or execution arrived
        self._registry = registry
        self._state = state
        self._options = options
        self._metrics = metrics
        self._emit = emit
        self._publish_registry = publish_registry
        self._last_resync = last_resync
        self._clock = clock
        self._outbox: deque[_Op] = deque()
        self._outbox_ready = asyncio.Event()
        self._last_request_at: float | None = None
        self._sync_started: dict[str, float] = {}
        self.heartbeat = HeartbeatWatch(
            options.heartbeat_timeout, options.heartbeat_first_timeout, heartbeat_learned
        )
        self._prints_too_new = state.tape.too_new
        self._deferred_resyncs: dict[str, str] = {}
        self._end_reason: str | None = None

    # -- requests (called by the feed at any time) --------------------------------------

    def enqueue(self, kind: str, channels: tuple[Channel, ...] = (), resync: bool = False) -> None:
        """Queue a subscribe/unsubscribe (per channel) or a subscription_list request."""
        if kind == "list":
            self._outbox.append(_Op("list"))
        for channel in channels:
            self._outbox.append(_Op(kind, channel, resync))
        self._outbox_ready.set()

    def resync(self, market: str, reason: str, *, automatic: bool) -> bool:
        """Unsubscribe and resubscribe a book for a fresh SNAPSHOT (rate-limited per market)."""
        channel = Channel(ChannelType.MARKET_DATA, market)
        if not self._registry.is_desired(channel):
            return False
        now = self._clock()
        last = self._last_resync.get(market)
        if last is not None and now - last < self._options.resync_interval:
            return False
        self._last_resync[market] = now
        self._sync_started.pop(market, None)
        with self._lock:
            self._state.mark_resyncing(market)
        log.info("resyncing %s: %s", market, reason)
        if automatic:
            self._emit(Problem("feed", "RESYNC", f"resyncing {market}: {reason}", market))
        self.enqueue(UNSUBSCRIBE, (channel,), resync=True)
        self.enqueue(SUBSCRIBE, (channel,), resync=True)
        return True

    # -- the connection ----------------------------------------------------------------

    async def run(self) -> str:
        """Read, write and watch until the connection ends; returns a readable reason."""
        tasks = [
            asyncio.create_task(self._read(), name="sor-feed-reader"),
            asyncio.create_task(self._write(), name="sor-feed-writer"),
            asyncio.create_task(self._watch(), name="sor-feed-watchdog"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            # Collect the cancelled helpers so none is left pending; errors are read below.
            await asyncio.wait(tasks)
        for task in done:
            if task.cancelled():
                continue
            exc = task.exception()
            if isinstance(exc, SessionEnded):
                return str(exc)
            if exc is not None and not is_connection_error(exc):
                raise exc
        return self._end_reason or close_reason(self.ws)

    async def _read(self) -> None:
        await read_frames(
            self.ws,
            max_bytes=self._options.max_frame_bytes,
            metrics=self._metrics,
            handle=self._handler(),
            ended=lambda: self._end_reason is not None,
            lock=self._lock,
            on_frame=self._on_frame,
        )

    async def _send(self, text: str) -> None:
        await self.ws.send(text)

    async def _write(self) -> None:
        desired = self._registry.desired()
        if desired:
            await self._send_channels(SUBSCRIBE, list(desired))
        await self._send(encode_subscription_list())
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                op = self._outbox.popleft()
                if op.kind == "list":
                    await self._send(encode_subscription_list())
                    continue
                batch = [op]
                while self._outbox and self._outbox[0].kind == op.kind:
                    batch.append(self._outbox.popleft())
                channels = self._sendable(op.kind, self._still_wanted(op.kind, batch))
                if channels:
                    await self._pace()
                    await self._send_channels(op.kind, channels)

    def _sendable(self, kind: str, channels: list[Channel]) -> list[Channel]:
        """Channels that can be encoded; any other is shown and counted, never sent."""
        good: list[Channel] = []
        for channel in channels:
            try:
                encode_subscribe([channel])
                good.append(channel)
            except ValueError as exc:  # one odd request must not stop the writer
                self._metrics.requests_unsent += 1
                text = sanitize(f"cannot {kind} {channel}: {exc}")
                log.warning("%s", text)
                self._emit(Problem("client", "REQUEST_NOT_SENT", text, channel.market))
        return good

    def _still_wanted(self, kind: str, batch: list[_Op]) -> list[Channel]:
        """Drop queued requests that the desired set has overtaken since they were queued."""
        chosen: list[Channel] = []
        for op in batch:
            assert op.channel is not None
            desired = self._registry.is_desired(op.channel)
            keep = desired if kind == SUBSCRIBE else (op.resync or not desired)
            if keep and op.channel not in chosen:
                chosen.append(op.channel)
        return chosen

    async def _pace(self) -> None:
        """Keep subscribe/unsubscribe requests at least ``request_spacing`` apart (§10.5)."""
        if self._last_request_at is None:
            return
        wait = self._last_request_at + self._options.request_spacing - self._clock()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _send_channels(self, kind: str, channels: list[Channel]) -> None:
        encoded = encode_subscribe(channels) if kind == SUBSCRIBE else encode_unsubscribe(channels)
        self._registry.record_request(kind, channels)
        now = self._clock()
        for channel in channels:
            if channel.type == ChannelType.MARKET_DATA and channel.market is not None:
                self._sync_started.pop(channel.market, None)  # timed from the ack instead
                if kind == SUBSCRIBE:
                    with self._lock:
                        self._state.begin_sync(channel.market)
        self._last_request_at = now
        self._publish_registry()
        await self._send(encoded)
        log.debug("sent %s for %s", kind, ", ".join(str(c) for c in channels))

    async def _watch(self) -> None:
        options = self._options
        while True:
            await asyncio.sleep(options.tick)
            if self.ws.state is not State.OPEN:
                # A failed keepalive starts a closing handshake that can take close_timeout
                # on a dead link; the connection is already useless, so end it now.
                raise SessionEnded(close_reason(self.ws))
            now = self._clock()
            if self.heartbeat.expired(now):
                raise SessionEnded(f"no heartbeat for {self.heartbeat.timeout():.3g} s")
            for market, started in list(self._sync_started.items()):
                if now - started > options.snapshot_timeout:
                    waited = f"no snapshot within {options.snapshot_timeout:g} s"
                    self.resync(market, waited, automatic=True)
            with self._lock:
                needed = self._state.resync_needed()
            for market, reason in needed:
                # Reported once by the state, so keep it until the rate limit lets it through.
                self._deferred_resyncs[market] = sanitize(str(reason), 120)
            for market, reason in list(self._deferred_resyncs.items()):
                if self.resync(market, reason, automatic=True) or not self._registry.is_desired(
                    Channel(ChannelType.MARKET_DATA, market)
                ):
                    del self._deferred_resyncs[market]

    # -- incoming events ---------------------------------------------------------------

    def _handler(self) -> Callable[[ServerEvent, int], None]:
        """The one handler of every event: apply, emit, then what it changes here. A book
        UPDATE (the bulk of the traffic) stops after its lag; a closure reads no attributes."""
        apply, emit, lag, control = (
            self._state.apply,
            self._emit,
            self._metrics.lag_ns,
            self._control,
        )

        def handle(event: ServerEvent, received_ns: int) -> None:
            apply(event, received_ns)
            emit(event)
            if type(event) is BookUpdate:
                lag[event.market] = received_ns - event.time_ns
                return
            control(event, received_ns)

        return handle

    def _control(self, event: ServerEvent, received_ns: int) -> None:
        data_channel = _DATA_CHANNEL.get(type(event))
        if data_channel is not None:
            market = str(getattr(event, "market", ""))
            self._data_arrived(Channel(data_channel, market), event, received_ns)
        elif isinstance(event, Heartbeat):
            self._beat()
        elif isinstance(event, OperationResult):
            for outcome in self._registry.apply_result(event):
                self._answered(outcome)
        elif isinstance(event, SubscriptionList):
            plan = self._registry.apply_list(event)
            if plan.subscribe:
                log.info("server lacks %s: resubscribing", ", ".join(map(str, plan.subscribe)))
                self.enqueue(SUBSCRIBE, plan.subscribe)
            if plan.unsubscribe:
                self.enqueue(UNSUBSCRIBE, plan.unsubscribe)
        elif isinstance(event, ServerError):
            self._server_error(event)
        elif isinstance(event, Rejected):
            if event.channel == ChannelType.HEARTBEAT:
                self._beat()  # any frame on the heartbeat channel proves the server is alive
            text = f"frame rejected: {event.detail or event.reason}"
            self._emit(Problem("frame", event.reason, sanitize(text), event.market))
        self._publish_registry()

    def _beat(self) -> None:
        self.heartbeat.beat(self._clock())
        self.got_data = True
        self._registry.set_data(Channel(ChannelType.HEARTBEAT), DataState.LIVE)

    def _data_arrived(self, channel: Channel, event: Any, received_ns: int) -> None:
        if isinstance(event, Execution) and self._state.tape.too_new != self._prints_too_new:
            self._prints_too_new = self._state.tape.too_new
            text = f"print refused: {event.executed_at} is far ahead of the server clock"
            self._emit(Problem("data", "PRINT_TOO_NEW", sanitize(text), channel.market))
        exchange_ns = event.executed_at_ns if isinstance(event, Execution) else event.time_ns
        self._metrics.lag_ns[channel.market or ""] = received_ns - exchange_ns
        if isinstance(event, BookSnapshot):
            self._sync_started.pop(event.market, None)
        self.got_data = True
        if self._registry.is_desired(channel):
            self._registry.set_data(channel, DataState.LIVE)

    def _answered(self, outcome: ChannelOutcome) -> None:
        channel = outcome.channel
        if outcome.unsolicited:
            text = f"ignored an unsolicited {outcome.action} answer for {channel}"
            log.warning("%s", sanitize(text))
            self._emit(Problem("server", "UNSOLICITED_RESULT", sanitize(text), channel.market))
            return
        self._emit(SubscriptionAnswered(outcome.action, channel, outcome.success, outcome.error))
        answered = outcome.action == SUBSCRIBE and (outcome.success or outcome.no_effect)
        if channel.type == ChannelType.HEARTBEAT:
            if answered:
                self.heartbeat.subscribed(self._clock())
            else:
                self.heartbeat.stop()  # refused or unsubscribed: liveness is the ping alone
        market = channel.market if channel.type == ChannelType.MARKET_DATA else None
        if market and answered:
            book = self._state.book(market)
            if book is not None and book.status == "SYNCING":  # timed from the ack
                self._sync_started[market] = self._clock()
        if outcome.success or outcome.no_effect:
            return
        code = outcome.error or "UNKNOWN"
        if (
            channel.type == ChannelType.MARKET_DATA
            and channel.market
            and outcome.action == SUBSCRIBE
        ):
            self._sync_started.pop(channel.market, None)
            self._state.end_sync(channel.market)
        message = f"{outcome.action} {channel} failed: {code}. {explain(code)}"
        log.warning("%s", sanitize(message))
        self._emit(Problem("channel", code, sanitize(message), channel.market))
        if code == INTERNAL_SERVER_ERROR and outcome.action == SUBSCRIBE:
            # A server fault, not a configuration error: retry on a new connection, paced by
            # the backoff (a per-channel resubscribe loop would have no backoff).
            self._end_reason = f"server fault subscribing {channel}"

    def _server_error(self, event: ServerError) -> None:
        if outcomes := self._registry.refused_by(event):  # a request refused whole (§14 #7)
            for outcome in outcomes:
                self._answered(outcome)
            return
        code = event.code
        message = f"server error {code}: {explain(code)}"
        log.warning("%s", sanitize(message))
        self._emit(Problem("server", code, sanitize(message)))
        if code == INTERNAL_SERVER_ERROR:
            self._end_reason = "server reported INTERNAL_SERVER_ERROR"
