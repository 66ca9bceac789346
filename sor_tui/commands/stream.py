"""``sor-tui stream``: headless JSON Lines, recording too with ``--record`` or ``SOR_RECORD``.

stdout carries one JSON object per line (``sor_tui.transport.json_lines``); logs go to
stderr. Exit status: 0 for a normal end (duration reached, SIGINT/SIGTERM), 2 for
configuration or credential problems, 3 when the server or token endpoint refuses the
credentials, 4 when a required recording cannot be written.

A command can attach a ``Companion`` (the recorder of ``stream --record`` and ``record``,
see ``transport.companion``): it provides the desk state and the raw-frame hook, watches the
run and can end it. ``sor-tui record`` runs through ``run_plan`` here with its own plan.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sor_tui.core.state import DeskState
from sor_tui.record.headless import HeadlessRecording, RecordingPolicy, RecordingStartError
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.transport.companion import Companion, CompanionError, HeadlessPlan
from sor_tui.transport.feed import Feed, FeedOptions, channels_from_settings
from sor_tui.transport.json_lines import JsonLinesWriter, run_feed
from sor_tui.transport.status import FeedState
from sor_tui.transport.stream_alerts import stream_alerts

if TYPE_CHECKING:
    from sor_tui.config.settings import Settings

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_AUTH = 3
EXIT_WRITE = 4


def add_feed_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a headless feed (``stream`` and ``record``)."""
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


def run_plan(args: argparse.Namespace, plan: HeadlessPlan | None = None) -> int:
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
    from sor_tui.transport.oauth import redacted_token_provider

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
    async with redacted_token_provider(settings, credentials) as tokens:
        state = (
            companion.state if companion is not None else DeskState(**settings.desk_state_options)
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
            failed = await run_feed(feed, writer, settings.render_rate, args.duration, companion)
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


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stream's options plus ``--record`` and ``--record-dir``."""
    add_feed_arguments(parser)
    add_record_arguments(parser)


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """``--record`` and ``--record-dir`` as the TUI has them."""
    parser.add_argument(
        "--record",
        action="store_true",
        default=None,
        help="also record every frame and execution (like SOR_RECORD=true)",
    )
    parser.add_argument("--record-dir", help="directory for recordings (default: data dir)")


def record_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The recording settings given on the command line."""
    chosen: dict[str, Any] = {}
    if getattr(args, "record", None):
        chosen["record"] = True
    if getattr(args, "record_dir", None):
        chosen["record_dir"] = args.record_dir
    return chosen


def headless_recording(
    settings: Settings, policy: RecordingPolicy, label: str
) -> HeadlessRecording:
    """A recorder for the settings' feed, writing to their recordings directory."""
    try:
        return HeadlessRecording(
            settings.recordings_path,
            ws_url=settings.ws_url,
            markets=settings.markets,
            policy=policy,
            label=label,
            state=RecordingDeskState(**settings.desk_state_options),
        )
    except RecordingStartError as error:
        raise CompanionError(str(error)) from error


def recorder_if_asked(settings: Settings) -> Companion | None:
    """A recorder when the settings ask for one (flag, environment, .env or config file)."""
    if not settings.record:
        return None
    return headless_recording(settings, RecordingPolicy(), "sor-tui stream")


def run(args: argparse.Namespace) -> int:
    """Stream, recording when asked; exit 4 when the recording cannot be written."""
    plan = HeadlessPlan(
        command="stream", overrides=record_overrides(args), companion=recorder_if_asked
    )
    return run_plan(args, plan)
