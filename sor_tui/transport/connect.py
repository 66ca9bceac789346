"""How a connection is opened: never following redirects, the proxy choice, and the words
for an attempt that failed."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from sor_tui.config.settings import is_loopback_host
from sor_tui.core.sanitize import sanitize


class ConnectWithoutRedirects(connect):
    """websockets' ``connect`` that never follows a redirect: a 3xx is a refused handshake."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        """Never follow: the bearer token must not go anywhere but the configured URL."""
        return exc


def websocket_proxy(url: str) -> str | Literal[True] | None:
    """``connect``'s ``proxy``: none for a loopback server, else the environment's."""
    host = urlsplit(url).hostname
    return None if is_loopback_host(host) else True


def describe_connect_error(exc: BaseException) -> str:
    """A failed connection attempt, in words safe to show."""
    if isinstance(exc, TimeoutError):
        return "handshake timed out"
    if isinstance(exc, OSError):
        return sanitize(f"network error: {exc.strerror or type(exc).__name__}")
    return sanitize(f"connection failed: {type(exc).__name__}")
