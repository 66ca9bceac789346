"""Executions in SQLite (stdlib, WAL): each print stored once under its exact key.

The key is ``(market, price, amount, executed_at_ns, occurrence)`` with price and amount
in canonical text, so ``"50000"`` and ``"50000.00"`` are the same print. ``occurrence``
counts identical prints within one session: the tape has already told replays from
trades, so two identical prints it accepted are two trades and both are stored, while
the same session stored again (a recording replayed with recording on, or two runs
storing the same prints) is ignored by ``INSERT OR IGNORE`` instead of counted twice.

Files written before ``occurrence`` existed are migrated in place on open (every old
row becomes occurrence 0, which is what it was).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sor_tui.core.events import Execution
from sor_tui.core.numbers import canonical_text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    market TEXT NOT NULL,
    price TEXT NOT NULL,
    amount TEXT NOT NULL,
    executed_at_ns INTEGER NOT NULL,
    executed_at TEXT NOT NULL,
    received_ns INTEGER NOT NULL,
    session TEXT NOT NULL DEFAULT '',
    occurrence INTEGER NOT NULL DEFAULT 0,
    UNIQUE (market, price, amount, executed_at_ns, occurrence)
);
CREATE INDEX IF NOT EXISTS executions_by_time ON executions (executed_at_ns);
"""
_COLUMNS = "market, price, amount, executed_at_ns, executed_at, received_ns, session"
_MIGRATE = f"""
ALTER TABLE executions RENAME TO executions_before_occurrence;
DROP INDEX IF EXISTS executions_by_time;
{_SCHEMA}
INSERT INTO executions ({_COLUMNS}) SELECT {_COLUMNS} FROM executions_before_occurrence;
DROP TABLE executions_before_occurrence;
"""
OCCURRENCES_MAX = 65_536
"""Identical-print counts remembered per store (identical prints arrive close together)."""


@dataclass(frozen=True, slots=True)
class StoredExecution:
    """One stored print with the time it was received and the session that stored it."""

    execution: Execution
    received_ns: int
    session: str


class ExecutionsDB:
    """A WAL-mode SQLite file of executions; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private
        # Created readable by the user only; SQLite gives its -wal and -shm files the
        # database's permissions.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._lock = threading.Lock()
        # Shared with the recorder's flush thread; every use holds the lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a crash of the process never loses a commit; only a power
        # loss can lose the last ones, which the frame file bounds anyway.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()
        self._db.executescript(_SCHEMA)
        self._occurrences: dict[tuple[str, str, str, int, str], int] = {}

    def _migrate(self) -> None:
        """Add ``occurrence`` to a file from before it existed, in one transaction."""
        columns = [row[1] for row in self._db.execute("PRAGMA table_info(executions)")]
        if not columns or "occurrence" in columns:
            return
        self._db.executescript(f"BEGIN;{_MIGRATE}COMMIT;")

    def _occurrence(self, key: tuple[str, str, str, int, str]) -> int:
        """How many identical prints this session stored before this one."""
        seen = self._occurrences.get(key, 0)
        if len(self._occurrences) >= OCCURRENCES_MAX and key not in self._occurrences:
            del self._occurrences[next(iter(self._occurrences))]
        self._occurrences[key] = seen + 1
        return seen

    def __repr__(self) -> str:
        return f"ExecutionsDB(path={str(self.path)!r})"

    def add(self, executions: Iterable[tuple[Execution, int]], session: str = "") -> int:
        """Store prints (with receive times) in one transaction; returns how many were new."""
        rows = []
        for e, received_ns in executions:
            price, amount = canonical_text(e.price), canonical_text(e.amount)
            occurrence = self._occurrence((e.market, price, amount, e.executed_at_ns, session))
            at_ns, at_text = e.executed_at_ns, e.executed_at
            rows.append((e.market, price, amount, at_ns, at_text, received_ns, session, occurrence))
        if not rows:
            return 0
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    f"INSERT OR IGNORE INTO executions ({_COLUMNS}, occurrence)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def count(self) -> int:
        """How many prints are stored."""
        with self._lock:
            (total,) = self._db.execute("SELECT COUNT(*) FROM executions").fetchone()
        return int(total)

    def executions(
        self, market: str | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> Iterator[StoredExecution]:
        """Stored prints ordered by executed_at (then market), optionally filtered."""
        query = "SELECT market, price, amount, executed_at_ns, executed_at, received_ns, session"
        query += " FROM executions WHERE 1=1"
        params: list[object] = []
        if market is not None:
            query += " AND market = ?"
            params.append(market)
        if start_ns is not None:
            query += " AND executed_at_ns >= ?"
            params.append(start_ns)
        if end_ns is not None:
            query += " AND executed_at_ns <= ?"
            params.append(end_ns)
        query += " ORDER BY executed_at_ns, market, price, amount, occurrence"
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        for m, price, amount, at_ns, at_text, received, session in rows:
            execution = Execution(m, Decimal(price), Decimal(amount), at_ns, at_text)
            yield StoredExecution(execution, received, session)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite on the last close)."""
        with self._lock:
            self._db.close()
