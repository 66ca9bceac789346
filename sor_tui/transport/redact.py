"""Keep secrets out of logs: a ``logging.Filter`` that rewrites records before they are emitted.

``websockets`` logs every handshake header at DEBUG (the bearer token included), and
``httpx``/``httpcore`` log requests; so the filter sits on those loggers and on the root
handlers, and replaces known secrets (raw, URL-encoded, base64 of ``id:secret``) and any
``Authorization`` credential with ``[REDACTED]``.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
MIN_SECRET_LEN = 4  # shorter "secrets" would redact ordinary words

# Credentials that must never be logged whatever their value: header values, form fields, JSON.
_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*['\"]?\s*(?:bearer|basic)\s+)[^\s'\",;]+"),
    re.compile(r"(?i)((?:^|[\s\[(,'\"])(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]{8,}=*"),
    re.compile(r"(?i)((?:client_secret|access_token)[\"']?\s*[:=]\s*[\"']?)[^\s&\"',}]+"),
)

LOGGERS = (
    "websockets",
    "websockets.client",
    "websockets.server",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "sor_tui",
)


def variants(secret: str) -> set[str]:
    """The forms a secret can take in a log line: raw and URL-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def basic_credentials(client_id: str, secret: str) -> set[str]:
    """Base64 forms of ``id:secret`` as sent by HTTP Basic auth (also form-encoded first)."""
    pairs = {f"{client_id}:{secret}", f"{quote_plus(client_id)}:{quote_plus(secret)}"}
    return {base64.b64encode(pair.encode()).decode("ascii") for pair in pairs}


class RedactingFilter(logging.Filter):
    """Rewrites each record's message so that no known secret or bearer credential remains."""

    def __init__(self, secrets_provider: Callable[[], Iterable[str]]) -> None:
        super().__init__()
        self._secrets_provider = secrets_provider

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced by ``[REDACTED]``."""
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        secrets: set[str] = set()
        for secret in self._secrets_provider():
            if secret and len(secret) >= MIN_SECRET_LEN:
                secrets |= variants(secret)
        # Longest first, so a secret containing another is replaced whole.
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the record once, redact it, and freeze the result into ``msg``."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix, but must not leak
            message = str(record.msg)
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            formatter = logging.Formatter()
            record.exc_text = formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(
    secrets_provider: Callable[[], Iterable[str]],
    loggers: Iterable[str] = LOGGERS,
) -> RedactingFilter:
    """Attach one redacting filter to the root handlers and to the noisy libraries' loggers."""
    redactor = RedactingFilter(secrets_provider)
    # Logger filters catch records created on those loggers; handler filters catch everything
    # that reaches the root handlers, whatever logger it came from.
    for name in loggers:
        logger = logging.getLogger(name)
        if redactor not in logger.filters:
            logger.addFilter(redactor)
        for handler in logger.handlers:
            handler.addFilter(redactor)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return redactor


def uninstall_redaction(redactor: RedactingFilter, loggers: Iterable[str] = LOGGERS) -> None:
    """Remove a filter installed by ``install_redaction`` (tests, re-configuration)."""
    for name in loggers:
        logger = logging.getLogger(name)
        logger.removeFilter(redactor)
        for handler in logger.handlers:
            handler.removeFilter(redactor)
    for handler in logging.getLogger().handlers:
        handler.removeFilter(redactor)


def credential_secrets(
    client_id: str | None,
    client_secret: str | None,
    current_token: Callable[[], str | None] = lambda: None,
) -> Callable[[], list[str]]:
    """A secrets provider for ``install_redaction``: the secret, its Basic forms, the token."""
    fixed: list[str] = []
    if client_secret:
        fixed.append(client_secret)
        if client_id:
            fixed.extend(basic_credentials(client_id, client_secret))

    def provide() -> list[str]:
        token = current_token()
        return [*fixed, token] if token else fixed

    return provide
