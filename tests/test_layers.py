"""The layers hold: the core is pure, runtime has no Textual, each package imports only
the packages below it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sor_tui

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


# What each package may import of the project (besides itself); pyproject.toml's
# import-linter contracts say the same, this checks it by reading every module's imports.
ALLOWED = {
    "core": (),
    "config": ("core",),
    "transport": ("config", "core"),
    "record": ("core",),
    "runtime": ("record", "transport", "config", "core"),
    "ui": ("runtime", "record", "transport.status", "config", "core"),
    "sim": (),
}
PACKAGE = Path(sor_tui.__file__).parent


def _project_imports(path: Path) -> set[str]:
    """The ``sor_tui.*`` modules a file imports (type-checking imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("sor_tui.")}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_its_layer_allows(package: str) -> None:
    allowed = tuple(f"sor_tui.{name}" for name in (package, *ALLOWED[package]))
    wrong = sorted(
        f"{path.relative_to(PACKAGE.parent)} -> {name}"
        for path in (PACKAGE / package).rglob("*.py")
        for name in _project_imports(path)
        if not any(name == a or name.startswith(f"{a}.") for a in allowed)
    )
    assert not wrong, "\n".join(wrong)


def test_runtime_loads_no_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, sor_tui.runtime as runtime\n"
        "for m in pkgutil.walk_packages(runtime.__path__, 'sor_tui.runtime.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"runtime pulled in: {out.stdout.strip()}"
