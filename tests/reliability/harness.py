"""Helpers for the end-to-end reliability proofs: the desk app on the simulator, screen text.

The feed-level helpers (simulator, running feed, polling, book comparison) come from
``tests.transport.feed_harness``; this module adds the UI end of the chain.
"""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
import pty
import struct
import sys
import termios
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr
from rich.text import Text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable

from sor_tui.config.credentials import Credentials, CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.core.events import Channel
from sor_tui.runtime.sources import LiveSource
from sor_tui.sim.config import SimConfig
from sor_tui.sim.server import Simulator
from sor_tui.transport.feed import Feed, FeedOptions
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.status import FeedEvent
from sor_tui.ui.app import SorApp
from sor_tui.ui.factory import make_app
from sor_tui.ui.widgets.error_log import ErrorLog
from tests.transport.feed_harness import Running

FAST_FEED: dict[str, Any] = {
    "request_spacing": 0.0,
    "resync_interval": 0.05,
    "healthy_after": 0.3,
    "close_timeout": 0.5,
    "tick": 0.02,
}


def live_app(
    ws_url: str,
    oauth_url: str,
    client_id: str,
    client_secret: str,
    *,
    markets: str = "BTCUSD,ETHUSD",
    feed: dict[str, Any] | None = None,
    **settings: Any,
) -> SorApp:
    """The desk app on a loopback environment, built by the CLI's factory and source."""
    values: dict[str, Any] = {
        "markets": markets,
        "ws_url": ws_url,
        "oauth_url": oauth_url,
        "backoff_floor": 0.05,
        "backoff_cap": 0.2,
        "heartbeat_timeout": 2.0,
        "token_deadline": 3.0,
    }
    values.update(settings)
    config = Settings(**values)
    credentials = Credentials(client_id, SecretStr(client_secret), "env")
    source = LiveSource(config, credentials, feed_overrides={**FAST_FEED, **(feed or {})})
    return make_app(config, source=source, store=CredentialStore())


async def pilot_until(
    pilot: Pilot[Any], condition: Callable[[], bool], within: float = 15.0, what: str = ""
) -> None:
    """Let the app run until ``condition`` holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what or 'condition'}")
        await pilot.pause(0.05)


def error_rows(app: SorApp) -> list[str]:
    """Every row of the error pane as plain text."""
    table: DataTable[Any] = app.desk.query_one(ErrorLog).query_one(DataTable)
    rows = []
    for index in range(table.row_count):
        rows.append(" ".join(str(getattr(c, "plain", c)) for c in table.get_row_at(index)))
    return rows


def plain(widget: Widget) -> str:
    """What a widget renders, as plain text (Rich Text or a string)."""
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def status_text(app: SorApp) -> str:
    """The status bar as plain text."""
    return plain(app.desk.status_bar)


def tape_text(app: SorApp) -> str:
    """The trade tape as plain text."""
    return plain(app.desk.tape)


def rss_bytes() -> int:
    """This process's resident set size (Linux), for memory-bound figures."""
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def task_count() -> int:
    """Tasks alive on the running loop."""
    return len(asyncio.all_tasks())


@asynccontextmanager
async def feed_via(
    sim: Simulator,
    ws_url: str,
    desired: Iterable[Channel],
    *,
    feed_options: FeedOptions,
    on_event: Callable[[FeedEvent], None] | None = None,
    client_secret: str | None = None,
) -> AsyncIterator[Running]:
    """Like ``running_feed`` but connecting to ``ws_url`` (a fault proxy in front of the sim)."""
    tokens = TokenProvider(
        sim.oauth_url,
        sim.client_id,
        SecretStr(client_secret or sim.client_secret),
        deadline=3.0,
        backoff_base=0.02,
        backoff_cap=0.1,
    )
    feed = Feed(ws_url, tokens, desired, options=feed_options)
    events: list[FeedEvent] = []

    def collect(event: FeedEvent) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    task = asyncio.create_task(feed.run(collect))
    try:
        yield Running(feed, tokens, task, events)
    finally:
        await asyncio.wait_for(feed.stop(), 3)
        await asyncio.wait({task}, timeout=3)
        assert task.done(), "feed did not stop"
        if not task.cancelled():
            task.result()
        await tokens.aclose()


class SimProcess:
    """A simulator in a child process (its own core and GIL), driven over a pipe.

    Load tests need a producer that neither shares the client's event loop nor its GIL,
    or the figures measure the simulator as much as the client.
    """

    def __init__(self, config: SimConfig) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_sim_main, args=(config, child), daemon=True)
        self.ws_url = self.oauth_url = self.client_id = self.client_secret = ""

    def __enter__(self) -> SimProcess:
        self._process.start()
        if not self._conn.poll(30):
            raise RuntimeError("the simulator process did not start")
        self.ws_url, self.oauth_url, self.client_id, self.client_secret = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call("stop")
        except (OSError, EOFError, RuntimeError):
            pass
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def call(self, command: str, *args: Any) -> Any:
        """Run a command in the simulator process: pause, resume, server_book, frames_sent."""
        self._conn.send((command, *args))
        if not self._conn.poll(10):
            raise RuntimeError(f"the simulator process did not answer {command!r}")
        return self._conn.recv()


def _sim_main(config: SimConfig, conn: Any) -> None:
    asyncio.run(_sim_serve(config, conn))


async def _sim_serve(config: SimConfig, conn: Any) -> None:
    loop = asyncio.get_running_loop()
    async with Simulator(config) as sim:
        conn.send((sim.ws_url, sim.oauth_url, sim.client_id, sim.client_secret))
        commands: dict[str, Callable[..., Any]] = {
            "pause": sim.pause,
            "resume": sim.resume,
            "server_book": sim.server_book,
            "frames_sent": lambda: sum(sim.stats.frames_sent.values()),
        }
        while True:
            command, *args = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                conn.send(None)
                return
            conn.send(commands[command](*args))


class Terminal:
    """``sor-tui tui`` running in a pseudo-terminal, with everything it wrote to it."""

    def __init__(self, process: asyncio.subprocess.Process, master: int) -> None:
        self.process = process
        self.master = master
        self.output = bytearray()

    def drain(self) -> None:
        """Read what the app wrote so far."""
        try:
            while chunk := os.read(self.master, 65536):
                self.output.extend(chunk)
        except OSError:  # BlockingIOError when empty, EIO once the child is gone
            pass

    def press(self, keys: bytes) -> None:
        """Type keys into the terminal."""
        os.write(self.master, keys)


@asynccontextmanager
async def tui_in_a_terminal(sim: Simulator, **settings: str) -> AsyncIterator[Terminal]:
    """Run ``sor-tui tui`` on ``sim`` in a 100x30 pty; kill it if the test leaves it running."""
    env = {
        **os.environ,
        "SOR_CLIENT_ID": sim.client_id,
        "SOR_CLIENT_SECRET": sim.client_secret,
        "SOR_MARKETS": "BTCUSD",
        "TERM": "xterm-256color",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        **settings,
    }
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "sor_tui", "tui", "--environment", "sandbox"),
        *("--ws-url", sim.ws_url, "--oauth-url", sim.oauth_url),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    os.set_blocking(master, False)
    terminal = Terminal(process, master)
    loop = asyncio.get_running_loop()
    loop.add_reader(master, terminal.drain)
    try:
        yield terminal
    finally:
        loop.remove_reader(master)
        if process.returncode is None:
            process.kill()
            await process.wait()
        terminal.drain()
        os.close(master)
