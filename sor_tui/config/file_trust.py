"""Whether a settings file may be trusted: who owns it, who can write or read it.

A ``.env`` is read from the current directory, which may be anyone's checkout. It may
tune the desk, but only a file that is the user's own and that nobody else can write may
choose where data goes (URLs and paths); a file holding a secret should be unreadable by
others, and the user is told when it is not.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from sor_tui.config import paths

DESTINATION_FIELDS = ("ws_url", "oauth_url", "log_file", "record_dir", "credential_file")
"""Settings that say where data (the secret, the token, logs, recordings) goes."""


class UntrustedEnvFileError(Exception):
    """A ``.env`` that someone else controls tried to choose where data goes."""


def env_file_distrust(path: Path) -> str | None:
    """Why ``path`` cannot be trusted to choose destinations, or None if it can."""
    if os.name == "nt":  # POSIX ownership and modes say nothing useful there
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid():
        return f"it belongs to user id {info.st_uid}, not to you"
    if info.st_mode & 0o022:
        return "other users can write to it"
    try:
        folder = path.absolute().parent.stat()
    except OSError:
        return None
    if folder.st_mode & 0o002 and not folder.st_mode & stat.S_ISVTX:
        return "it is in a folder anyone can write to (anyone could replace it)"
    return None


def refuse_untrusted_destinations(path: Path, values: dict[str, Any]) -> None:
    """Raise ``UntrustedEnvFileError`` if an untrusted ``path`` sets a destination."""
    chosen = [name for name in DESTINATION_FIELDS if values.get(name)]
    if not chosen:
        return
    reason = env_file_distrust(path)
    if reason is None:
        return
    names = ", ".join(f"SOR_{name.upper()}" for name in chosen)
    raise UntrustedEnvFileError(
        f"{path.absolute()} sets {names}, but {reason}: a file someone else controls may not "
        "choose where the secret, the token, logs or recordings go. Set these in your own "
        "environment or command line, or fix the file (chown it to yourself, chmod go-w)."
    )


_SECRET_LINE = re.compile(r"""(?im)^\s*(?:export\s+)?(?:sor_)?client_secret\s*=\s*["']?[^\s"']""")


def secret_file_warnings() -> list[str]:
    """Warnings for settings files that hold a client secret other users can read."""
    if os.name == "nt":  # POSIX modes say nothing useful there
        return []
    warnings = []
    for path in (Path(".env"), paths.config_file()):
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if mode & 0o077 and _SECRET_LINE.search(text):
            warnings.append(
                f"{path} holds a client secret and other users can read it: chmod 600 {path}"
            )
    return warnings
