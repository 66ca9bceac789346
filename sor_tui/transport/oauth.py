"""OAuth2 client-credentials token provider (protocol §2): cached, single-flight, bounded.

One provider per process and environment: the token endpoint is rate limited per IP
(§2.4), so every connection shares the cached token and a 429 sets a visible penalty.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import random
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from sor_tui.config.settings import SOR_SCOPE
from sor_tui.core.sanitize import sanitize

log = logging.getLogger(__name__)

TokenErrorKind = Literal[
    "invalid_client",
    "invalid_scope",
    "invalid_request",
    "rate_limited",
    "unavailable",
    "deadline",
    "protocol",
    "missing_scope",
]
MIN_LIFETIME = 5.0
MAX_LIFETIME = 24 * 3600.0
ASSUMED_LIFETIME = 900.0
"""Lifetime assumed when the server omits ``expires_in``: short, so a wrong guess costs little."""
RATE_LIMIT_PENALTY = 300.0
"""§2.4: after a 429 the endpoint throttles the IP for 5 minutes."""
MAX_RETRY_AFTER = 3600.0
MAX_BODY_BYTES = 64 * 1024
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]{1,8192}")


class TokenError(Exception):
    """A token could not be obtained; the message is safe to show (never a secret)."""

    def __init__(
        self,
        kind: TokenErrorKind,
        message: str,
        *,
        final: bool,
        retry_at: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: TokenErrorKind = kind
        self.message = message
        self.final = final
        self.retry_at = retry_at
        self.status = status


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token; ``value`` never shows in repr or str, ``expires_at`` is monotonic."""

    value: SecretStr = field(repr=False)
    expires_at: float
    scope: str
    lifetime: float
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __str__(self) -> str:
        return f"AccessToken(scope={self.scope!r}, remaining={self.remaining():.0f}s)"

    @property
    def scopes(self) -> frozenset[str]:
        """The granted scopes as a set."""
        return frozenset(self.scope.split())

    def remaining(self, now: float | None = None) -> float:
        """Seconds of validity left (negative once expired), on the provider's clock."""
        return self.expires_at - (self.clock() if now is None else now)

    def authorization(self) -> str:
        """The ``Authorization`` header value for the WebSocket handshake."""
        return f"Bearer {self.value.get_secret_value()}"


def parse_retry_after(value: str | None, now_wall: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date), clamped."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now_wall is None else now_wall)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _lifetime(raw: Any) -> float:
    if isinstance(raw, bool) or raw is None:
        return ASSUMED_LIFETIME
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        return ASSUMED_LIFETIME
    if not math.isfinite(seconds):
        return ASSUMED_LIFETIME
    return min(max(seconds, MIN_LIFETIME), MAX_LIFETIME)


class _Retry(Exception):
    """Internal: a transient failure, with an optional server-requested delay."""

    def __init__(self, reason: str, delay: float | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.status = status


class TokenProvider:
    """Fetches and caches access tokens for one client; N concurrent callers, 1 request."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str = SOR_SCOPE,
        *,
        http: httpx.AsyncClient | None = None,
        deadline: float = 30.0,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        rate_limit_penalty: float = RATE_LIMIT_PENALTY,
        required_scope: str = SOR_SCOPE,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.deadline = deadline
        self.refresh_margin = refresh_margin
        self.required_scope = required_scope
        self.rate_limit_penalty = rate_limit_penalty
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(follow_redirects=False, verify=True)
        self._token: AccessToken | None = None
        self._inflight: asyncio.Task[AccessToken] | None = None
        self._retry_at: float | None = None
        self.token_requests = 0
        self.last_error: TokenError | None = None

    def __repr__(self) -> str:
        return f"TokenProvider(token_url={self.token_url!r}, client_id={self.client_id!r})"

    async def __aenter__(self) -> TokenProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def retry_at(self) -> float | None:
        """Until when (provider clock) no token request is made after a 429, or None."""
        if self._retry_at is not None and self._clock() >= self._retry_at:
            return None
        return self._retry_at

    @property
    def cached(self) -> AccessToken | None:
        """The cached token, if any (possibly near expiry)."""
        return self._token

    def expires_in(self) -> float | None:
        """Seconds until the cached token expires, or None without one."""
        return None if self._token is None else self._token.remaining(self._clock())

    def invalidate(self, token: AccessToken) -> None:
        """Drop ``token`` (after a handshake 401) if it is still the cached one."""
        if self._token is token:
            log.info("access token invalidated; the next connection fetches a new one")
            self._token = None

    async def aclose(self) -> None:
        """Cancel a fetch in flight and close the HTTP client if this provider made it."""
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            try:
                await self._inflight
            except (asyncio.CancelledError, TokenError):
                pass
        self._inflight = None
        if self._owns_http:
            await self._http.aclose()

    def _fresh_enough(self, token: AccessToken, min_ttl: float | None) -> bool:
        wanted = self.refresh_margin if min_ttl is None else min_ttl
        # A server issuing short tokens must not turn every call into a fetch.
        wanted = min(wanted, token.lifetime / 2)
        return token.remaining(self._clock()) > wanted

    async def get_token(self, min_ttl: float | None = None) -> AccessToken:
        """A token with more than ``min_ttl`` (default: the refresh margin) seconds left."""
        token = self._token
        if token is not None and self._fresh_enough(token, min_ttl):
            return token
        if self._inflight is None or self._inflight.done():
            penalty = self.retry_at
            if penalty is not None:
                if token is not None and token.remaining(self._clock()) > 0:
                    return token
                raise TokenError(
                    "rate_limited",
                    f"token endpoint rate limit: next request allowed in "
                    f"{penalty - self._clock():.0f} s",
                    final=False,
                    retry_at=penalty,
                    status=429,
                )
            self._inflight = asyncio.create_task(self._fetch(), name="sor-tui token fetch")
            self._inflight.add_done_callback(_consume_exception)
        # Shielded: one caller giving up must not cancel the fetch for the others.
        return await asyncio.shield(self._inflight)

    def _form(self) -> dict[str, str]:
        # The one place the client secret is unwrapped (protocol §2.1, client_secret_post).
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret.get_secret_value(),
            "scope": self.scope,
        }

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0 ** min(attempt, 30))
        # Equal jitter: spread retries but never retry immediately.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    async def _fetch(self) -> AccessToken:
        try:
            token = await self._fetch_with_retries()
        except TokenError as exc:
            self.last_error = exc
            log.warning("access token request failed: %s", exc.message)
            raise
        self.last_error = None
        self._token = token
        log.info("access token obtained, valid %.0f s, scope %s", token.lifetime, token.scope)
        return token

    async def _fetch_with_retries(self) -> AccessToken:
        start = self._clock()
        deadline_at = start + self.deadline
        attempt = 0
        last_reason: str | None = None
        while True:
            remaining = deadline_at - self._clock()
            if remaining <= 0:
                raise self._deadline_error(last_reason)
            try:
                return await self._request_once(remaining)
            except _Retry as retry:
                now = self._clock()
                last_reason = retry.reason
                # Never sooner than our own backoff, even if the server says "0".
                delay = max(retry.delay or 0.0, self._backoff(attempt))
                attempt += 1
                if retry.status == 429:
                    self._retry_at = now + delay
                    if now + delay > deadline_at:
                        raise TokenError(
                            "rate_limited",
                            f"token endpoint rate limit (HTTP 429): retry in {delay:.0f} s",
                            final=False,
                            retry_at=self._retry_at,
                            status=429,
                        ) from None
                elif now + delay >= deadline_at:
                    if retry.delay is not None:
                        raise TokenError(
                            "unavailable",
                            f"token endpoint unavailable ({retry.reason}); "
                            f"it asks to retry in {delay:.0f} s",
                            final=False,
                            retry_at=now + delay,
                            status=retry.status,
                        ) from None
                    raise self._deadline_error(retry.reason) from None
                log.info("token request failed (%s); retrying in %.2f s", retry.reason, delay)
                await self._sleep(delay)

    def _deadline_error(self, reason: str | None) -> TokenError:
        detail = f"; last error: {reason}" if reason else ""
        return TokenError(
            "deadline", f"no access token within {self.deadline:g} s{detail}", final=False
        )

    async def _request_once(self, remaining: float) -> AccessToken:
        self.token_requests += 1
        try:
            # asyncio.timeout bounds the whole exchange: httpx's own timeouts are per
            # read, which a drip-feeding server never trips.
            async with asyncio.timeout(remaining):
                async with self._http.stream(
                    "POST",
                    self.token_url,
                    data=self._form(),
                    headers={"Accept": "application/json"},
                    timeout=httpx.Timeout(remaining),
                    follow_redirects=False,
                ) as response:
                    status = response.status_code
                    headers = response.headers
                    body = await _read_limited(response)
        except TimeoutError:
            raise _Retry("request timed out") from None
        except httpx.TimeoutException:
            raise _Retry("request timed out") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise TokenError(
                "protocol", f"invalid token URL: {sanitize(str(exc), 120)}", final=True
            ) from None
        except httpx.TransportError as exc:
            if _certificate_failure(exc):
                raise TokenError(
                    "unavailable",
                    "the token endpoint's TLS certificate could not be verified; "
                    "check the token URL and the system's CA certificates",
                    final=True,
                ) from None
            raise _Retry(f"network error: {type(exc).__name__}") from None
        return self._interpret(status, headers, body)

    def _interpret(self, status: int, headers: httpx.Headers, body: bytes | None) -> AccessToken:
        if 200 <= status < 300:
            return self._parse_success(status, body)
        if 300 <= status < 400:
            location = sanitize(headers.get("location", "(none)"), 120)
            raise TokenError(
                "protocol",
                f"token endpoint answered HTTP {status} (redirect to {location}); redirects "
                "are not followed: check the token URL",
                final=True,
                status=status,
            )
        if status == 429:
            delay = parse_retry_after(headers.get("retry-after"))
            raise _Retry("HTTP 429", delay if delay is not None else self.rate_limit_penalty, 429)
        if status >= 500:
            raise _Retry(f"HTTP {status}", parse_retry_after(headers.get("retry-after")), status)
        if status in (404, 405):
            raise TokenError(
                "protocol",
                f"token endpoint answered HTTP {status}: check the token URL",
                final=True,
                status=status,
            )
        raise self._client_error(status, body)

    def _client_error(self, status: int, body: bytes | None) -> TokenError:
        payload = _json_object(body)
        code = payload.get("error") if payload else None
        code = code if isinstance(code, str) else ""
        description = payload.get("error_description") if payload else None
        detail = f": {sanitize(description, 160)}" if isinstance(description, str) else ""
        shown = sanitize(code, 40) if code else f"HTTP {status}"
        if code in ("invalid_client", "unauthorized_client") or (not code and status in (401, 403)):
            return TokenError(
                "invalid_client",
                f"the client id or secret was rejected ({shown}){detail}. "
                "Check them in the Paxos dashboard and run 'sor-tui login'",
                final=True,
                status=status,
            )
        if code == "invalid_scope":
            return TokenError(
                "invalid_scope",
                f"the scope {self.scope!r} is not enabled for this client (invalid_scope)"
                f"{detail}. Enable it on the API credential in the Paxos dashboard",
                final=True,
                status=status,
            )
        return TokenError(
            "invalid_request",
            f"the token request was refused ({shown}){detail}",
            final=True,
            status=status,
        )

    def _parse_success(self, status: int, body: bytes | None) -> AccessToken:
        payload = _json_object(body)
        if payload is None:
            raise TokenError(
                "protocol",
                f"token endpoint answered HTTP {status} without a JSON object: check the token URL",
                final=True,
                status=status,
            )
        value = payload.get("access_token")
        if not isinstance(value, str) or not _TOKEN_TEXT.fullmatch(value):
            # Anything else would break (or inject into) the Authorization header.
            raise TokenError(
                "protocol",
                "token response has no usable access_token",
                final=True,
                status=status,
            )
        token_type = payload.get("token_type", "bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise TokenError(
                "protocol",
                f"token type {sanitize(str(token_type), 40)!r} is not bearer",
                final=True,
                status=status,
            )
        granted = payload.get("scope")
        # RFC 6749 §5.1: an omitted scope means the requested one was granted.
        scope = " ".join(granted.split()) if isinstance(granted, str) else self.scope
        if self.required_scope not in scope.split():
            raise TokenError(
                "missing_scope",
                f"the token lacks the scope {self.required_scope} (granted: "
                f"{sanitize(scope, 160) or 'none'}); the WebSocket would answer 403. Enable "
                "the scope on the API credential in the Paxos dashboard",
                final=True,
                status=status,
            )
        raw_lifetime = payload.get("expires_in")
        lifetime = _lifetime(raw_lifetime)
        if raw_lifetime is None or lifetime != raw_lifetime:
            log.warning(
                "token expires_in %s unusable or out of range; assuming %.0f s",
                sanitize(repr(raw_lifetime), 40),
                lifetime,
            )
        return AccessToken(
            value=SecretStr(value),
            expires_at=self._clock() + lifetime,
            scope=scope,
            lifetime=lifetime,
            clock=self._clock,
        )


async def _read_limited(response: httpx.Response) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(body: bytes | None) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _certificate_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _consume_exception(task: asyncio.Task[AccessToken]) -> None:
    # Every caller may have been cancelled: retrieve the error so asyncio does not warn.
    if not task.cancelled():
        task.exception()
