"""``sor-tui demo``: start the built-in simulator in-process and open the desk on it.

The desk connects through the real client path (token fetch, handshake, subscribe) to the
simulator's ephemeral loopback ports; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sor_tui.commands.tui import (
    add_display_arguments,
    add_profile_argument,
    add_record_arguments,
    overrides,
    with_profile,
)
from sor_tui.config.credentials import open_store
from sor_tui.config.settings import ConfigError, Settings, load_settings
from sor_tui.runtime.sources import DemoSource, LoopbackServer
from sor_tui.ui.factory import make_app
from sor_tui.ui.logfile import setup_logging

DEMO_MARKETS = ("BTCUSD", "ETHUSD", "SOLUSD", "LTCUSD")

DEMO_RECORDED_EXECUTIONS = 10_000
"""Sent prints the demo's simulator remembers (its record for tests; the demo reads none)."""


def demo_source(
    settings: Settings,
    *,
    seed: int = 1,
    sim_options: dict[str, Any] | None = None,
    feed_overrides: dict[str, Any] | None = None,
) -> DemoSource:
    """A source that starts the simulator in-process and connects the real client to it."""
    # The demo never reads the simulator's record of sent prints (tests do): the default
    # keeps a million, which grows a long busy demo by hundreds of MB.
    options = {"max_recorded_executions": DEMO_RECORDED_EXECUTIONS, **(sim_options or {})}

    def new_server() -> LoopbackServer:
        from sor_tui.sim.config import SimConfig  # imported only when the demo runs
        from sor_tui.sim.server import Simulator

        return Simulator(SimConfig(seed=seed, **options))

    return DemoSource(settings, new_server, seed=seed, feed_overrides=feed_overrides)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``demo`` command."""
    parser.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    parser.add_argument("--rate", type=float, help="book updates per second per market")
    parser.add_argument("--markets", help="comma-separated markets (default: four)")
    parser.add_argument("--theme", help="sor-dark, sor-light, sor-colourblind or a Textual theme")
    parser.add_argument(
        "--scenario", action="append", default=[], help="enable a simulator fault scenario"
    )
    add_profile_argument(parser)
    add_record_arguments(parser)
    add_display_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the ``demo`` command."""
    chosen = overrides(args)
    try:
        settings = load_settings(**chosen)
        if "markets" not in settings.model_fields_set:
            # Nothing configured: the demo shows four markets to fill a wide terminal.
            settings = load_settings(**chosen, markets=",".join(DEMO_MARKETS))
        settings, workspaces = with_profile(settings, args, chosen, "demo")
    except ConfigError as error:
        print(f"sor-tui: {error}", file=sys.stderr)
        return 2
    sim_options: dict[str, object] = {}
    if args.rate:
        sim_options["rate"] = args.rate
    if args.scenario:
        sim_options["scenarios"] = {name: {} for name in args.scenario}
    source = demo_source(settings, seed=args.seed, sim_options=sim_options)
    logs = setup_logging(settings)  # before the feed starts: its redaction covers the file
    try:
        app = make_app(
            settings,
            source=source,
            store=open_store(settings),
            demo_source=lambda: demo_source(settings, seed=args.seed, sim_options=sim_options),
            startup_problems=tuple(logs.problems),
            tune_gc=True,
            workspaces=workspaces,
        )
        app.run(mouse=app.config.mouse)
    finally:
        logs.close()
    return app.return_code or 0
