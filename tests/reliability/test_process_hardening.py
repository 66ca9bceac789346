"""The process keeps its memory out of core dumps; a simulator bound beyond loopback warns."""

from __future__ import annotations

import subprocess
import sys

from sor_tui.commands.sim import client_url, exposure_warning

PROBE = """
import ctypes, resource, sys
from sor_tui.cli import main
main(["--version"])
dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0) if sys.platform.startswith("linux") else 0
print(resource.getrlimit(resource.RLIMIT_CORE), dumpable)
"""


def test_every_command_runs_without_core_dumps() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines()[-1] == "(0, 0) 0"


def test_a_wildcard_bind_prints_urls_a_client_can_use() -> None:
    assert client_url("ws://0.0.0.0:8765/", "0.0.0.0") == "ws://127.0.0.1:8765/"
    assert client_url("http://0.0.0.0:99/oauth2/token", "0.0.0.0") == (
        "http://127.0.0.1:99/oauth2/token"
    )
    assert client_url("ws://[::]:8765/", "::") == "ws://[::1]:8765/"
    assert client_url("ws://127.0.0.1:8765/", "127.0.0.1") == "ws://127.0.0.1:8765/"


def test_binding_beyond_loopback_warns_of_public_credentials_and_clear_text() -> None:
    assert exposure_warning("127.0.0.1", "demo-client") is None
    warning = exposure_warning("0.0.0.0", "demo-client")
    assert warning is not None
    assert "demo credentials anyone can know" in warning and "clear text" in warning
