"""Export executions and book views at chosen times as CSV or JSON Lines; text for copying.

Prices and amounts are written as canonical decimal text (exact, never floats). Times are
given as epoch nanoseconds, RFC3339, ``+SECONDS`` from the recording's start, ``start`` or
``end``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from sor_tui.core.events import Execution
from sor_tui.core.numbers import canonical_text
from sor_tui.core.sanitize import sanitize
from sor_tui.core.timestamps import format_rfc3339_ns, parse_rfc3339_ns
from sor_tui.core.views import BookView, LevelView, TapeView
from sor_tui.record.executions_file import CheckedExecutions, read_executions_file
from sor_tui.record.reader import Recording, read_recording
from sor_tui.record.replay import Replay

FORMATS = ("csv", "jsonl")
EXECUTION_FIELDS = ("market", "price", "amount", "executed_at", "executed_at_ns")
BOOK_FIELDS = ("at", "at_ns", "market", "status", "side", "level", "price", "amount", "cumulative")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_FORMULA_STARTS = frozenset("=+-@\t\r")


def cell(text: str) -> str:
    """Text made inert for spreadsheets: a leading = + - @ (or tab, CR) starts a formula."""
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def _text(value: Decimal | None) -> str | None:
    return None if value is None else canonical_text(value)


def parse_time(text: str, start_ns: int, end_ns: int) -> int:
    """A point in a recording from ns, RFC3339, ``+SECONDS``, ``start`` or ``end``."""
    value = text.strip()
    if value == "start":
        return start_ns
    if value == "end":
        return end_ns
    if value.startswith("+"):
        try:
            seconds = Decimal(value[1:])
        except InvalidOperation:
            raise ValueError(f"not a number of seconds: {sanitize(value, 40)!r}") from None
        if not seconds.is_finite() or seconds < 0:
            raise ValueError(f"not a number of seconds: {sanitize(value, 40)!r}")
        return start_ns + int(seconds * 1_000_000_000)
    if value.isdigit():
        return int(value)
    try:
        return parse_rfc3339_ns(value)
    except ValueError:
        raise ValueError(
            f"not a time: {sanitize(value, 40)!r} (use ns, RFC3339, +SECONDS, start or end)"
        ) from None


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` is an SQLite database (an executions store) rather than a recording."""
    with open(path, "rb") as handle:
        return handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC


def executions_of(path: Path, market: str | None = None) -> list[Execution]:
    """Every distinct print of a recording (as the live tape accepted it) or an SQLite store."""
    return checked_executions_of(path, market).executions


def checked_executions_of(path: Path, market: str | None = None) -> CheckedExecutions:
    """``executions_of`` with the count of database rows that were not valid prints."""
    if is_sqlite(path):
        return read_executions_file(path, market)  # read-only, row by row checked
    replay = Replay(read_recording(path))
    replay.step(replay.total)
    prints = replay.state.drain_new_executions()
    chosen = [e for e in prints if market is None or e.market == market]
    return CheckedExecutions(sorted(chosen, key=lambda e: (e.executed_at_ns, e.market)))


def write_executions(executions: Iterable[Execution], fmt: str, out: TextIO) -> int:
    """Write prints as CSV (with a header row) or JSON Lines; returns how many."""
    count = 0
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(EXECUTION_FIELDS)
    for e in executions:
        row = (e.market, canonical_text(e.price), canonical_text(e.amount), e.executed_at)
        if writer is not None:
            writer.writerow((cell(e.market), *row[1:3], cell(e.executed_at), e.executed_at_ns))
        else:
            out.write(
                json.dumps(dict(zip(EXECUTION_FIELDS, (*row, e.executed_at_ns), strict=True)))
            )
            out.write("\n")
        count += 1
    return count


def book_views_at(
    recording: Recording, times: Sequence[int], markets: Sequence[str] | None, depth: int
) -> list[tuple[int, BookView]]:
    """The book views of the chosen markets at each time (times sorted ascending)."""
    replay = Replay(recording)
    found: list[tuple[int, BookView]] = []
    for at in sorted(times):
        replay.seek(at)
        for market in markets or replay.state.markets:
            view = replay.state.book_view(market, depth)
            if view is not None:
                found.append((at, view))
    return found


def _levels(levels: tuple[LevelView, ...]) -> list[list[str]]:
    return [[canonical_text(lv.price), canonical_text(lv.amount)] for lv in levels]


def write_books(views: Iterable[tuple[int, BookView]], fmt: str, out: TextIO) -> int:
    """Write book views: one row per level (CSV) or one object per view (JSONL)."""
    count = 0
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(BOOK_FIELDS)
    for at, view in views:
        stamp = format_rfc3339_ns(at)
        if writer is None:
            record = {
                "at": stamp,
                "at_ns": at,
                "market": view.market,
                "status": view.status.value,
                "best_bid": _text(view.best_bid),
                "best_ask": _text(view.best_ask),
                "spread": _text(view.spread),
                "mid": _text(view.mid),
                "bids": _levels(view.bids),
                "asks": _levels(view.asks),
            }
            out.write(json.dumps(record) + "\n")
        else:
            for side, levels in (("bid", view.bids), ("ask", view.asks)):
                for index, lv in enumerate(levels, start=1):
                    numbers = (canonical_text(v) for v in (lv.price, lv.amount, lv.cumulative))
                    writer.writerow(
                        (stamp, at, cell(view.market), view.status.value, side, index, *numbers)
                    )
        count += 1
    return count


def _row(level: LevelView) -> str:
    return "\t".join(canonical_text(v) for v in (level.price, level.amount, level.cumulative))


def book_text(view: BookView) -> str:
    """A book view as tab-separated text (asks above bids), for the clipboard."""
    lines = [f"{cell(view.market)}\t{view.status.value}", "side\tprice\tamount\tcumulative"]
    for lv in reversed(view.asks):
        lines.append(f"ask\t{_row(lv)}")
    for lv in view.bids:
        lines.append(f"bid\t{_row(lv)}")
    return "\n".join(lines) + "\n"


def tape_text(tape: TapeView) -> str:
    """The tape newest-first as tab-separated text, for the clipboard."""
    lines = ["executed_at\tmarket\tprice\tamount"]
    for entry in tape.entries:
        e = entry.execution
        price, amount = canonical_text(e.price), canonical_text(e.amount)
        lines.append(f"{e.executed_at}\t{cell(e.market)}\t{price}\t{amount}")
    return "\n".join(lines) + "\n"
