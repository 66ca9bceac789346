"""Read an executions database that may come from anyone: read-only, every row checked.

The file is opened with SQLite's ``mode=ro`` and ``immutable=1``: nothing is written to it
or beside it (no schema, no journal, no WAL or SHM file). Only a real ``executions``
table is read (a view could run anything), and a row is exported only when every field
is what sor-tui itself writes: a market name, exact positive decimals of sane size, and
an RFC3339 time that matches its nanoseconds. Other rows are counted, not exported.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sor_tui.core.events import Execution
from sor_tui.core.sanitize import sanitize
from sor_tui.core.timestamps import parse_rfc3339_ns
from sor_tui.record.reader import RecordingError

MAX_TEXT = 64
"""Longest text field accepted (prices, amounts, times, market names)."""
MAX_DIGITS = 40
MAX_EXPONENT = 30
_NS_LIMIT = 1 << 63


@dataclass
class CheckedExecutions:
    """The valid prints of a database, in time order, and how many rows were not."""

    executions: list[Execution] = field(default_factory=list)
    skipped: int = 0


def _decimal(value: Any) -> Decimal | None:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or number <= 0:
        return None
    if len(number.as_tuple().digits) > MAX_DIGITS or abs(number.adjusted()) > MAX_EXPONENT:
        return None
    return number


def checked_row(row: tuple[Any, ...]) -> Execution | None:
    """The execution a row describes, or None if any field is not a valid one."""
    market, price_text, amount_text, at_ns, at_text = row
    if not isinstance(market, str) or not 0 < len(market) <= 32:
        return None
    if not (market.isascii() and market.isalnum()):
        return None
    price, amount = _decimal(price_text), _decimal(amount_text)
    if price is None or amount is None:
        return None
    if not isinstance(at_ns, int) or isinstance(at_ns, bool) or not 0 <= at_ns < _NS_LIMIT:
        return None
    if not isinstance(at_text, str) or len(at_text) > MAX_TEXT:
        return None
    try:
        if parse_rfc3339_ns(at_text) != at_ns:
            return None
    except ValueError:
        return None
    return Execution(market, price, amount, at_ns, at_text)


def _connect(path: Path) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True, isolation_level=None)
    db.execute("PRAGMA query_only=ON")
    db.execute("PRAGMA trusted_schema=OFF")
    return db


def read_executions_file(path: Path, market: str | None = None) -> CheckedExecutions:
    """Every valid print of the database at ``path`` (RecordingError if it is not one)."""
    try:
        db = _connect(path)
    except sqlite3.Error as exc:
        raise RecordingError(f"cannot open the executions database: {sanitize(str(exc))}") from None
    result = CheckedExecutions()
    try:
        kind = db.execute("SELECT type FROM sqlite_master WHERE name = 'executions'").fetchone()
        if kind is None or kind[0] != "table":
            raise RecordingError("not a sor-tui executions database (no executions table)")
        query = "SELECT market, price, amount, executed_at_ns, executed_at FROM executions"
        params: tuple[str, ...] = ()
        if market is not None:
            query += " WHERE market = ?"
            params = (market,)
        cursor = db.execute(query + " ORDER BY executed_at_ns, market, price, amount", params)
        while rows := cursor.fetchmany(4096):
            for row in rows:
                execution = checked_row(row)
                if execution is None:
                    result.skipped += 1
                else:
                    result.executions.append(execution)
    except sqlite3.Error as exc:
        raise RecordingError(f"unreadable executions database: {sanitize(str(exc))}") from None
    finally:
        db.close()
    return result
