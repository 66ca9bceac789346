"""The resilient SOR feed: connect, subscribe, read, reconnect, until stopped.

``Feed.run()`` is the connect/reconnect loop. Each attempt takes a token with ample
lifetime and builds the Authorization header fresh (pitfall §13.7, §13.14); handshake
outcomes follow protocol §3.3: 401 → refresh the token once, then back off; 403 and final
token errors stop (a 403 means a missing scope or allow-list entry, which no retry fixes,
so we stop and tell the user instead of retrying minutes later); everything else backs off
with full jitter. Each connection is a ``Session``; losing it discards all per-connection
state and marks books stale at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.protocol import State

from sor_tui import __version__
from sor_tui.core.events import Channel, ChannelType
from sor_tui.core.sanitize import sanitize
from sor_tui.core.state import DeskState
from sor_tui.core.subscriptions import SUBSCRIBE, UNSUBSCRIBE, SubscriptionRegistry
from sor_tui.transport.backoff import Backoff, ReconnectPolicy
from sor_tui.transport.connect import (
    ConnectWithoutRedirects,
    describe_connect_error,
    websocket_proxy,
)
from sor_tui.transport.fastframes import FastConnection
from sor_tui.transport.metrics import Metrics
from sor_tui.transport.oauth import TokenError, parse_retry_after
from sor_tui.transport.options import (
    FeedOptions,
    TokenLike,
    TokenSource,
    channels_from_settings,
)
from sor_tui.transport.reader import StateLock
from sor_tui.transport.session import Session
from sor_tui.transport.status import (
    FeedCounters,
    FeedEvent,
    FeedState,
    FeedStatus,
    Problem,
    StatusChanged,
    SubscriptionsChanged,
)

__all__ = ["Feed", "FeedOptions", "TokenSource", "channels_from_settings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Outcome:
    detail: str
    final: FeedState | None = None
    retry_after: float | None = None
    immediate: bool = False


class Feed:
    """One multiplexed SOR connection kept alive, with its subscriptions and desk state."""

    def __init__(
        self,
        ws_url: str,
        tokens: TokenSource,
        desired: Iterable[Channel],
        *,
        options: FeedOptions,
        state: DeskState | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_frame: Callable[[str | bytes, int], None] | None = None,
        lock: StateLock | None = None,
    ) -> None:
        self._url = ws_url
        # The desk state's one lock: the reader holds it per batch of frames, and so does
        # any other change made here; readers on other threads take it per read.
        self._lock: StateLock = lock if lock is not None else threading.RLock()
        self._on_frame = on_frame  # sees every raw frame with its receive time (recording)
        self._tokens = tokens
        self._options = options
        self._state = state if state is not None else DeskState()
        self._registry = SubscriptionRegistry(list(desired))
        self._tell_desired_markets()
        self._clock = clock
        backoff = Backoff(options.backoff_floor, options.backoff_cap, rng=rng)
        self._policy = ReconnectPolicy(backoff, clock=clock)
        self._metrics = Metrics(clock)
        self._status = FeedStatus(FeedState.CONNECTING, "not started", since=clock())
        self._on_event: Callable[[FeedEvent], None] | None = None
        self._session: Session | None = None
        self._main: asyncio.Task[None] | None = None
        self._finished: asyncio.Event | None = None
        self._stopping = False
        self._retried_401 = False
        self._last_resync: dict[str, float] = {}
        self._heartbeat_learned: float | None = None  # the server's interval, kept across
        self._published_version = -1

    # -- public state ------------------------------------------------------------------

    @property
    def state(self) -> DeskState:
        """The desk state every decoded event is applied to."""
        return self._state

    @property
    def lock(self) -> StateLock:
        """The desk state's lock: hold it while reading the state from another thread."""
        return self._lock

    @property
    def registry(self) -> SubscriptionRegistry:
        """The desired-subscription registry (read it; change it via subscribe/unsubscribe)."""
        return self._registry

    @property
    def status(self) -> FeedStatus:
        """The current connection status."""
        return self._status

    @property
    def counters(self) -> FeedCounters:
        """A frozen snapshot of the feed's counters (rejected frames as the state counts them)."""
        with self._lock:
            rejects = dict(self._state.rejects_by_reason)
        return replace(
            self._metrics.snapshot(rejects), clock_offset_ns=self._state.server_clock.offset_ns
        )

    @property
    def extensions(self) -> tuple[str, ...]:
        """WebSocket extensions negotiated on the current connection (permessage-deflate)."""
        session = self._session
        if session is None:
            return ()
        return tuple(str(extension.name) for extension in session.ws.protocol.extensions)

    def token_expires_in(self) -> float | None:
        """Seconds of lifetime left on the cached token, if any."""
        return self._tokens.expires_in()

    # -- commands (callable at any time) -----------------------------------------------

    def subscribe(self, channels: Iterable[Channel]) -> tuple[Channel, ...]:
        """Add channels to the desired set and subscribe them now if connected."""
        added = self._registry.add(list(channels))
        self._tell_desired_markets()
        if added and self._session is not None:
            self._session.enqueue(SUBSCRIBE, added)
        self._publish_registry()
        return added

    def unsubscribe(self, channels: Iterable[Channel]) -> tuple[Channel, ...]:
        """Remove channels from the desired set and unsubscribe them now if connected."""
        removed = self._registry.remove(list(channels))
        self._tell_desired_markets()
        for channel in removed:
            if channel.type == ChannelType.MARKET_DATA and channel.market:
                with self._lock:
                    self._state.end_sync(channel.market)
        on_server = tuple(c for c in removed if self._registry.get(c) is not None)
        if on_server and self._session is not None:
            self._session.enqueue(UNSUBSCRIBE, on_server)
        self._publish_registry()
        return removed

    def _tell_desired_markets(self) -> None:
        # Prints and top of book of markets not subscribed to are dropped (and counted).
        markets = {channel.market for channel in self._registry.desired() if channel.market}
        with self._lock:
            self._state.set_desired_markets(markets)

    def resync(self, market: str) -> bool:
        """Fetch a fresh SNAPSHOT for a book (unsubscribe + subscribe); False if not possible."""
        if self._session is None:
            return False
        return self._session.resync(market.upper(), "requested", automatic=False)

    def refresh_subscription_list(self) -> None:
        """Ask the server for its subscription list to reconcile the registry."""
        if self._session is not None:
            self._session.enqueue("list")

    async def stop(self) -> None:
        """Stop for good: no reconnect, close the connection, return within a couple seconds."""
        self._stopping = True
        self._policy.stop()
        main = self._main
        if main is None or main.done():
            if self._main is None:
                self._set_status(FeedState.STOPPED, "stopped")
            return
        if main is not asyncio.current_task():
            main.cancel()
        if self._finished is not None:
            try:
                await asyncio.wait_for(self._finished.wait(), self._options.close_timeout + 1.0)
            except TimeoutError:
                log.warning("feed did not stop within its close timeout")

    # -- the loop ----------------------------------------------------------------------

    async def run(self, on_event: Callable[[FeedEvent], None] | None = None) -> None:
        """Connect and reconnect until ``stop()`` or a final authentication failure."""
        if self._main is not None:
            raise RuntimeError("Feed.run() may only be called once")
        self._on_event = on_event
        self._finished = asyncio.Event()
        if self._stopping:
            self._set_status(FeedState.STOPPED, "stopped")
            self._finished.set()
            return
        self._main = asyncio.create_task(self._loop(), name="sor-feed")
        try:
            await self._main
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not self._stopping or (current is not None and current.cancelling()):
                self._main.cancel()
                raise  # our caller was cancelled: honour it
        finally:
            if not self._status.final:
                self._set_status(FeedState.STOPPED, "stopped")
            self._finished.set()

    async def _loop(self) -> None:
        async for attempt in self._policy:
            self._set_status(FeedState.CONNECTING, "connecting", attempt=attempt)
            outcome = await self._attempt()
            if outcome.final is not None:
                self._set_status(outcome.final, outcome.detail)
                return
            if self._stopping:
                return
            self._policy.failed(outcome.retry_after, immediate=outcome.immediate)
            self._set_status(
                FeedState.RECONNECTING,
                outcome.detail,
                retry_at=self._policy.retry_at,
                attempt=self._policy.attempt,  # 0 when a healthy connection was lost
            )

    async def _attempt(self) -> _Outcome:
        try:
            token = await self._tokens.get_token(min_ttl=self._options.token_min_ttl)
        except TokenError as exc:
            message = sanitize(str(exc)) or exc.kind
            self._problem("token", exc.kind, f"access token: {message}")
            if exc.final:
                return _Outcome(f"authentication failed: {exc.kind}", final=FeedState.AUTH_FAILED)
            wait = None if exc.retry_at is None else exc.retry_at - time.monotonic()
            return _Outcome(f"token request failed: {exc.kind}", retry_after=wait)
        try:
            ws = await self._open(token)
        except InvalidStatus as exc:
            return self._rejected_handshake(exc, token)
        except (OSError, TimeoutError, WebSocketException) as exc:
            detail = describe_connect_error(exc)
            log.info("connection attempt failed: %s", detail)
            return _Outcome(detail)
        self._retried_401 = False
        return await self._connected(ws)

    async def _open(self, token: TokenLike) -> ClientConnection:
        options = self._options
        # Fresh header per attempt from the current token (never extra_headers, §13.14).
        headers = {"Authorization": f"Bearer {token.value.get_secret_value()}"}
        return await ConnectWithoutRedirects(
            self._url,
            additional_headers=headers,
            user_agent_header=f"sor-tui/{__version__}",
            open_timeout=options.open_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            close_timeout=options.close_timeout,
            max_size=options.max_frame_bytes,
            create_connection=FastConnection,
            proxy=websocket_proxy(self._url),
        )

    def _rejected_handshake(self, exc: InvalidStatus, token: Any) -> _Outcome:
        status = exc.response.status_code
        if 300 <= status < 400:
            where = sanitize(exc.response.headers.get("Location", "nowhere"), 120)
            text = (
                f"HTTP {status}: the server redirected the connection to {where}; redirects "
                "are refused (the bearer token goes only to the configured URL)"
            )
            self._problem("handshake", "redirect", text)
            return _Outcome(f"handshake HTTP {status} (redirect refused)")
        if status == 401:
            self._tokens.invalidate(token)
            if not self._retried_401:
                self._retried_401 = True
                return _Outcome("handshake 401: refreshing the token", immediate=True)
            self._problem("handshake", "401", "the server rejected a fresh token (HTTP 401)")
            return _Outcome("handshake 401 with a fresh token")
        if status == 403:
            text = "HTTP 403: the credential lacks the SOR scope or is not allow-listed"
            self._problem("handshake", "403", text)
            return _Outcome(text, final=FeedState.FORBIDDEN)
        retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
        return _Outcome(f"handshake HTTP {status}", retry_after=retry_after)

    async def _connected(self, ws: ClientConnection) -> _Outcome:
        session = Session(
            ws,
            registry=self._registry,
            state=self._state,
            options=self._options,
            metrics=self._metrics,
            emit=self._emit,
            publish_registry=self._publish_registry,
            last_resync=self._last_resync,
            clock=self._clock,
            lock=self._lock,
            on_frame=self._on_frame,
            heartbeat_learned=self._heartbeat_learned,
        )
        self._session = session
        self._set_status(FeedState.CONNECTED, "connected")
        reason = "connection lost"
        try:
            reason = await session.run()
        finally:
            self._session = None
            self._heartbeat_learned = session.heartbeat.interval
            self._lost()  # books go stale before any wait for the close handshake
            await self._close(ws)
        if self._clock() - session.opened_at >= self._options.healthy_after and session.got_data:
            self._policy.healthy()
        self._metrics.reconnects += 1
        log.info("connection ended: %s", reason)
        return _Outcome(reason)

    async def _close(self, ws: ClientConnection) -> None:
        """Close politely if the connection still works, else drop it at once."""
        try:
            if ws.state is State.OPEN:
                await asyncio.wait_for(ws.close(), self._options.close_timeout)
        except (OSError, TimeoutError, WebSocketException):
            pass
        finally:
            # A failing link must not hold up the reconnect, and a cancelled close must
            # not leak the socket.
            if ws.state is not State.CLOSED:
                ws.transport.abort()

    def _lost(self) -> None:
        """Discard per-connection state: books go stale now, answers are forgotten."""
        with self._lock:
            self._state.connection_lost()
        self._registry.connection_lost()
        self._publish_registry()

    # -- events ------------------------------------------------------------------------

    def _emit(self, event: FeedEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _problem(self, source: str, code: str, message: str, market: str | None = None) -> None:
        text = sanitize(message)
        log.warning("%s: %s", source, text)
        self._emit(Problem(source, sanitize(code, 64), text, market))

    def _publish_registry(self) -> None:
        if self._registry.version != self._published_version:
            self._published_version = self._registry.version
            self._emit(SubscriptionsChanged(self._registry.entries()))

    def _set_status(
        self, state: FeedState, detail: str, *, retry_at: float | None = None, attempt: int = 0
    ) -> None:
        self._status = FeedStatus(state, sanitize(detail), retry_at, attempt, self._clock())
        log.info("feed %s: %s", state, self._status.detail)
        self._emit(StatusChanged(self._status))
