"""Recording without a screen: the companion of ``stream --record`` and ``sor-tui record``.

One recording desk state and one executions database for the whole run; the frames go to
a crash-safe recording file that is rotated by age and by size. Each new file starts with
synthetic snapshots of the books already live, so every file replays on its own. A write
that fails (disk full) ends the run: the caller logs it and exits non-zero.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from sor_tui.core.state import DeskState
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.live import describe
from sor_tui.record.recorder import DB_NAME, SUFFIX, Recorder, recording_name
from sor_tui.record.recording_state import RecordingDeskState


class RecordingStartError(Exception):
    """The recordings folder or its first file cannot be written: a message to show."""


class _FeedCounters(Protocol):
    @property
    def messages_per_second(self) -> int: ...
    @property
    def frames_dropped(self) -> int: ...
    @property
    def reconnects(self) -> int: ...


class _FeedStatus(Protocol):
    @property
    def state(self) -> object: ...


class FeedHealth(Protocol):
    """What a health line reads of the feed being recorded."""

    @property
    def counters(self) -> _FeedCounters:
        """The feed's running counters."""
        ...

    @property
    def status(self) -> _FeedStatus:
        """The feed's connection status."""
        ...


CHECK_INTERVAL = 0.2
"""Seconds between checks of the recorder (a failure ends the run within this)."""


@dataclass(frozen=True)
class RecordingPolicy:
    """When to start a new file, how many to keep, and how often to report health."""

    rotate_seconds: float | None = None  # a new file after this age
    rotate_bytes: int | None = None  # a new file once this many (compressed) bytes are written
    keep_files: int | None = None  # delete the oldest recordings beyond this many
    health_every: float | None = None  # a one-line summary on stderr at this interval
    flush_interval: float = 0.5  # a SIGKILL loses at most this much


class HeadlessRecording:
    """Records a headless feed into rotating files and one executions database."""

    def __init__(
        self,
        directory: Path,
        *,
        ws_url: str = "",
        markets: Sequence[str] = (),
        policy: RecordingPolicy | None = None,
        label: str = "sor-tui record",
        err: IO[str] | None = None,
        state: RecordingDeskState | None = None,
    ) -> None:
        self.directory = directory
        self.ws_url = ws_url
        self.markets = tuple(markets)
        self.policy = policy or RecordingPolicy()
        self.label = label
        self._err = err if err is not None else sys.stderr
        self._state = state if state is not None else RecordingDeskState()
        self.files_started = 0
        self.files_deleted = 0
        self._frames_before = 0  # frames of the files already closed
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # recordings are private
            self._db = ExecutionsDB(directory / DB_NAME)
            self._recorder = self._next_file()
        except (OSError, sqlite3.Error) as error:
            raise RecordingStartError(f"cannot record in {directory}: {describe(error)}") from error

    def __repr__(self) -> str:
        return f"HeadlessRecording(path={str(self.path)!r})"

    @property
    def state(self) -> DeskState:
        """The desk state the feed applies events to (it marks them in the recording)."""
        return self._state

    @property
    def path(self) -> Path:
        """The file being written."""
        return self._recorder.path

    def on_frame(self, data: str | bytes, received_ns: int) -> None:
        """The feed's raw-frame hook."""
        self._state.frame(data, received_ns)

    def _next_file(self) -> Recorder:
        recorder = Recorder(
            self.directory / recording_name(time.time_ns()),
            ws_url=self.ws_url,
            markets=self.markets,
            executions_db=self._db,
            flush_interval=self.policy.flush_interval,
        )
        self._state.start_recording(recorder)
        self.files_started += 1
        return recorder

    async def watch(self, feed: FeedHealth) -> str | None:
        """Rotate, keep the retention limit and report health until a write fails."""
        policy = self.policy
        opened = time.monotonic()
        reported = opened
        while True:
            await asyncio.sleep(CHECK_INTERVAL)
            if self._recorder.error is not None:
                return self._recorder.error
            now = time.monotonic()
            age_due = policy.rotate_seconds is not None and now - opened >= policy.rotate_seconds
            size = self._recorder.bytes_written
            size_due = policy.rotate_bytes is not None and size >= policy.rotate_bytes
            if age_due or size_due:
                problem = await self.rotate()
                if problem is not None:
                    return problem
                opened = now
            if policy.health_every is not None and now - reported >= policy.health_every:
                reported = now
                print(self.health(feed), file=self._err, flush=True)

    async def rotate(self) -> str | None:
        """Close the current file and continue in a new one; a problem if either failed."""
        old = self._recorder
        self._state.stop_recording()
        try:
            self._recorder = self._next_file()
        except (OSError, sqlite3.Error) as error:
            await asyncio.to_thread(old.close)
            return f"cannot start a new recording file: {describe(error)}"
        await asyncio.to_thread(old.close)  # the final flush, off the feed's loop
        self._frames_before += old.frames
        if old.error is not None:
            return old.error
        self.files_deleted += enforce_retention(self.directory, self.policy.keep_files)
        return None

    def health(self, feed: FeedHealth) -> str:
        """One line: connection, rate, what was recorded, where, and what went wrong."""
        counters = feed.counters
        recorder = self._recorder
        parts = [
            f"{self.label}: {feed.status.state}",
            f"{counters.messages_per_second:,} msg/s",
            f"frames {self._frames_before + recorder.frames:,}",
            f"prints {self._state.tape.accepted:,}",
            f"file {recorder.path.name} {_size(recorder.bytes_written)}",
            f"files {self.files_started:,} (deleted {self.files_deleted:,})",
            f"rejected {counters.frames_dropped:,}",
            f"reconnects {counters.reconnects:,}",
        ]
        if recorder.error is not None:
            parts.append(recorder.error)
        return " | ".join(parts)

    def close(self) -> str | None:
        """Stop recording, flush the last file, close the database; a problem if one failed."""
        recorder = self._state.stop_recording()
        if recorder is not None:
            recorder.close()
        try:
            self._db.close()
        except sqlite3.Error as error:
            return f"closing the executions database failed: {describe(error)}"
        return recorder.error if recorder is not None else None


def _size(count: int) -> str:
    """Bytes for a person: ``812 KiB``, ``12.4 MiB``."""
    if count < 1024 * 1024:
        return f"{count / 1024:,.0f} KiB"
    return f"{count / 1024 / 1024:,.1f} MiB"


def enforce_retention(directory: Path, keep_files: int | None) -> int:
    """Delete the oldest recordings in ``directory`` beyond ``keep_files``; how many went."""
    if keep_files is None:
        return 0
    # Names start with the start time (recording_name), so name order is age order.
    files = sorted(p for p in directory.glob(f"sor-*{SUFFIX}") if p.is_file())
    deleted = 0
    for old in files[: max(0, len(files) - keep_files)]:
        try:
            old.unlink()
        except FileNotFoundError:
            continue
        deleted += 1
    return deleted
