"""A small asyncio TCP proxy on loopback that can pass, delay, blackhole, drop or cut traffic.

Put it between the client and the simulator to make faults the simulator cannot make
itself: a link that silently stops carrying bytes (blackhole), an abrupt reset of every
open connection (drop), added latency (delay), a listener that accepts but never answers
(``hold``), or a canned HTTP answer to the WebSocket upgrade (``respond``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field


@dataclass
class ProxyStats:
    """Counters of what the proxy saw."""

    accepted: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0  # server -> client
    responded_at: list[float] = field(default_factory=list)  # monotonic times of canned answers


class FaultProxy:
    """``async with FaultProxy(port) as proxy``: listen on 127.0.0.1, forward to ``port``."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.stats = ProxyStats()
        self.blackholed = False  # bytes are read and discarded in both directions
        self.hold = False  # new connections are accepted and never answered
        self.delay = 0.0  # seconds added before forwarding each chunk
        self.canned: bytes | None = None  # answer new connections with this, then close
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The ``ws://`` URL of the proxy."""
        return f"ws://127.0.0.1:{self.port}/"

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        self.drop()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # -- faults ------------------------------------------------------------------------

    def drop(self) -> None:
        """Reset every open connection (RST, no close frame, no FIN)."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def cut(self) -> None:
        """Close every open connection cleanly at the TCP level (FIN, no close frame)."""
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def respond(self, status_line: str, headers: dict[str, str] | None = None) -> None:
        """Answer every new connection's request with this HTTP response and close it."""
        lines = [f"HTTP/1.1 {status_line}", "Content-Length: 0", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.canned = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    # -- plumbing ----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.accepted += 1
        self._writers.add(writer)
        try:
            if self.canned is not None:
                with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                    await reader.readuntil(b"\r\n\r\n")
                    self.stats.responded_at.append(time.monotonic())
                    writer.write(self.canned)
                    await writer.drain()
                return
            if self.hold:
                await reader.read()  # until the client gives up
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
            except OSError:
                return
            self._writers.add(up_writer)
            up = asyncio.ensure_future(self._pipe(reader, up_writer, up=True))
            down = asyncio.ensure_future(self._pipe(up_reader, writer, up=False))
            try:
                await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                up.cancel()
                down.cancel()
                await asyncio.gather(up, down, return_exceptions=True)
                up_writer.transport.abort()
                self._writers.discard(up_writer)
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, up: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                if self.blackholed:
                    continue  # swallowed: the link looks alive to TCP, dead to the app
                if self.delay:
                    await asyncio.sleep(self.delay)
                if up:
                    self.stats.bytes_up += len(chunk)
                else:
                    self.stats.bytes_down += len(chunk)
                writer.write(chunk)
                await writer.drain()
