"""The record package and ``sor-tui export`` never load the UI."""

from __future__ import annotations

import subprocess
import sys


def test_record_imports_no_ui() -> None:
    code = (
        "import sys, pkgutil, importlib, sor_tui.record as record\n"
        "for m in pkgutil.walk_packages(record.__path__, 'sor_tui.record.'):\n"
        "    importlib.import_module(m.name)\n"
        "import sor_tui.sim.replay_source\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich')"
        " or n.startswith('sor_tui.ui'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
