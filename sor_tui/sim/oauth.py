"""A small asyncio HTTP/1.1 OAuth2 token endpoint with controllable faults (protocol §2)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import math
import time
from collections import Counter, deque
from urllib.parse import parse_qsl, unquote_plus

from sor_tui.sim.config import SimConfig
from sor_tui.sim.scenarios import ScenarioSet
from sor_tui.sim.tokens import TokenStore

log = logging.getLogger("sor_tui.sim.oauth")

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_MAX_BODY = 64 * 1024


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, status: int, error: str, description: str, basic: bool = False) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description
        self.basic = basic


class RateLimiter:
    """Per-IP sliding window with a penalty period (protocol §2.4)."""

    def __init__(self, limit: int, window: float, penalty: float) -> None:
        self.limit, self.window, self.penalty = limit, window, penalty
        self._hits: dict[str, deque[float]] = {}
        self._penalised_until: dict[str, float] = {}

    def check(self, ip: str) -> float | None:
        """Record a request; return the seconds to wait when it must get 429."""
        now = time.monotonic()
        until = self._penalised_until.get(ip, 0.0)
        if now < until:
            return until - now
        hits = self._hits.setdefault(ip, deque())
        hits.append(now)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) > self.limit:
            hits.clear()
            self._penalised_until[ip] = now + self.penalty
            return self.penalty
        return None


def _parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    boundary = ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise OAuthError(400, "invalid_request", "multipart body without boundary")
    fields: dict[str, str] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-disposition:") and b'name="' in line:
                name = line.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
                fields[name] = content.decode("utf-8", "replace")
    return fields


class OAuthServer:
    """The token endpoint: ``POST /oauth2/token`` with the client-credentials grant."""

    def __init__(self, config: SimConfig, tokens: TokenStore, scenarios: ScenarioSet) -> None:
        self.config = config
        self.tokens = tokens
        self.scenarios = scenarios
        self.requests = 0
        self.responses: Counter[int] = Counter()
        self._limiter = RateLimiter(
            config.token_rate_limit, config.token_rate_window, config.token_penalty
        )
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._5xx_sent = 0
        self.port = 0

    async def start(self) -> None:
        """Listen on the configured host and port (0 = ephemeral)."""
        self._server = await asyncio.start_server(
            self._handle, self.config.host, self.config.oauth_port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cancel requests in progress."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def reset_5xx(self) -> None:
        """Restart the count of injected 5xx answers."""
        self._5xx_sent = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            async with asyncio.timeout(30):
                await self._serve_one(reader, writer)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode("latin-1").strip()
        headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        path = rest.partition(" ")[0].partition("?")[0]
        length = int(headers.get("content-length", "0") or 0)
        if length > _MAX_BODY:
            await self._reply(writer, 413, b"")
            return
        body = await reader.readexactly(length) if length else b""
        if path != "/oauth2/token":
            await self._reply(writer, 404, b"")
            return
        self.requests += 1
        if method != "POST":
            await self._reply(writer, 405, b"", {"Allow": "POST"})
            return
        peer = writer.get_extra_info("peername")
        ip = peer[0] if peer else "?"
        await self._token(writer, ip, headers, body)

    async def _token(
        self, writer: asyncio.StreamWriter, ip: str, headers: dict[str, str], body: bytes
    ) -> None:
        sc = self.scenarios
        wait = self._limiter.check(ip)
        if wait is not None:
            await self._reply(writer, 429, b"", {"Retry-After": str(math.ceil(wait))})
            return
        if sc.on("oauth_429"):
            await self._reply(
                writer, 429, b"", {"Retry-After": str(sc.get("oauth_429", "retry_after"))}
            )
            return
        if sc.on("oauth_5xx"):
            times = sc.get("oauth_5xx", "times")
            if times is None or self._5xx_sent < times:
                self._5xx_sent += 1
                await self._reply(writer, int(sc.get("oauth_5xx", "status")), b"upstream error")
                return
        if sc.on("oauth_redirect"):
            await self._reply(
                writer, 302, b"", {"Location": str(sc.get("oauth_redirect", "location"))}
            )
            return
        try:
            answer = self._grant(headers, body)
        except OAuthError as exc:
            extra = {"WWW-Authenticate": 'Basic realm="oauth"'} if exc.basic else {}
            payload = {"error": exc.error, "error_description": exc.description}
            await self._reply(
                writer, exc.status, json.dumps(payload).encode(), extra, json_body=True
            )
            return
        await self._reply(writer, 200, json.dumps(answer).encode(), json_body=True)

    def _grant(self, headers: dict[str, str], body: bytes) -> dict[str, object]:
        content_type = headers.get("content-type", "")
        if content_type.lower().startswith("multipart/form-data"):
            form = _parse_multipart(body, content_type)
        else:
            try:
                pairs = parse_qsl(
                    body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
                )
            except UnicodeDecodeError as exc:
                raise OAuthError(400, "invalid_request", "body is not UTF-8") from exc
            form = {}
            for key, value in pairs:
                if key in form:
                    raise OAuthError(400, "invalid_request", f"repeated parameter {key}")
                form[key] = value
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", "grant_type is required")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "only client_credentials is supported")
        client_id, secret, basic = form.get("client_id"), form.get("client_secret"), False
        auth = headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise OAuthError(401, "invalid_client", "bad basic credentials", True) from exc
            user, _, password = decoded.partition(":")
            if secret is not None:
                raise OAuthError(400, "invalid_request", "more than one client authentication")
            client_id, secret, basic = unquote_plus(user), unquote_plus(password), True
        if not client_id or secret is None:
            raise OAuthError(401, "invalid_client", "client authentication failed", basic)
        spec = self.tokens.authenticate(client_id, secret)
        if spec is None:
            raise OAuthError(401, "invalid_client", "client authentication failed", basic)
        requested = tuple(form["scope"].split()) if form.get("scope") else spec.scopes
        refused = [scope for scope in requested if scope not in spec.scopes]
        if refused:
            raise OAuthError(400, "invalid_scope", "the requested scope is not allowed")
        token, _ = self.tokens.issue(spec.client_id, requested)
        return {
            "access_token": token,
            "expires_in": self.tokens.ttl,
            "token_type": "bearer",
            "scope": " ".join(requested),
        }

    async def _reply(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        extra: dict[str, str] | None = None,
        json_body: bool = False,
    ) -> None:
        self.responses[status] += 1
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        content_type = "application/json" if json_body else "text/plain; charset=utf-8"
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        head += ["Cache-Control: no-store", "Connection: close"]
        head += [f"{key}: {value}" for key, value in (extra or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        slow = self.scenarios.params("oauth_slow")
        if slow is None:
            writer.write(body)
            await writer.drain()
            return
        await writer.drain()
        for index in range(0, len(body), 8):
            await asyncio.sleep(float(slow["delay"]))
            writer.write(body[index : index + 8])
            await writer.drain()
