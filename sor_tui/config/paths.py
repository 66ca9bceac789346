"""Where sor-tui keeps its files (platformdirs); getters never create directories."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "sor-tui"
CONFIG_FILE_NAME = "config.toml"


def config_dir() -> Path:
    """The user's configuration directory for sor-tui (may not exist yet)."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    """The TOML settings file, ``config.toml`` in the configuration directory."""
    return config_dir() / CONFIG_FILE_NAME


def data_dir() -> Path:
    """The user's data directory for sor-tui (may not exist yet)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def recordings_dir() -> Path:
    """The default directory for recordings of raw frames."""
    return data_dir() / "recordings"


def state_dir() -> Path:
    """The user's state directory (logs and similar); may not exist yet."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False)


def default_log_file() -> Path:
    """The default log file path, used when logging to a file is asked for without a path."""
    return state_dir() / "sor-tui.log"


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable only by the user if missing, and return it."""
    # Explicit and separate from the getters: only code that writes a file creates a directory.
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
