"""OAuth2 client-credentials token provider (protocol §2): cached, single-flight, bounded.

One provider per process and environment: the token endpoint is rate limited per IP
(§2.4), so every connection shares the cached token and a 429 sets a visible penalty.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from sor_tui.config.settings import SOR_SCOPE, is_loopback_host
from sor_tui.core.sanitize import sanitize
from sor_tui.transport.oauth_wire import (
    ASSUMED_LIFETIME,
    MAX_BODY_BYTES,
    MAX_LIFETIME,
    MIN_LIFETIME,
    RATE_LIMIT_PENALTY,
    AccessToken,
    ResponseRules,
    RetryableFailure,
    TokenError,
    TokenErrorKind,
    certificate_failure,
    interpret_response,
    parse_retry_after,
)
from sor_tui.transport.redact import credential_secrets, install_redaction

if TYPE_CHECKING:
    from sor_tui.config.credentials import Credentials
    from sor_tui.config.settings import Settings

__all__ = [
    "ASSUMED_LIFETIME",
    "MAX_LIFETIME",
    "MIN_LIFETIME",
    "AccessToken",
    "TokenError",
    "TokenErrorKind",
    "TokenProvider",
    "parse_retry_after",
]

log = logging.getLogger(__name__)


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
        # A proxy (HTTP_PROXY and friends) would see a loopback endpoint's clear text.
        trust_env = not is_loopback_host(urlsplit(token_url).hostname)
        self._http = http or httpx.AsyncClient(
            follow_redirects=False, verify=True, trust_env=trust_env
        )
        self._token: AccessToken | None = None
        self._inflight: asyncio.Task[AccessToken] | None = None
        self._retry_at: float | None = None
        self.token_requests = 0
        self._rules = ResponseRules(scope, required_scope, rate_limit_penalty, clock)
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
            except RetryableFailure as retry:
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
            raise RetryableFailure("request timed out") from None
        except httpx.TimeoutException:
            raise RetryableFailure("request timed out") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise TokenError(
                "protocol", f"invalid token URL: {sanitize(str(exc), 120)}", final=True
            ) from None
        except httpx.TransportError as exc:
            if certificate_failure(exc):
                raise TokenError(
                    "unavailable",
                    "the token endpoint's TLS certificate could not be verified; "
                    "check the token URL and the system's CA certificates",
                    final=True,
                ) from None
            raise RetryableFailure(f"network error: {type(exc).__name__}") from None
        return interpret_response(status, headers, body, self._rules)


async def _read_limited(response: httpx.Response) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _consume_exception(task: asyncio.Task[AccessToken]) -> None:
    # Every caller may have been cancelled: retrieve the error so asyncio does not warn.
    if not task.cancelled():
        task.exception()


@asynccontextmanager
async def redacted_token_provider(
    settings: Settings, credentials: Credentials
) -> AsyncIterator[TokenProvider]:
    """The token provider for the settings' token host, for a headless command.

    While it runs, the client id, the secret and every token it fetches are redacted from
    every log line (websockets logs the Bearer header at DEBUG).
    """
    async with TokenProvider(
        settings.oauth_url,
        credentials.client_id,
        credentials.client_secret,
        settings.scope,
        deadline=settings.token_deadline,
    ) as tokens:

        def current_token() -> str | None:
            cached = tokens.cached
            return None if cached is None else cached.value.get_secret_value()

        secret = credentials.client_secret.get_secret_value()
        install_redaction(credential_secrets(credentials.client_id, secret, current_token))
        yield tokens
