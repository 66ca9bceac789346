"""Record every received frame with its receive time into a crash-safe gzip JSON Lines file.

The file is a series of independent gzip members, one per flush (at least every second),
so a killed process loses at most the last flush interval and every complete member stays
readable; ``reader`` tolerates a truncated last member. Accepted executions also go to the
SQLite store, under a unique key. Nothing secret is written: the feed never hands the
recorder its token, and the URL in the header is stripped of credentials and query.
"""

from __future__ import annotations

import base64
import gzip
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import msgspec

from sor_tui.core.events import Execution
from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.record.executions_db import ExecutionsDB

FORMAT_VERSION = 1
SUFFIX = ".jsonl.gz"
DB_NAME = "executions.sqlite"

# Lifecycle marks: the desk-state calls the feed makes that no frame carries (protocol §8.2).
BEGIN_SYNC = "begin_sync"
END_SYNC = "end_sync"
CONNECTION_LOST = "connection_lost"
RESYNCING = "resyncing"
MARKS = frozenset({BEGIN_SYNC, END_SYNC, CONNECTION_LOST, RESYNCING})

_encode = msgspec.json.Encoder().encode
log = logging.getLogger(__name__)


def public_url(url: str) -> str:
    """The URL without user info, query or fragment (where a credential could hide)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def recording_name(started_ns: int) -> str:
    """A unique, sortable file name for a session started at ``started_ns``."""
    stamp = format_rfc3339_ns(started_ns - started_ns % 1_000_000_000)
    stamp = stamp.replace("-", "").replace(":", "").rstrip("Z")
    return f"sor-{stamp}Z-{os.getpid()}-{started_ns % 1_000_000_000:09d}{SUFFIX}"


class Recorder:
    """Appends frames, lifecycle marks and accepted executions; a thread flushes them."""

    def __init__(
        self,
        path: Path,
        *,
        ws_url: str = "",
        markets: Sequence[str] = (),
        executions_db: ExecutionsDB | None = None,
        owns_db: bool = False,
        flush_interval: float = 0.5,
        fsync: bool = False,
        clock_ns: Callable[[], int] | None = None,
    ) -> None:
        self.path = path
        self._clock = clock_ns or time.time_ns
        self._db = executions_db
        self._owns_db = owns_db  # close the database with the recorder
        self._interval = flush_interval
        self._fsync = fsync
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.error: str | None = None  # set when writing failed; recording has then stopped
        self._lines: list[bytes] = []
        self._executions: list[tuple[Execution, int]] = []
        self._closed = False
        self.entries_written = 0  # entries handed to the recorder (frames and marks)
        self.frames = 0
        self.members = 0
        self.bytes_written = 0
        self.started_ns = self._clock()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private
        # Unbuffered: each member reaches the OS in one write, so a SIGKILL cannot split it
        # inside our own buffer. Readable by the user only: it holds the whole session.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb", buffering=0)  # closed in close()
        header = {
            "sor_tui_recording": FORMAT_VERSION,
            "started_ns": self.started_ns,
            "ws_url": public_url(ws_url),
            "markets": list(markets),
        }
        self._write_member([_encode(header) + b"\n"])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="sor-recorder", daemon=True)
        self._thread.start()

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        ws_url: str = "",
        markets: Sequence[str] = (),
        with_db: bool = True,
        flush_interval: float = 0.5,
    ) -> Recorder:
        """A recorder on a new uniquely named file in ``directory`` (and its executions DB)."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # private
        name = recording_name(time.time_ns())
        db = ExecutionsDB(directory / DB_NAME) if with_db else None
        return cls(
            directory / name,
            ws_url=ws_url,
            markets=markets,
            executions_db=db,
            owns_db=True,
            flush_interval=flush_interval,
        )

    def __repr__(self) -> str:
        return f"Recorder(path={str(self.path)!r}, frames={self.frames})"

    # -- called by the feed (event loop), cheap ----------------------------------------

    def frame(self, data: str | bytes, received_ns: int) -> None:
        """Record one received frame (binary frames as base64 with a flag)."""
        if isinstance(data, str):
            try:
                line = _encode({"t": received_ns, "f": data})
            except UnicodeEncodeError:
                # A lone surrogate cannot be UTF-8: keep the exact text as base64 instead.
                raw = base64.b64encode(data.encode("utf-8", "surrogatepass")).decode()
                line = _encode({"t": received_ns, "f": raw, "bin": 1, "sur": 1})
        else:
            line = _encode({"t": received_ns, "f": base64.b64encode(data).decode(), "bin": 1})
        self._append(line)
        self.frames += 1

    def synthetic_frame(self, text: str, at_ns: int) -> None:
        """Record a frame the client built (a snapshot of a book already live at start)."""
        self._append(_encode({"t": at_ns, "f": text, "syn": 1}))

    def mark(self, kind: str, market: str | None = None, at_ns: int | None = None) -> None:
        """Record a desk-state lifecycle call (begin_sync, end_sync, connection_lost, ...)."""
        entry: dict[str, object] = {"t": self._clock() if at_ns is None else at_ns, "m": kind}
        if market is not None:
            entry["market"] = market
        self._append(_encode(entry))

    def execution(self, execution: Execution, received_ns: int) -> None:
        """Queue one accepted execution for the SQLite store."""
        if self._db is not None and not self._closed:
            with self._lock:
                self._executions.append((execution, received_ns))

    def _append(self, line: bytes) -> None:
        if self._closed or self.error is not None:
            return
        with self._lock:
            self._lines.append(line + b"\n")
        self.entries_written += 1

    # -- flushing (background thread, and on close) --------------------------------------

    def _flush_loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        """Write pending lines as one gzip member and pending executions to SQLite."""
        with self._flush_lock:  # one flush at a time, in order
            with self._lock:  # held only for the swap: the feed never waits on compression
                lines, self._lines = self._lines, []
                executions, self._executions = self._executions, []
            if self.error is not None:
                return
            try:
                if lines:
                    self._write_member(lines)
                if executions and self._db is not None:
                    self._db.add(executions, session=self.path.name)
            except (OSError, sqlite3.Error) as exc:
                # A full disk must not grow memory without bound or kill the feed: stop
                # recording and say why (the file so far stays readable).
                self.error = f"recording stopped: {type(exc).__name__}: {exc}"
                log.error("%s (%s)", self.error, self.path)

    def _write_member(self, lines: list[bytes]) -> None:
        member = gzip.compress(b"".join(lines), compresslevel=6, mtime=0)
        view = memoryview(member)
        while view:  # a raw write may be partial
            written = self._file.write(view)
            view = view[written or 0 :]
        if self._fsync:
            os.fsync(self._file.fileno())
        self.members += 1
        self.bytes_written += len(member)

    def close(self) -> None:
        """Flush everything and close the file and the database (idempotent)."""
        if self._closed:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
        self._closed = True
        with self._flush_lock:
            self._file.close()
            if self._db is not None and self._owns_db:
                self._db.close()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
