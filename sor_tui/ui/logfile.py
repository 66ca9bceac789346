"""The TUI's logging: to ``Settings.log_file`` only, never to the terminal it draws on.

The handler sits on the root logger before the feed starts, so the redaction filter that
``LiveSource`` installs on the root handlers covers it (tokens, the client secret and any
Authorization header never reach the file).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from sor_tui.config.paths import ensure_dir
from sor_tui.config.settings import Settings
from sor_tui.transport.status import Problem

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


@dataclass
class TuiLogging:
    """The handlers this run added to the root logger; ``close()`` removes them."""

    handlers: list[logging.Handler] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    previous_level: int = logging.WARNING

    def close(self) -> None:
        """Flush, close and detach the handlers (after the app has exited)."""
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(self.previous_level)
        self.handlers.clear()


def setup_logging(settings: Settings) -> TuiLogging:
    """Log to the settings' file at its level; without a file, log nowhere (not stderr)."""
    root = logging.getLogger()
    state = TuiLogging(previous_level=root.level)
    # With no handler at all, Python's last-resort handler writes warnings to stderr,
    # which would scribble over the TUI: a NullHandler keeps them off the terminal.
    handler: logging.Handler = logging.NullHandler()
    path = settings.log_file
    if path is not None:
        try:
            ensure_dir(path.parent)
            # The file may hold hostnames and ids: readable by the user only.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter(FORMAT))
            root.setLevel(settings.log_level)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            state.problems.append(
                Problem("settings", "log_file", f"cannot write the log file {path}: {reason}")
            )
    root.addHandler(handler)
    state.handlers.append(handler)
    return state
