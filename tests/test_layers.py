"""The core stays pure: importing it loads no UI or I/O library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("textual", "rich", "websockets", "httpx", "keyring", "pydantic", "pydantic_settings")


def test_core_imports_no_ui_or_io_library() -> None:
    code = (
        "import sys, pkgutil, importlib, sor_tui.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'sor_tui.core.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core pulled in: {out.stdout.strip()}"


def test_cli_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sor_tui", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "stream", "sim", "login"):
        assert command in out.stdout
