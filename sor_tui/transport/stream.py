"""``sor-tui stream``: headless JSON Lines of books, executions, subscriptions and status.

stdout carries one JSON object per line; logs go to stderr. Books are coalesced to at most
the render rate per market and always written once more in their final state; executions
are written every one, exactly once (the desk state de-duplicates replays). Exit status: 0
for a normal end (duration reached, SIGINT/SIGTERM), 2 for configuration or credential
problems, 3 when the server or token endpoint refuses the credentials, 4 when a required
recording cannot be written.

A command can attach a ``Companion`` (the recorder of ``stream --record`` and ``record``,
see ``companion``): it provides the desk state and the raw-frame hook, watches the run and
can end it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import IO, Any

from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel, TopOfBook
from sor_tui.core.numbers import canonical_text
from sor_tui.core.state import DeskState
from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.core.views import BookView
from sor_tui.transport.companion import (
    Companion,
    CompanionError,
    HeadlessPlan,
    watch_companion,
)
from sor_tui.transport.feed import Feed, FeedOptions, channels_from_settings
from sor_tui.transport.status import (
    FeedEvent,
    FeedState,
    Problem,
    StatusChanged,
    SubscriptionAnswered,
)
from sor_tui.transport.stream_alerts import StreamAlerts, stream_alerts

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_AUTH = 3
EXIT_WRITE = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``stream`` command's options."""
    parser.add_argument("--markets", help="comma-separated markets, e.g. BTCUSD,ETHUSD")
    parser.add_argument(
        "--channels", help="comma-separated channel types, e.g. market_data,execution_data"
    )
    parser.add_argument("--depth", type=int, help="price levels per book side (default: setting)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--ws-url", help="WebSocket URL (overrides the environment's)")
    parser.add_argument("--oauth-url", help="OAuth2 token URL (overrides the environment's)")
    parser.add_argument("--environment", help="sandbox, production or demo")
    parser.add_argument(
        "--sim", action="store_true", help="start the local simulator in-process and stream it"
    )
    parser.add_argument("--log-level", help="stderr log level (default: setting, WARNING)")
    parser.add_argument(
        "--trust-endpoint",
        action="store_true",
        help="send the stored secret to the configured token URL even though it was "
        "verified with another host (prefer 'sor-tui login --oauth-url ...')",
    )


def run(args: argparse.Namespace, plan: HeadlessPlan | None = None) -> int:
    """Run the stream until the duration ends, a signal arrives or authentication fails."""
    try:
        return asyncio.run(_main(args, plan or HeadlessPlan()))
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        return EXIT_OK


def _fail(message: str, code: int, command: str = "stream") -> int:
    print(f"sor-tui {command}: {message}", file=sys.stderr)
    return code


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("markets", "channels", "ws_url", "oauth_url", "environment", "log_level")
    overrides: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n, None)}
    if args.depth is not None:
        overrides["book_depth"] = args.depth
    return overrides


async def _main(args: argparse.Namespace, plan: HeadlessPlan) -> int:
    if args.duration is not None and args.duration <= 0:
        return _fail("--duration must be positive", EXIT_CONFIG, plan.command)
    overrides = {**_overrides(args), **plan.overrides}
    if args.sim:
        async with _simulator(plan.command) as sim_overrides:
            return await _stream(args, {**overrides, **sim_overrides}, plan)
    return await _stream(args, overrides, plan)


@contextlib.asynccontextmanager
async def _simulator(command: str) -> AsyncIterator[dict[str, Any]]:
    # Imported only for --sim: a production stream never loads the simulator.
    from sor_tui.sim.config import SimConfig
    from sor_tui.sim.server import Simulator

    async with Simulator(SimConfig()) as sim:
        print(f"sor-tui {command}: simulator on {sim.ws_url}", file=sys.stderr)
        yield {
            "environment": "demo",
            "ws_url": sim.ws_url,
            "oauth_url": sim.oauth_url,
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        }


async def _stream(args: argparse.Namespace, overrides: dict[str, Any], plan: HeadlessPlan) -> int:
    from sor_tui.config.credentials import (
        CredentialStoreError,
        StoreLockedError,
        aresolve_credentials,
        open_store,
    )
    from sor_tui.config.file_trust import secret_file_warnings
    from sor_tui.config.passphrase_prompt import unlock_with_prompt
    from sor_tui.config.settings import ConfigError, load_settings
    from sor_tui.transport.oauth import TokenProvider
    from sor_tui.transport.redact import credential_secrets, install_redaction

    command = plan.command
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        return _fail(" ".join(exc.message.split()), EXIT_CONFIG, command)
    _configure_logging(settings.log_level)
    for warning in secret_file_warnings():
        print(f"sor-tui stream: warning: {warning}", file=sys.stderr)
    try:
        store = open_store(settings)
        if settings.client_secret is None and sys.stdin.isatty():
            # A person at a terminal: ask (masked, on the terminal) rather than fail.
            await asyncio.to_thread(unlock_with_prompt, store, create=False)
        credentials = await aresolve_credentials(
            settings, store, trust_endpoint=getattr(args, "trust_endpoint", False)
        )
    except StoreLockedError as exc:
        return _fail(
            f"{exc.message} Without a terminal to ask on, set SOR_CLIENT_ID and "
            "SOR_CLIENT_SECRET instead.",
            EXIT_CONFIG,
        )
    except CredentialStoreError as exc:
        return _fail(" ".join(exc.message.split()), EXIT_CONFIG, command)
    if credentials is None:
        return _fail(
            "no credentials: set SOR_CLIENT_ID and SOR_CLIENT_SECRET, or run 'sor-tui login'",
            EXIT_CONFIG,
            command,
        )
    try:
        companion = plan.companion(settings) if plan.companion is not None else None
    except CompanionError as exc:
        return _fail(str(exc), EXIT_WRITE, command)
    async with TokenProvider(
        settings.oauth_url,
        credentials.client_id,
        credentials.client_secret,
        settings.scope,
        deadline=settings.token_deadline,
    ) as tokens:

        def current_token() -> str | None:
            cached = tokens.cached
            return None if cached is None else cached.value.get_secret_value()

        install_redaction(
            credential_secrets(
                credentials.client_id, credentials.client_secret.get_secret_value(), current_token
            )
        )
        state = (
            companion.state
            if companion is not None
            else DeskState(
                replay_window_ns=int(settings.replay_window * 1e9),
                crossed_resync=settings.crossed_book_resync,
            )
        )
        feed = Feed(
            settings.ws_url,
            tokens,
            channels_from_settings(settings.markets, settings.channels),
            options=FeedOptions.from_settings(settings),
            state=state,
            on_frame=companion.on_frame if companion is not None else None,
        )
        markets = list(settings.markets) if "market_data" in settings.channels else []
        out = sys.stdout if plan.json_lines else None
        alerts = stream_alerts(settings.alerts)
        writer = JsonLinesWriter(out, state, markets, settings.book_depth, alerts)
        try:
            failed = await _run_feed(feed, writer, settings.render_rate, args.duration, companion)
        finally:
            if alerts.webhook is not None:
                alerts.webhook.close(wait=2.0)
    status = feed.status
    if failed is not None:
        return _fail(failed, EXIT_WRITE, command)
    if status.state is FeedState.AUTH_FAILED:
        advice = "check SOR_CLIENT_ID and SOR_CLIENT_SECRET, or run 'sor-tui login'"
        return _fail(f"{status.detail}; {advice}", EXIT_AUTH, command)
    if status.state is FeedState.FORBIDDEN:
        return _fail(f"forbidden: {status.detail}", EXIT_AUTH, command)
    return EXIT_OK


async def _run_feed(
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


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


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
