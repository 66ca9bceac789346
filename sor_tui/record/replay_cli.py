"""``sor-tui replay FILE``: arguments and the recording check; the TUI is in launch_replay.

The record layer may not import the UI, so the command's entry point is
``sor_tui.launch_replay``, which takes its options from here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sor_tui.core.sanitize import sanitize
from sor_tui.record.reader import Header, RecordingError, iter_entries
from sor_tui.record.replay_feed import ReplayFeedSource


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``replay`` command."""
    parser.add_argument("file", type=Path, help="a recording (.jsonl.gz)")
    parser.add_argument("--speed", type=float, default=1.0, help="times real time (default 1)")
    parser.add_argument("--paused", action="store_true", help="start paused (step with '.')")
    parser.add_argument("--markets", help="comma-separated markets (default: the recording's)")
    parser.add_argument("--theme", help="sor-dark, sor-light, sor-colourblind or a Textual theme")


def open_source(args: argparse.Namespace) -> tuple[ReplayFeedSource, Header]:
    """Check the file is a recording and build its source (RecordingError with a message)."""
    if args.speed <= 0:
        raise RecordingError("--speed must be greater than zero")
    header, _, _ = iter_entries(args.file)
    source = ReplayFeedSource(args.file, speed=args.speed, paused=args.paused)
    return source, header


def markets_of(args: argparse.Namespace, header: Header) -> str | None:
    """The markets to show: the option, else the recording's, else the settings'."""
    if args.markets:
        return str(args.markets)
    return ",".join(header.markets) or None


def describe(error: RecordingError) -> str:
    """A one-line, safe message for the terminal."""
    return f"sor-tui replay: {sanitize(str(error))}"


def run(args: argparse.Namespace) -> int:
    """Without the TUI layer this command only checks the file (see ``sor_tui.launch_replay``)."""
    try:
        _, header = open_source(args)
    except RecordingError as error:
        print(describe(error), file=sys.stderr)
        return 2
    print(f"recording of {', '.join(header.markets) or 'no markets'}; open it with sor-tui replay")
    return 0
