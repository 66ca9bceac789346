"""Recording a live session: start, stop and toggle, off by default (``record`` setting).

The feed is built with a ``RecordingDeskState`` and its frame hook pointed at the state's
``frame``; this object then switches recording on and off at any time (CLI flag, setting,
or the TUI's key). Each start opens a new file; executions of all sessions share one
SQLite store in the recordings directory.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState

log = logging.getLogger(__name__)


class LiveRecording:
    """Switches the recording of one feed's state on and off."""

    def __init__(
        self,
        state: RecordingDeskState,
        directory: Path,
        *,
        ws_url: str = "",
        markets: Sequence[str] = (),
        flush_interval: float = 0.5,
        lock: AbstractContextManager[object] | None = None,
    ) -> None:
        self.state = state
        # The state's lock (the feed thread writes it): a switch never lands mid-batch.
        self.lock = lock if lock is not None else nullcontext()
        self.directory = directory
        self.ws_url = ws_url
        self.markets = tuple(markets)
        self.flush_interval = flush_interval
        self.last_path: Path | None = None
        self.start_error: str | None = None  # why the last start failed (None: it did not)

    def __repr__(self) -> str:
        return f"LiveRecording(active={self.active}, directory={str(self.directory)!r})"

    @property
    def active(self) -> bool:
        """Whether frames are being recorded now."""
        return self.state.recorder is not None

    @property
    def error(self) -> str | None:
        """Why recording is not happening although it was asked for (None when it is fine).

        A start that failed, or a write that failed (disk full): the recorder then keeps
        the file readable but writes nothing more, so the desk must say so.
        """
        recorder = self.state.recorder
        if recorder is not None:
            return recorder.error
        return self.start_error

    @property
    def path(self) -> Path | None:
        """The file being written, or None."""
        recorder = self.state.recorder
        return recorder.path if recorder is not None else None

    def start(self) -> Path:
        """Start recording to a new file (no-op when already recording); returns its path."""
        recorder = self.state.recorder
        if recorder is not None:
            return recorder.path
        try:
            recorder = Recorder.create(
                self.directory,
                ws_url=self.ws_url,
                markets=self.markets,
                flush_interval=self.flush_interval,
            )
        except (OSError, sqlite3.Error) as error:
            self.start_error = f"cannot record in {self.directory}: {describe(error)}"
            raise
        self.start_error = None
        with self.lock:
            self.state.start_recording(recorder)
        self.last_path = recorder.path
        log.info("recording to %s", recorder.path)
        return recorder.path

    def stop(self) -> Path | None:
        """Stop recording and close the file; returns its path (None if not recording)."""
        self.start_error = None
        with self.lock:
            recorder = self.state.stop_recording()
        if recorder is None:
            return None
        recorder.close()
        log.info("recording stopped: %s", recorder.path)
        return recorder.path

    def toggle(self) -> str:
        """Start or stop; returns a short message for the user."""
        if self.active:
            failed = self.error
            path = self.stop()
            stopped = f"Recording stopped: {path.name if path else ''}"
            return f"{stopped} (it had failed: {failed})" if failed else stopped
        try:
            path = self.start()
        except (OSError, sqlite3.Error) as error:
            return f"Cannot record: {describe(error)}"
        return f"Recording to {path}"


def describe(error: BaseException) -> str:
    """A short reason for a failed file operation (``No space left on device``)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {error}"
