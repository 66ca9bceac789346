"""A small, scriptable OAuth2 token endpoint on loopback for token-provider tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

SOR_SCOPE = "exchange:read_aggregated_marketdata_stream"


@dataclass
class Reply:
    """One scripted answer; ``json_body`` wins over ``body``; ``drip`` sends a byte at a time."""

    status: int = 200
    json_body: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float | None = None


@dataclass
class Recorded:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The url-encoded form fields (last value wins)."""
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}


def token_reply(
    token: str, expires_in: Any = 3600, scope: str | None = SOR_SCOPE, **extra: Any
) -> Reply:
    """A 200 answer carrying ``token``; pass ``expires_in=None`` or ``scope=None`` to omit."""
    payload: dict[str, Any] = {"access_token": token, "token_type": "bearer", **extra}
    if expires_in is not None:
        payload["expires_in"] = expires_in
    if scope is not None:
        payload["scope"] = scope
    return Reply(json_body=payload)


class OAuthServer:
    """Answers each POST with the next scripted ``Reply``, else a fresh token."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._numbers = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The token URL."""
        return f"http://127.0.0.1:{self.port}/oauth2/token"

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order before falling back to fresh tokens."""
        self.replies.extend(replies)

    async def start(self) -> OAuthServer:
        """Listen on an ephemeral loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and end open connections."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Recorded(method, path, headers, body))
        reply = self.replies.popleft() if self.replies else token_reply(self.next_token())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        payload = (
            json.dumps(reply.json_body).encode() if reply.json_body is not None else reply.body
        )
        response_headers = {"Content-Length": str(len(payload)), "Connection": "close"}
        if reply.json_body is not None:
            response_headers["Content-Type"] = "application/json"
        response_headers.update(reply.headers)
        status_line = f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
        head_out = status_line + "".join(f"{k}: {v}\r\n" for k, v in response_headers.items())
        writer.write(head_out.encode("latin-1") + b"\r\n")
        if reply.drip is None:
            writer.write(payload)
            await writer.drain()
            return
        for index in range(len(payload)):
            writer.write(payload[index : index + 1])
            await writer.drain()
            await asyncio.sleep(reply.drip)

    def next_token(self) -> str:
        """A new token value."""
        return f"token-{next(self._numbers)}"


_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
