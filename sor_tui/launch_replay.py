"""``sor-tui replay FILE``: open the desk on a recording, with pause, step, speed and seek."""

from __future__ import annotations

import argparse
import sys

from sor_tui.config.settings import ConfigError, load_settings
from sor_tui.record import replay_cli
from sor_tui.record.reader import RecordingError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``replay`` command."""
    replay_cli.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the ``replay`` command."""
    try:
        source, header = replay_cli.open_source(args)
    except RecordingError as error:
        print(replay_cli.describe(error), file=sys.stderr)
        return 2
    chosen: dict[str, object] = {}
    markets = replay_cli.markets_of(args, header)
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
