"""``sor-tui sim --replay FILE``: serve a sor-tui recording over the real protocol.

Each WebSocket connection gets the recorded server frames from the start, paced by their
recorded receive times (divided by ``speed``), once the client has sent its first request;
the requests are otherwise ignored, since the recording already holds the answers it got.
The token endpoint and the Bearer check are the simulator's own, so any client (ours, the
vendor samples) connects as it would to the simulator. The reader here is independent of
the client's: the simulator must not share the client's code (a shared mistake would hide
itself).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import signal
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from sor_tui.sim.config import SOR_SCOPE, ClientSpec, SimConfig
from sor_tui.sim.oauth import OAuthServer
from sor_tui.sim.scenarios import ScenarioSet
from sor_tui.sim.tokens import TokenStore

log = logging.getLogger("sor_tui.sim.replay")


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One received frame of a recording and when it was received."""

    t_ns: int
    data: str | bytes


_MIB = 1 << 20
MAX_LINE_BYTES = 96 * _MIB
"""Longest recorded line served; longer ones are skipped."""
MAX_EXPANSION = 50
"""Most decompressed bytes per byte of file; past it the file is refused (a gzip bomb)."""


def _inflate(raw: bytes, budget: int) -> bytes:
    """The members of a gzip file, at most ``budget`` bytes (ValueError past it)."""
    parts: list[bytes] = []
    produced = 0
    while raw:
        member = zlib.decompressobj(wbits=31)
        data = raw
        try:
            while data:
                part = member.decompress(data, _MIB)
                produced += len(part)
                if produced > budget:
                    raise ValueError(
                        f"the file decompresses to more than {budget // _MIB} MiB: "
                        "not a sor-tui recording"
                    )
                parts.append(part)
                data = member.unconsumed_tail
        except zlib.error:
            break
        if not member.eof:
            with contextlib.suppress(zlib.error):
                parts.append(member.flush(_MIB))
            break
        raw = member.unused_data
    return b"".join(parts)


def _lines(path: Path) -> Iterator[bytes]:
    """Complete lines of a (possibly truncated) multi-member gzip or plain file."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = _inflate(raw, max(64 * _MIB, MAX_EXPANSION * len(raw)))
    *complete, _tail = raw.split(b"\n")  # an unterminated last line was cut: drop it
    yield from (line for line in complete if len(line) <= MAX_LINE_BYTES)


def read_frames(path: Path) -> list[RecordedFrame]:
    """The recorded frames in order (marks and bad lines skipped); ValueError if no recording."""
    lines = _lines(path)
    first = next(lines, None)  # a gzip bomb raises its own ValueError here
    if first is None:
        raise ValueError("not a sor-tui recording (empty)")
    try:
        header = json.loads(first)
    except (ValueError, RecursionError):
        raise ValueError("not a sor-tui recording") from None
    if not isinstance(header, dict) or header.get("sor_tui_recording") != 1:
        raise ValueError("not a sor-tui recording (version 1)")
    frames: list[RecordedFrame] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("t"), int):
            continue
        text = entry.get("f")
        if not isinstance(text, str):
            continue  # a lifecycle mark: nothing the server sent
        if entry.get("bin"):
            try:
                frames.append(RecordedFrame(entry["t"], base64.b64decode(text, validate=True)))
            except (binascii.Error, ValueError):
                continue
        else:
            frames.append(RecordedFrame(entry["t"], text))
    return frames


class RecordingServer:
    """Serves recorded frames to every connection: ``async with RecordingServer(...)``."""

    def __init__(
        self,
        frames: list[RecordedFrame],
        *,
        config: SimConfig | None = None,
        speed: float = 1.0,
        require_token: bool = True,
        wait_for_request: bool = True,
    ) -> None:
        self.frames = frames
        self.config = config or SimConfig()
        self.speed = max(speed, 0.001)
        self.require_token = require_token
        # A recording starts with the answers to the client's subscribe: play once the
        # client has sent its first request, so its books are waiting for the snapshot.
        self.wait_for_request = wait_for_request
        spec = ClientSpec(self.config.client_id, self.config.client_secret)
        self.tokens = TokenStore([spec], self.config.token_ttl)
        self.oauth = OAuthServer(self.config, self.tokens, ScenarioSet())
        self.connections = 0
        self.frames_sent = 0
        self._server: Server | None = None
        self.ws_port = 0

    def __repr__(self) -> str:
        return f"RecordingServer(frames={len(self.frames)}, ws_port={self.ws_port})"

    @property
    def ws_url(self) -> str:
        """The WebSocket URL."""
        return f"ws://{self.config.host}:{self.ws_port}/"

    @property
    def oauth_url(self) -> str:
        """The token endpoint URL."""
        return f"http://{self.config.host}:{self.oauth.port}/oauth2/token"

    async def __aenter__(self) -> RecordingServer:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the token endpoint and the WebSocket server."""
        await self.oauth.start()
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.ws_port,
            process_request=self._authorize,
            max_size=1 << 20,
            compression=None,
        )
        self.ws_port = next(iter(self._server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        """Close every connection and both servers."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.oauth.stop()

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        if not self.require_token:
            return None
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        issued = self.tokens.lookup(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or not issued.valid():
            return connection.respond(HTTPStatus.UNAUTHORIZED, "")
        if SOR_SCOPE not in issued.scopes:
            return connection.respond(HTTPStatus.FORBIDDEN, "")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        self.connections += 1
        first_request = asyncio.Event()
        drain = asyncio.create_task(self._ignore_requests(connection, first_request))
        try:
            if self.wait_for_request:
                await first_request.wait()
            await self._play(connection)
            await drain  # keep the connection open until the client leaves
        except ConnectionClosed:
            pass
        finally:
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await drain

    async def _play(self, connection: ServerConnection) -> None:
        if not self.frames:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        first_ns = self.frames[0].t_ns
        for frame in self.frames:
            due = started + (frame.t_ns - first_ns) / 1e9 / self.speed
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await connection.send(frame.data)
            self.frames_sent += 1

    async def _ignore_requests(self, connection: ServerConnection, first: asyncio.Event) -> None:
        try:
            async for _ in connection:
                first.set()
        finally:
            first.set()  # the client left: let the player notice the closed connection


async def serve_recording_forever(path: Path, config: SimConfig, speed: float = 1.0) -> None:
    """Serve a recording until SIGINT or SIGTERM, printing the URLs like ``sor-tui sim``."""
    frames = await asyncio.to_thread(read_frames, path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with RecordingServer(frames, config=config, speed=speed) as server:
        print(f"SOR_WS_URL={server.ws_url}", flush=True)
        print(f"SOR_OAUTH_URL={server.oauth_url}", flush=True)
        log.info("serving %d recorded frames at x%g", len(frames), speed)
        await stop.wait()
