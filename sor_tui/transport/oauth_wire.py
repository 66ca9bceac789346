"""The token endpoint's wire: errors, tokens and reading an answer (protocol §2.2-§2.4).

Pure functions of status, headers and body, so the provider's retry logic stays readable.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import SecretStr

from sor_tui.core.sanitize import sanitize

log = logging.getLogger("sor_tui.transport.oauth")

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

MIN_LIFETIME = 1.0  # the protocol says to use the returned value; only nonsense is clamped
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


def clamp_lifetime(raw: Any) -> float:
    """``expires_in`` as seconds, clamped; a missing or unusable value gets the assumed one."""
    if isinstance(raw, bool) or raw is None:
        return ASSUMED_LIFETIME
    try:
        seconds = float(raw)
    except (TypeError, ValueError, OverflowError):  # 10**400 is an int no float can hold
        return ASSUMED_LIFETIME
    if not math.isfinite(seconds):
        return ASSUMED_LIFETIME
    return min(max(seconds, MIN_LIFETIME), MAX_LIFETIME)


class RetryableFailure(Exception):
    """A transient failure worth retrying, with an optional server-requested delay."""

    def __init__(self, reason: str, delay: float | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.status = status


@dataclass(frozen=True, slots=True)
class ResponseRules:
    """What an answer is checked against: the scopes asked for and needed, and the clock."""

    requested_scope: str
    required_scope: str
    rate_limit_penalty: float
    clock: Callable[[], float]


def interpret_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes | None,
    rules: ResponseRules,
) -> AccessToken:
    """The token in a token-endpoint answer; raises ``TokenError`` or ``RetryableFailure``."""
    if 200 <= status < 300:
        return _parse_success(status, body, rules)
    if 300 <= status < 400:
        # The Location is not shown: a hostile endpoint could echo the secret into it.
        raise TokenError(
            "protocol",
            f"token endpoint answered HTTP {status} (a redirect); redirects "
            "are not followed: check the token URL",
            final=True,
            status=status,
        )
    if status == 429:
        delay = parse_retry_after(headers.get("retry-after"))
        raise RetryableFailure(
            "HTTP 429", delay if delay is not None else rules.rate_limit_penalty, 429
        )
    if status >= 500:
        raise RetryableFailure(
            f"HTTP {status}", parse_retry_after(headers.get("retry-after")), status
        )
    if status in (404, 405):
        raise TokenError(
            "protocol",
            f"token endpoint answered HTTP {status}: check the token URL",
            final=True,
            status=status,
        )
    raise _client_error(status, body, rules)


def _client_error(status: int, body: bytes | None, rules: ResponseRules) -> TokenError:
    try:
        payload = json_object(body)
    except RecursionError:
        payload = None
    code = payload.get("error") if payload else None
    code = code if isinstance(code, str) else ""
    # error_description is free text from the server and could echo the secret we sent
    # (a hostile or buggy endpoint), so only the standard error code is ever shown.
    detail = ""
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
            f"the scope {rules.requested_scope!r} is not enabled for this client (invalid_scope)"
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


def _parse_success(status: int, body: bytes | None, rules: ResponseRules) -> AccessToken:
    try:
        payload = json_object(body)
    except RecursionError:
        # Not worth a traceback, nor giving up for good: a broken answer, asked again.
        raise RetryableFailure("token response nested too deeply", status=status) from None
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
    scope = " ".join(granted.split()) if isinstance(granted, str) else rules.requested_scope
    if rules.required_scope not in scope.split():
        raise TokenError(
            "missing_scope",
            f"the token lacks the scope {rules.required_scope} (granted: "
            f"{sanitize(scope, 160) or 'none'}); the WebSocket would answer 403. Enable "
            "the scope on the API credential in the Paxos dashboard",
            final=True,
            status=status,
        )
    raw_lifetime = payload.get("expires_in")
    lifetime = clamp_lifetime(raw_lifetime)
    if raw_lifetime is None or lifetime != raw_lifetime:
        log.warning(
            "token expires_in %s unusable or out of range; assuming %.0f s",
            sanitize(repr(raw_lifetime), 40),
            lifetime,
        )
    return AccessToken(
        value=SecretStr(value),
        expires_at=rules.clock() + lifetime,
        scope=scope,
        lifetime=lifetime,
        clock=rules.clock,
    )


def json_object(body: bytes | None) -> dict[str, Any] | None:
    """The body as a JSON object, or None if it is not one."""
    if not body:
        return None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def certificate_failure(exc: BaseException) -> bool:
    """Whether a transport error was caused by TLS certificate verification."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
