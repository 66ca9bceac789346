"""``sor-tui sim``: run the local SOR simulator in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from sor_tui.sim.config import DEFAULT_MARKETS, SimConfig
from sor_tui.sim.markets import MARKETS
from sor_tui.sim.replay_source import read_frames, serve_recording_forever
from sor_tui.sim.scenarios import SCENARIOS, parse_scenario
from sor_tui.sim.server import Simulator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``sor-tui sim``."""
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    parser.add_argument("--ws-port", type=int, default=0, help="WebSocket port (0 = any free)")
    parser.add_argument("--oauth-port", type=int, default=0, help="token port (0 = any free)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the books")
    parser.add_argument(
        "--markets",
        nargs="+",
        default=list(DEFAULT_MARKETS),
        choices=sorted(MARKETS),
        metavar="MARKET",
        help="markets to offer (default: %(default)s)",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="UPDATEs per second per market")
    parser.add_argument(
        "--firehose", action="store_true", help="send as fast as the client reads (benchmarks)"
    )
    parser.add_argument(
        "--fast-steps",
        action="store_true",
        help="at --rate, mostly single-level changes: far less simulator CPU (load benchmarks)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME[:k=v,...]",
        help=f"enable a fault scenario (repeatable); one of: {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--client-id", default="demo-client")
    parser.add_argument("--client-secret", default="demo-secret")
    parser.add_argument("--token-ttl", type=int, default=3600, help="token lifetime in seconds")
    parser.add_argument("--heartbeat-interval", type=float, default=5.0)
    parser.add_argument("--clock", choices=("wall", "fixed"), default="wall")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    add_replay_arguments(parser)


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """Build a SimConfig from parsed arguments (ValueError for a bad scenario)."""
    scenarios: dict[str, dict[str, Any]] = {}
    for text in args.scenario:
        name, params = parse_scenario(text)
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}")
        scenarios[name] = params
    return SimConfig(
        host=args.host,
        ws_port=args.ws_port,
        oauth_port=args.oauth_port,
        seed=args.seed,
        markets=tuple(args.markets),
        rate=args.rate,
        firehose=args.firehose,
        fast_steps=args.fast_steps,
        scenarios=scenarios,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl=args.token_ttl,
        heartbeat_interval=args.heartbeat_interval,
        clock=args.clock,
    )


_WILDCARDS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def client_url(url: str, bind_host: str) -> str:
    """``url`` as a client on this machine can use it (a wildcard bind is not an address)."""
    local = _WILDCARDS.get(bind_host)
    if local is None:
        return url
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    return url.replace(f"//{shown}:", f"//{local}:", 1)


def exposure_warning(bind_host: str, client_id: str) -> str | None:
    """What binding beyond loopback exposes, or None for a loopback bind."""
    if bind_host in _LOOPBACK:
        return None
    return (
        f"sor-tui sim: WARNING: listening on {bind_host}, so other machines can connect. "
        f"The credentials ({client_id} and its secret) are demo credentials anyone can "
        "know, and everything, the secret and tokens included, travels in clear text "
        "(http://, ws://). sor-tui connects over plain ws:// to loopback only: use the URLs "
        "below on this machine, or reach them from elsewhere through an SSH tunnel."
    )


async def serve_forever(config: SimConfig) -> None:
    """Run the simulator until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with Simulator(config) as sim:
        print(f"SOR_WS_URL={client_url(sim.ws_url, config.host)}", flush=True)
        print(f"SOR_OAUTH_URL={client_url(sim.oauth_url, config.host)}", flush=True)
        log = logging.getLogger("sor_tui.sim")
        log.info("client id %s; markets %s", config.client_id, " ".join(config.markets))
        if config.scenarios:
            log.info("scenarios: %s", ", ".join(config.scenarios))
        await stop.wait()
        log.info("stopping")


def run(args: argparse.Namespace) -> int:
    """Run ``sor-tui sim``; returns the exit status."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    warning = exposure_warning(args.host, args.client_id)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"sor-tui sim: {exc}", file=sys.stderr)
        return 2
    if args.replay:
        return run_replay(Path(args.replay), args.speed, config)
    asyncio.run(serve_forever(config))
    return 0


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--replay FILE`` and ``--speed X`` options."""
    parser.add_argument("--replay", metavar="FILE", help="serve a sor-tui recording's frames")
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed (with --replay)")


def run_replay(path: Path, speed: float | None, config: SimConfig) -> int:
    """``sor-tui sim --replay FILE [--speed X]``: serve a recording's frames."""
    speed = float(speed or 1.0)
    if speed <= 0:
        print("sor-tui sim: --speed must be greater than zero", file=sys.stderr)
        return 2
    try:
        read_frames(path)  # fail fast, before printing any URL
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"sor-tui sim: cannot replay {path.name!r}: {reason}", file=sys.stderr)
        return 2
    except ValueError as exc:  # the reader's messages: no file content in them
        print(f"sor-tui sim: cannot replay {path.name!r}: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve_recording_forever(path, config, speed))
    return 0
