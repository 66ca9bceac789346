"""A slow link: the app in a real pty, its output drained at a chosen byte rate by a terminal.

The reader plays the terminal at the far end of a slow SSH link: it takes at most
``rate`` bytes a second from the pty, feeds them to a screen model (pyte) and answers the
queries the app sends (cursor position ``ESC[6n``, device attributes ``ESC[c``) in order
with the bytes drained, so a round trip sees every buffer between the app and the screen.
Used by the terminal tests and by ``bench/bench_link.py``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyte

TICK = 0.01  # seconds between two reads of the pty: the drain is smooth at 100 Hz
CLOCK = re.compile(r"\b([0-2]\d):([0-5]\d):([0-5]\d)(?:\.(\d{3}))?\b")


class AnsweringScreen(pyte.Screen):  # type: ignore[misc]
    """A pyte screen that writes its answers to terminal queries back to the app."""

    def __init__(self, columns: int, rows: int, answer: Callable[[str], None]) -> None:
        super().__init__(columns, rows)
        self._answer = answer
        self.queries = 0

    def write_process_input(self, data: str) -> None:
        """Send an answer (cursor position report, device attributes) to the app."""
        self.queries += 1
        self._answer(data)


@dataclass
class LinkStats:
    """What went through the link: bytes drained and answered queries, with times."""

    started: float = field(default_factory=time.monotonic)
    drained_bytes: int = 0
    answered_queries: int = 0

    def bytes_per_second(self, since: float | None = None) -> float:
        """Mean drain rate since the start."""
        elapsed = time.monotonic() - (self.started if since is None else since)
        return self.drained_bytes / elapsed if elapsed > 0 else 0.0


class SlowLinkTerminal:
    """One app process in a pty whose output is drained at ``rate`` bytes a second."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        columns: int,
        rows: int,
        rate: float | None,
        env: dict[str, str] | None = None,
        screen_model: bool = True,
        answers: bool = True,
    ) -> None:
        self.columns = columns
        self.answers = answers  # False: a terminal that ignores queries
        self.rows = rows
        self.rate = rate  # None: drain as fast as the app writes
        self.stats = LinkStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        # A 256-colour terminal as over SSH (COLORTERM is not forwarded by default).
        base = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
        full_env = {**base, "TERM": "xterm-256color", **(env or {})}
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self._master = master
        self.screen = AnsweringScreen(columns, rows, self._write_answer)
        self._stream = pyte.ByteStream(self.screen) if screen_model else None
        self._scanner = _QueryScanner(self._write_answer) if not screen_model else None
        self._reader = threading.Thread(target=self._drain, name="slow-link", daemon=True)
        self._reader.start()

    # ---- the far end ---------------------------------------------------------------

    def _write_answer(self, data: str) -> None:
        if not self.answers:
            return
        self.stats.answered_queries += 1
        try:
            os.write(self._master, data.encode())
        except OSError:
            pass  # the app is gone

    def _drain(self) -> None:
        budget = 0.0
        last = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if self.rate is None:
                want = 65536
            else:
                budget = min(budget + (now - last) * self.rate, max(self.rate * TICK * 4, 64))
                want = int(budget)
            last = now
            if want <= 0:
                time.sleep(TICK)
                continue
            try:
                chunk = os.read(self._master, want)
            except OSError:  # EIO once the app has exited
                return
            if not chunk:
                return
            budget -= len(chunk)
            with self._lock:
                self.stats.drained_bytes += len(chunk)
                if self._stream is not None:
                    self._stream.feed(chunk)
                elif self._scanner is not None:
                    self._scanner.feed(chunk)
            if self.rate is not None:
                time.sleep(TICK)

    # ---- the test's end -------------------------------------------------------------

    def send(self, keys: str) -> None:
        """Type keys into the app."""
        os.write(self._master, keys.encode())

    def lines(self) -> list[str]:
        """The screen's text as it is now."""
        with self._lock:
            return list(self.screen.display)

    def text(self) -> str:
        """The screen's text, one string."""
        return "\n".join(self.lines())

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> float | None:
        """Seconds until the screen's text satisfies ``predicate``; None after ``timeout``."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if predicate(self.text()):
                return time.monotonic() - start
            if self.process.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def newest_print_age(self, now: float | None = None) -> float | None:
        """How far (seconds) the newest time of day on screen is behind the wall clock."""
        return newest_clock_age(self.lines(), time.time() if now is None else now)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the app process has used so far."""
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        """Stop the app (it was started here) and the reader."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._stop.set()
        self._reader.join(5)
        os.close(self._master)


class _QueryScanner:
    """Answers queries without a screen model (for fast drains that only count bytes)."""

    QUERY = re.compile(rb"\x1b\[(6n|\??c|0c)")

    def __init__(self, answer: Callable[[str], None]) -> None:
        self._answer = answer
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        """Answer the queries in this chunk (one split across chunks included)."""
        data = self._tail + chunk
        end = 0
        for match in self.QUERY.finditer(data):
            self._answer("\x1b[1;1R" if match.group(1) == b"6n" else "\x1b[?62;c")
            end = match.end()
        rest = data[max(end, len(data) - 3) :]
        self._tail = rest[rest.index(b"\x1b") :] if b"\x1b" in rest else b""


def newest_clock_age(lines: Sequence[str], now: float) -> float | None:
    """Age of the latest UTC time of day printed on these lines (None when there is none)."""
    day_now = now % 86_400
    best: float | None = None
    for line in lines:
        for match in CLOCK.finditer(line):
            hours, minutes, seconds, millis = match.groups()
            if int(hours) > 23:
                continue
            value = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
            value += int(millis) / 1000 if millis else 0.999  # whole seconds: the kindest end
            age = (day_now - value) % 86_400
            if age > 43_200:
                age -= 86_400  # slightly in the future (clock skew): a negative age
            best = age if best is None else min(best, age)
    return best


def demo_argv(*options: str) -> list[str]:
    """``sor-tui demo`` with these options, run by this interpreter."""
    return [sys.executable, "-m", "sor_tui", "demo", *options]


@contextmanager
def slow_link(
    argv: Sequence[str],
    *,
    columns: int = 160,
    rows: int = 48,
    rate: float | None = 32_000,
    env: dict[str, str] | None = None,
    screen_model: bool = True,
    answers: bool = True,
) -> Iterator[SlowLinkTerminal]:
    """The app behind a slow link for the duration of the block."""
    terminal = SlowLinkTerminal(
        argv,
        columns=columns,
        rows=rows,
        rate=rate,
        env=env,
        screen_model=screen_model,
        answers=answers,
    )
    try:
        yield terminal
    finally:
        terminal.close()
