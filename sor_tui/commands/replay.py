"""``sor-tui replay FILE``: open the desk on a recording, with pause, step, speed and seek."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sor_tui.config.settings import ConfigError, load_settings
from sor_tui.core.sanitize import sanitize
from sor_tui.record.reader import Header, RecordingError, iter_entries
from sor_tui.runtime.replay_feed import ReplayFeedSource


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
    """Run the ``replay`` command."""
    try:
        source, header = open_source(args)
    except RecordingError as error:
        print(describe(error), file=sys.stderr)
        return 2
    chosen: dict[str, object] = {}
    markets = markets_of(args, header)
    if markets:
        chosen["markets"] = markets
    if args.theme:
        chosen["theme"] = args.theme
    try:
        settings = load_settings(**chosen)
    except ConfigError as error:
        print(f"sor-tui: {error}", file=sys.stderr)
        return 2
    if settings.record:
        # Refused, never ignored: a replay's frames are a recording already.
        print(
            "sor-tui replay: recording is on (SOR_RECORD, .env or config.toml), but a replay "
            "cannot record: its frames are a recording already. Run it with SOR_RECORD=false.",
            file=sys.stderr,
        )
        return 2
    from sor_tui.ui.replay_app import make_replay_app  # Textual only once the file is good

    app = make_replay_app(settings, source)
    app.run(mouse=app.config.mouse)
    return app.return_code or 0
