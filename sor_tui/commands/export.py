"""``sor-tui export FILE``: executions or book views from a recording (or an executions DB)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from sor_tui.core.sanitize import sanitize
from sor_tui.record.export import (
    FORMATS,
    book_views_at,
    checked_executions_of,
    is_sqlite,
    parse_time,
    write_books,
    write_executions,
)
from sor_tui.record.reader import RecordingError, read_recording


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``export`` command."""
    parser.add_argument("file", type=Path, help="a recording (.jsonl.gz) or executions.sqlite")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="output format")
    parser.add_argument(
        "--what",
        choices=("executions", "books"),
        default="executions",
        help="executions (default) or book views at the --at times",
    )
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="TIME",
        help="a time for --what books (repeatable): ns, RFC3339, +SECONDS, start or end",
    )
    parser.add_argument("--market", action="append", default=[], help="only this market")
    parser.add_argument("--depth", type=int, default=50, help="levels per side for books")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")


def _export(args: argparse.Namespace, out: TextIO) -> int:
    markets = [m.upper() for m in args.market] or None
    if args.what == "executions":
        checked = checked_executions_of(
            args.file, markets[0] if markets and len(markets) == 1 else None
        )
        if checked.skipped:
            print(
                f"sor-tui export: {checked.skipped} rows were not valid executions and were "
                "left out",
                file=sys.stderr,
            )
        prints = [e for e in checked.executions if markets is None or e.market in markets]
        return write_executions(prints, args.format, out)
    if is_sqlite(args.file):
        raise RecordingError("book views need a recording, not an executions database")
    recording = read_recording(args.file)
    times = [parse_time(t, recording.start_ns, recording.end_ns) for t in args.at or ["end"]]
    views = book_views_at(recording, times, markets, max(1, args.depth))
    return write_books(views, args.format, out)


def run(args: argparse.Namespace) -> int:
    """Run the ``export`` command; returns the exit status."""
    try:
        with ExitStack() as stack:
            out: TextIO = sys.stdout
            if args.output is not None:
                out = stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
            count = _export(args, out)
    except (RecordingError, ValueError) as error:
        print(f"sor-tui export: {sanitize(str(error))}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"sor-tui export: {sanitize(error.strerror or str(error))}", file=sys.stderr)
        return 2
    what = "book views" if args.what == "books" else "executions"
    print(f"sor-tui export: {what} written: {count}", file=sys.stderr)
    return 0
