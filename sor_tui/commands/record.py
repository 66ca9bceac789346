"""``sor-tui record``: an unattended recorder with the stream's connection and options.

Nothing goes to stdout: frames go to crash-safe recording files (rotated by age and size,
the oldest deleted beyond ``--keep``), prints to the executions database, and a one-line
health summary to stderr every ``--health-every`` seconds. SIGINT/SIGTERM flush and exit
0; a recording that cannot be written exits 4.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sor_tui.commands.stream import (
    add_feed_arguments,
    headless_recording,
    record_overrides,
    run_plan,
)
from sor_tui.record.headless import RecordingPolicy
from sor_tui.transport.companion import Companion, HeadlessPlan

if TYPE_CHECKING:
    from sor_tui.config.settings import Settings

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def size_in_bytes(text: str) -> int:
    """``500000``, ``64K``, ``100M`` or ``2G`` as bytes (argparse type)."""
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 100M)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: ``kind`` of the text, refused unless above zero."""

    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stream's connection options plus rotation, retention and health reports."""
    add_feed_arguments(parser)
    parser.add_argument("--record-dir", help="directory for recordings (default: data dir)")
    parser.add_argument(
        "--rotate-every",
        type=_positive(float),
        metavar="SECONDS",
        default=3600.0,
        help="start a new file after this many seconds (default 3600)",
    )
    parser.add_argument(
        "--rotate-size",
        type=size_in_bytes,
        metavar="SIZE",
        default=size_in_bytes("100M"),
        help="start a new file once one reaches this size, e.g. 100M (default)",
    )
    parser.add_argument(
        "--keep",
        type=_positive(int),
        metavar="FILES",
        help="keep only the newest FILES recordings in the folder (default: keep all)",
    )
    parser.add_argument(
        "--health-every",
        type=_positive(float),
        metavar="SECONDS",
        default=60.0,
        help="a one-line health summary on stderr at this interval (default 60)",
    )


def run(args: argparse.Namespace) -> int:
    """Record until the duration ends or a signal arrives; 4 if a write fails."""
    policy = RecordingPolicy(
        rotate_seconds=args.rotate_every,
        rotate_bytes=args.rotate_size,
        keep_files=args.keep,
        health_every=args.health_every,
    )

    def recorder(settings: Settings) -> Companion:
        return headless_recording(settings, policy, "sor-tui record")

    plan = HeadlessPlan(
        command="record",
        overrides={**record_overrides(args), "record": True},
        json_lines=False,
        companion=recorder,
    )
    return run_plan(args, plan)
