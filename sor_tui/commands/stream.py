"""``sor-tui stream``: headless JSON Lines, recording too with ``--record`` or ``SOR_RECORD``.

The stream itself is ``sor_tui.transport.stream``; this root adds the recorder, so that a
recording setting is honoured here exactly as in the TUI (never silently ignored).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from sor_tui.record.headless import HeadlessRecording, RecordingPolicy
from sor_tui.transport import stream
from sor_tui.transport.companion import Companion, HeadlessPlan

if TYPE_CHECKING:
    from sor_tui.config.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stream's options plus ``--record`` and ``--record-dir``."""
    stream.add_arguments(parser)
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


def recorder_if_asked(settings: Settings) -> Companion | None:
    """A recorder when the settings ask for one (flag, environment, .env or config file)."""
    if not settings.record:
        return None
    return HeadlessRecording.from_settings(settings, RecordingPolicy(), "sor-tui stream")


def run(args: argparse.Namespace) -> int:
    """Stream, recording when asked; exit 4 when the recording cannot be written."""
    plan = HeadlessPlan(
        command="stream", overrides=record_overrides(args), companion=recorder_if_asked
    )
    return stream.run(args, plan)
