"""Test isolation: temporary config and home dirs, no SOR_* variables, in-memory keyring,
and logging handlers as they were (a command run in-process adds its own)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Give every test its own HOME and config dir, and clear any SOR_* setting."""
    for name in list(os.environ):
        if name.startswith("SOR_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.chdir(tmp_path)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    handlers = _logging_handlers()
    yield
    keyring.set_keyring(previous)
    _restore_logging_handlers(handlers)


def _loggers() -> list[logging.Logger]:
    known = logging.Logger.manager.loggerDict.values()
    return [logging.root, *(lg for lg in known if isinstance(lg, logging.Logger))]


def _logging_handlers() -> dict[str, tuple[list[logging.Handler], int]]:
    return {lg.name: (list(lg.handlers), lg.level) for lg in _loggers()}


def _restore_logging_handlers(saved: dict[str, tuple[list[logging.Handler], int]]) -> None:
    """A handler left on a logger by a test writes to a closed capture stream later on."""
    for logger in _loggers():
        handlers, level = saved.get(logger.name, ([], logging.NOTSET))
        if logger.handlers != handlers:
            logger.handlers[:] = handlers
            logger.setLevel(level)
