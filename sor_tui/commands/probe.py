"""``sor-tui probe``: a first-contact report on what a real SOR environment chose.

Read-only and bounded: it connects with the same credentials and options as ``stream``,
subscribes the configured channels plus one deliberately unknown market (to see how a
refusal is spelt), watches the raw frames for ``--duration`` seconds and prints a short
summary; ``--json PATH`` writes the full report, which holds no secret (no credential,
no token, no frame content beyond counts, spellings and shapes). Exit status as
``stream``: 0 done, 2 configuration or credentials, 3 credentials refused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sor_tui.core.events import Channel, ChannelType
from sor_tui.core.probe_report import ProbeObserver, summary
from sor_tui.core.state import DeskState
from sor_tui.transport.feed import Feed, FeedOptions, channels_from_settings
from sor_tui.transport.status import FeedEvent, FeedState, StatusChanged, SubscriptionAnswered

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_AUTH = 3
UNKNOWN_MARKET = "ZZZPROBEUSD"
"""A market no venue lists: its refusal shows the server's error shape."""

if TYPE_CHECKING:  # pydantic is imported only when the command runs
    from sor_tui.config.credentials import Credentials
    from sor_tui.config.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``probe`` command's options (``stream``'s connection options)."""
    parser.add_argument("--markets", help="comma-separated markets, e.g. BTCUSD,ETHUSD")
    parser.add_argument("--channels", help="comma-separated channel types")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--json", type=Path, help="write the full report (no secrets) here")
    parser.add_argument("--ws-url", help="WebSocket URL (overrides the environment's)")
    parser.add_argument("--oauth-url", help="OAuth2 token URL (overrides the environment's)")
    parser.add_argument("--environment", help="sandbox, production or demo")
    parser.add_argument("--sim", action="store_true", help="probe the local simulator")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="with --sim: a simulator scenario, e.g. heartbeat_interval:seconds=2 (repeatable)",
    )
    parser.add_argument("--log-level", help="stderr log level (default: setting, WARNING)")


def run(args: argparse.Namespace) -> int:
    """Probe for ``--duration`` seconds, print the summary, write the JSON report."""
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"sor-tui probe: {message}", file=sys.stderr)
    return code


async def _main(args: argparse.Namespace) -> int:
    if args.duration <= 0:
        return _fail("--duration must be positive", EXIT_CONFIG)
    if args.scenario and not args.sim:
        return _fail("--scenario needs --sim", EXIT_CONFIG)
    names = ("markets", "channels", "ws_url", "oauth_url", "environment", "log_level")
    overrides: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n, None)}
    if args.sim:
        async with _simulator(args.scenario) as sim_overrides:
            return await _probe_command(args, {**overrides, **sim_overrides})
    return await _probe_command(args, overrides)


@contextlib.asynccontextmanager
async def _simulator(scenarios: list[str]) -> AsyncIterator[dict[str, Any]]:
    # Imported only for --sim: probing a real service never loads the simulator.
    from sor_tui.sim.config import SimConfig
    from sor_tui.sim.server import Simulator

    async with Simulator(SimConfig(scenarios=scenarios, heartbeat_interval=1.0)) as sim:
        print(f"sor-tui probe: simulator on {sim.ws_url}", file=sys.stderr)
        yield {
            "environment": "demo",
            "ws_url": sim.ws_url,
            "oauth_url": sim.oauth_url,
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        }


async def _probe_command(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from sor_tui.config.credentials import (
        CredentialStore,
        CredentialStoreError,
        aresolve_credentials,
    )
    from sor_tui.config.settings import ConfigError, load_settings

    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        return _fail(" ".join(exc.message.split()), EXIT_CONFIG)
    try:
        credentials = await aresolve_credentials(settings, CredentialStore())
    except CredentialStoreError as exc:
        return _fail(" ".join(exc.message.split()), EXIT_CONFIG)
    if credentials is None:
        advice = "set SOR_CLIENT_ID and SOR_CLIENT_SECRET, or run 'sor-tui login'"
        return _fail(f"no credentials: {advice}", EXIT_CONFIG)
    report, state = await probe(settings, credentials, args.duration)
    print("\n".join(summary(report)))
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            return _fail(f"cannot write {args.json}: {exc.strerror}", EXIT_CONFIG)
    if state in (FeedState.AUTH_FAILED, FeedState.FORBIDDEN):
        return _fail(f"the credentials were refused ({state})", EXIT_AUTH)
    return EXIT_OK


async def probe(
    settings: Settings, credentials: Credentials, duration: float
) -> tuple[dict[str, Any], FeedState]:
    """Connect, watch for ``duration`` seconds, and return the report and the final state."""
    from sor_tui.transport.oauth import redacted_token_provider

    observer = ProbeObserver(UNKNOWN_MARKET)
    async with redacted_token_provider(settings, credentials) as tokens:
        state = DeskState()
        feed = Feed(
            settings.ws_url,
            tokens,
            channels_from_settings(settings.markets, settings.channels),
            options=FeedOptions.from_settings(settings),
            state=state,
            on_frame=observer.frame,
        )
        unknown = Channel(ChannelType.MARKET_DATA, UNKNOWN_MARKET)

        def on_event(event: FeedEvent) -> None:
            if isinstance(event, StatusChanged):
                observer.status(str(event.status.state), event.status.detail)
                if event.status.state is FeedState.CONNECTED:
                    observer.compression = list(feed.extensions)
            elif (
                isinstance(event, SubscriptionAnswered)
                and event.success
                and event.channel != unknown
                and not feed.registry.get(unknown)
            ):
                feed.subscribe([unknown])  # after a first success, so requests stay paced

        started = time.monotonic()
        timer = asyncio.get_running_loop().call_later(
            duration, lambda: asyncio.ensure_future(feed.stop())
        )
        try:
            await feed.run(on_event)
        finally:
            timer.cancel()
        observer.duration_s = time.monotonic() - started
        token = tokens.cached
        if token is not None:
            observer.token = {"lifetime_s": round(token.lifetime), "scope": token.scope}
    offset = state.server_clock.offset_ns
    observer.clock_offset_ms = None if offset is None else round(offset / 1e6, 1)
    observer.clock_source = state.server_clock.source
    report = observer.report()
    report["environment"] = settings.environment
    return report, feed.status.state
