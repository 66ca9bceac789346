"""A running ``sor-tui demo`` in a real terminal (tmux), resized live through the size
classes: at each size the screen is read as a person would see it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sor_tui.core.number_text import APPROX

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed: the live resize test needs it"
)

SIZES = [(80, 24), (40, 12), (60, 20), (70, 24), (100, 30), (120, 40), (160, 48), (240, 70),
         (60, 50), (39, 11), (200, 60)]  # fmt: skip
NUMBER = re.compile(rf"^{APPROX}?\d{{1,3}}(,\d{{3}})*(\.\d+)?$")
"""A whole number as the desk writes it: separators every three digits, an optional mark."""


class Tmux:
    """One tmux server of our own (its own socket), holding one session."""

    def __init__(self) -> None:
        self.socket = f"sor-tui-test-{os.getpid()}"

    def run(self, *args: str) -> str:
        # COLUMNS and LINES (set under pytest) would pin the app's size: a terminal's
        # programs read the size from the terminal, as they do outside tests.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, env=env
        )
        return done.stdout

    def screen(self) -> list[str]:
        return self.run("capture-pane", "-p", "-t", "desk").splitlines()

    def wait_for(self, text: str, seconds: float = 30) -> list[str]:
        """The screen once ``text`` is on it (or after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if any(text in line for line in screen[:6]) or time.monotonic() > deadline:
                return screen
            time.sleep(0.2)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    terminal = Tmux()
    command = f"{sys.executable} -m sor_tui demo --seed 7"
    terminal.run("new-session", "-d", "-s", "desk", "-x", "80", "-y", "24", command)
    socket = terminal.run("display-message", "-p", "#{socket_path}").strip()
    try:
        yield terminal
    finally:
        terminal.run("kill-server")
        if socket:
            Path(socket).unlink(missing_ok=True)  # tmux may leave it behind


def ladder_numbers(screen: list[str]) -> list[str]:
    """The number tokens of the first ladder's level lines (left of its rule)."""
    tokens: list[str] = []
    for line in screen[5:]:
        cell = line.split("▕")[0]
        if "spread" in cell or "▕" not in line:
            continue
        tokens.extend(token for token in cell.replace("◀", " ").split())
    return tokens


def test_a_running_demo_resized_live_shows_whole_numbers(tmux: Tmux) -> None:
    assert any("LIVE" in line for line in tmux.wait_for("LIVE")), tmux.screen()
    for width, height in SIZES:
        tmux.run("resize-window", "-t", "desk", "-x", str(width), "-y", str(height))
        # Until the app has repainted, tmux shows the old frame rewrapped: wait for the
        # new one (a loaded machine may take a while), then read it.
        screen = tmux.wait_for("terminal too small" if width < 40 or height < 12 else "Price")
        time.sleep(0.5)
        screen = tmux.screen()
        text = "\n".join(screen)
        assert "Traceback" not in text
        if width < 40 or height < 12:
            assert "terminal too small" in text, text
            continue
        assert re.search(r" (LIVE|SYNCING|RESYNCING|STALE|CROSSED) ", screen[3]), text
        header = screen[4].split("▕")[0].split()
        assert header[0] == "Price" and set(header) <= {"Price", "Size", "Total"}, text
        numbers = ladder_numbers(screen)
        assert numbers, text
        bad = [token for token in numbers if not NUMBER.match(token)]
        assert not bad, (width, height, bad, text)
