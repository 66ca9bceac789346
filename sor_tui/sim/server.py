"""The simulator: token endpoint plus WebSocket server, as one async context manager."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from sor_tui.sim import wire
from sor_tui.sim.config import SOR_SCOPE, ClientSpec, SimConfig
from sor_tui.sim.engine import HB, Engine
from sor_tui.sim.markets import AMOUNT_DECIMALS
from sor_tui.sim.oauth import OAuthServer
from sor_tui.sim.operations import Operations
from sor_tui.sim.scenarios import ScenarioSet, parse_scenario
from sor_tui.sim.session import Session
from sor_tui.sim.stats import SimStats
from sor_tui.sim.tokens import IssuedToken, TokenStore

log = logging.getLogger("sor_tui.sim")


class Simulator:
    """A local Paxos SOR server: ``async with Simulator(SimConfig()) as sim: ...``."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self._frames: Counter[str] = Counter()
        self._ready = False  # scenario switches before the engine exists need no reaction
        self.scenarios = ScenarioSet(self._scenario_changed)
        clients = [ClientSpec(self.config.client_id, self.config.client_secret)]
        self.tokens = TokenStore(clients + list(self.config.extra_clients), self.config.token_ttl)
        self.engine = Engine(self.config, self.scenarios, self._frames)
        self.operations = Operations(self.engine, self.scenarios)
        self.oauth = OAuthServer(self.config, self.tokens, self.scenarios)
        self.sessions: set[Session] = set()
        self._handshakes: Counter[int] = Counter()
        self._opened = 0
        self._5xx_sent = 0
        self._hang_release = asyncio.Event()
        self._connections_changed = asyncio.Event()
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._drop_task: asyncio.Task[None] | None = None
        self.ws_port = 0
        self._ready = True
        configured = self.config.scenarios
        if isinstance(configured, str):
            configured = [configured]
        if not isinstance(configured, Mapping):  # also accept ["name", "name:k=v", ...]
            configured = dict(parse_scenario(text) for text in configured)
        for name, params in configured.items():
            self.scenarios.set(name, True, **params)

    def __repr__(self) -> str:
        return f"Simulator(ws_url={self.ws_url!r}, sessions={len(self.sessions)})"

    # -- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the token endpoint, the WebSocket server and the generators."""
        self._hang_release = asyncio.Event()
        self._connections_changed = asyncio.Event()
        self.engine.apply_scenarios()
        await self.oauth.start()
        cfg = self.config
        self._server = await serve(
            self._handle,
            cfg.host,
            cfg.ws_port,
            process_request=self._process_request,
            open_timeout=None,
            ping_interval=cfg.ping_interval,
            ping_timeout=cfg.ping_timeout,
            close_timeout=cfg.close_timeout,
            max_size=1 << 20,
            # Offered only under the ``compress`` scenario (see _process_request).
            compression="deflate",
        )
        self.ws_port = next(iter(self._server.sockets)).getsockname()[1]
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self.engine.run(self.sessions), name="sim-engine"),
            loop.create_task(self._heartbeats(), name="sim-heartbeat"),
        ]
        for task in self._tasks:
            task.add_done_callback(_log_crash)
        self._scenario_changed("drop", self.scenarios.on("drop"))
        log.info("simulator listening: %s and %s", self.ws_url, self.oauth_url)

    async def stop(self) -> None:
        """Stop everything; no task is left behind."""
        self._hang_release.set()
        tasks = [*self._tasks, *([self._drop_task] if self._drop_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks, self._drop_task = [], None
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None
        await self.oauth.stop()

    # -- addresses and credentials -----------------------------------------------------

    @property
    def _host(self) -> str:
        return f"[{self.config.host}]" if ":" in self.config.host else self.config.host

    @property
    def ws_url(self) -> str:
        """The WebSocket URL, ``ws://HOST:PORT/``."""
        return f"ws://{self._host}:{self.ws_port}/"

    @property
    def oauth_url(self) -> str:
        """The token endpoint URL."""
        return f"http://{self._host}:{self.oauth.port}/oauth2/token"

    @property
    def client_id(self) -> str:
        """The default client id."""
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        """The default client secret."""
        return self.config.client_secret

    def add_client(
        self,
        client_id: str,
        secret: str,
        scopes: tuple[str, ...] = (SOR_SCOPE,),
        allow_listed: bool = True,
    ) -> None:
        """Register another OAuth client (e.g. one without the SOR scope or allow-listing)."""
        self.tokens.add_client(ClientSpec(client_id, secret, tuple(scopes), allow_listed))

    def revoke_tokens(self) -> None:
        """Revoke every issued token (later handshakes get 401)."""
        self.tokens.revoke_all()

    def expire_tokens(self) -> None:
        """Expire every issued token now (and close connections under close_at_token_expiry)."""
        self.tokens.expire_all()
        params = self.scenarios.params("close_at_token_expiry")
        if params is not None:
            for session in list(self.sessions):
                session.close(int(params["code"]), str(params["reason"]))

    # -- scenarios and faults ----------------------------------------------------------

    def set_scenario(self, name: str, enabled: bool = True, **params: Any) -> None:
        """Switch a named scenario on (with parameters) or off, effective immediately."""
        self.scenarios.set(name, enabled, **params)

    def _scenario_changed(self, name: str, enabled: bool) -> None:
        if not self._ready:
            return
        self.engine.apply_scenarios()
        if name == "handshake_hang" and not enabled:
            self._hang_release.set()
            self._hang_release = asyncio.Event()
        elif name == "http_5xx":
            self._5xx_sent = 0
        elif name == "oauth_5xx":
            self.oauth.reset_5xx()
        elif name == "internal_error" and enabled:
            for session in list(self.sessions):
                session.send(
                    wire.error_frame("INTERNAL_SERVER_ERROR").encode(), "error", data_frame=False
                )
        if name in ("drop", "close", "slow_consumer", "garbage_frames"):
            for session in list(self.sessions):
                self._configure(session)
        if name == "drop" and self._server is not None:
            self._restart_drop_timer()

    def _restart_drop_timer(self) -> None:
        if self._drop_task is not None:
            self._drop_task.cancel()
            self._drop_task = None
        params = self.scenarios.params("drop")
        if params is None:
            return
        if params["every"]:
            self._drop_task = asyncio.get_running_loop().create_task(
                self._drop_every(float(params["every"]))
            )
        elif params["after_frames"] is None:
            self.drop_connections()

    async def _drop_every(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.drop_connections()

    def _configure(self, session: Session) -> None:
        sc = self.scenarios
        drop = sc.params("drop")
        session.drop_after = drop["after_frames"] if drop else None
        close = sc.params("close")
        if close is not None and close["after_frames"] is not None:
            session.close_after = (int(close["after_frames"]), int(close["code"]), close["reason"])
        else:
            session.close_after = None
        slow = sc.params("slow_consumer")
        session.max_queue_bytes = int(slow["threshold"]) if slow else self.config.max_queue_bytes
        session.overflow_code = int(slow["code"]) if slow else 1008
        garbage = sc.params("garbage_frames")
        session.set_garbage(int(garbage["every"]) if garbage else 0, garbage and garbage["kinds"])
        if close is not None and close["after_frames"] is None:
            session.close(int(close["code"]), str(close["reason"]))

    def drop_connections(self) -> None:
        """Abort every open connection at the TCP level (no close frame)."""
        for session in list(self.sessions):
            session.abort()

    def close_connections(self, code: int = 1001, reason: str = "") -> None:
        """Close every open connection with a close code."""
        for session in list(self.sessions):
            session.close(code, reason)

    def pause(self) -> None:
        """Stop the generators (pending SNAPSHOTs are sent at once); books stay still."""
        self.engine.pause()

    def resume(self) -> None:
        """Restart the generators."""
        self.engine.resume()

    def step(self, count: int = 1, market: str | None = None) -> None:
        """Generate ``count`` events per market (or for one market) now, even while paused."""
        markets = [market] if market else list(self.engine.generators)
        for _ in range(count):
            for name in markets:
                self.engine.step(name)

    # -- inspection --------------------------------------------------------------------

    def server_book(self, market: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The server's current book, best first, as canonical decimal strings."""
        gen = self.engine.generators[market]
        decimals = gen.spec.price_decimals

        def as_text(price: int, amount: int) -> tuple[str, str]:
            """One level as canonical strings."""
            return wire.canonical(price, decimals), wire.canonical(amount, AMOUNT_DECIMALS)

        bids = [as_text(p, a) for p, a in reversed(gen.bids.items())]
        asks = [as_text(p, a) for p, a in gen.asks.items()]
        return bids, asks

    def sent_executions(self, market: str | None = None) -> list[dict[str, str]]:
        """Every distinct execution sent to at least one client (replays excluded), in order."""
        return [dict(e) for e in self.engine.sent_executions if market in (None, e["market"])]

    @property
    def stats(self) -> SimStats:
        """A snapshot of the counters."""
        return SimStats(
            token_requests=self.oauth.requests,
            token_responses=Counter(self.oauth.responses),
            handshakes=Counter(self._handshakes),
            connections_opened=self._opened,
            frames_sent=Counter(self._frames),
            active_subscriptions=sum(len(s.subscriptions) for s in self.sessions),
        )

    async def wait_for_connections(self, count: int, within: float = 10.0) -> None:
        """Wait until at least ``count`` connections are open (TimeoutError after ``within`` s)."""
        async with asyncio.timeout(within):
            while len(self.sessions) < count:
                self._connections_changed.clear()
                await self._connections_changed.wait()

    # -- WebSocket ---------------------------------------------------------------------

    def _reject(self, connection: ServerConnection, status: int, text: str = "") -> Response:
        self._handshakes[status] += 1
        return connection.respond(HTTPStatus(status), text)

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        sc = self.scenarios
        if sc.on("handshake_hang"):
            release = self._hang_release
            await release.wait()
            return self._reject(connection, 503, "Service Unavailable\n")
        if request.path.partition("?")[0] != "/":
            return self._reject(connection, 404, "Not Found\n")
        fault = sc.params("http_5xx")
        if fault is not None and (fault["times"] is None or self._5xx_sent < fault["times"]):
            self._5xx_sent += 1
            return self._reject(connection, int(fault["status"]), "upstream unavailable\n")
        issued = self._authorize(request.headers)
        if issued is None:
            return self._reject(connection, 401)
        spec = self.tokens.clients.get(issued.client_id)
        if SOR_SCOPE not in issued.scopes or spec is None or not spec.allow_listed:
            return self._reject(connection, 403)
        if not sc.on("compress") and "Sec-WebSocket-Extensions" in request.headers:
            # Without the scenario the server declines compression, as by default (§14 #27).
            del request.headers["Sec-WebSocket-Extensions"]
        connection.sim_token = issued  # type: ignore[attr-defined]
        self._handshakes[101] += 1
        return None

    def _authorize(self, headers: Headers) -> IssuedToken | None:
        value = headers.get("Authorization", "")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        issued = self.tokens.lookup(token.strip())
        return issued if issued is not None and issued.valid() else None

    async def _handle(self, connection: ServerConnection) -> None:
        issued: IssuedToken | None = getattr(connection, "sim_token", None)
        session = Session(connection, issued, self._frames, self.config.max_queue_bytes)
        session.compress = bool(connection.protocol.extensions)
        self._configure(session)
        self._opened += 1
        accept_close = self.scenarios.params("accept_then_close")
        if accept_close is not None:
            await connection.close(int(accept_close["code"]), str(accept_close["reason"]))
            return
        drop = self.scenarios.params("drop")
        if drop is not None and drop["after_frames"] is None and drop["every"] is None:
            connection.transport.abort()
            return
        self.sessions.add(session)
        self._connections_changed.set()
        session.spawn(session.run_writer())
        if issued is not None:
            session.spawn(self._expiry_watch(session, issued))
        try:
            async for message in connection:
                await self.operations.handle(session, message)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.discard(session)
            self._connections_changed.set()
            self.engine.forget(session)
            session.closing = True
            for task in list(session.tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*session.tasks, return_exceptions=True)

    async def _expiry_watch(self, session: Session, issued: IssuedToken) -> None:
        while True:
            remaining = issued.expires_at - time.monotonic()
            if remaining <= 0:
                params = self.scenarios.params("close_at_token_expiry")
                if params is not None:
                    session.close(int(params["code"]), str(params["reason"]))
                    return
                remaining = 1.0
            await asyncio.sleep(min(remaining, 1.0))

    async def _heartbeats(self) -> None:
        variants = self.engine.variants
        while True:
            await asyncio.sleep(variants.heartbeat_interval(self.config.heartbeat_interval))
            subscribers = self.engine.subscribers.get((HB, None))
            if not subscribers or self.scenarios.on("stall_heartbeat"):
                continue
            frame = variants.heartbeat_frame(self.engine.heartbeat_time()).encode()
            for session in list(subscribers):
                session.send(frame, "heartbeat")


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("simulator task %s crashed", task.get_name(), exc_info=task.exception())
