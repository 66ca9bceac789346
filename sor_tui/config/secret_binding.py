"""A stored client secret bound to the endpoints it was verified with.

A keyring entry holds the secret together with the origins (scheme, host, port) of the
token URL and the WebSocket URL it was stored for. The secret is only ever sent to that
token origin (and its token to that WebSocket origin): a ``.env`` in some cloned
repository that points ``SOR_OAUTH_URL`` elsewhere gets a clear refusal instead of the
secret. Entries written before the binding existed hold the bare secret; they are only
sent to Paxos's published endpoints, which is where ``sor-tui login`` verified them by
default (anything else needs a fresh login that binds them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from sor_tui.config.settings import ENVIRONMENT_URLS

ENTRY_PREFIX = "sor-tui-bound-secret/1:"
"""Marks a keyring value that carries its endpoints (a bare value is a legacy secret)."""

_DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, the default port left out."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


PUBLISHED_ENDPOINTS = frozenset(
    (origin(oauth_url), origin(ws_url)) for ws_url, oauth_url in ENVIRONMENT_URLS.values()
)
"""(token origin, WebSocket origin) of each published Paxos environment."""


@dataclass(frozen=True, slots=True)
class StoredSecret:
    """A secret as kept in the keyring; ``token_origin`` is None for a legacy entry."""

    secret: SecretStr
    token_origin: str | None = None
    ws_origin: str | None = None

    def allows(self, token_url: str, ws_url: str) -> bool:
        """Whether this secret may go to ``token_url`` (and its token to ``ws_url``)."""
        wanted = (origin(token_url), origin(ws_url))
        if self.token_origin is None:
            return wanted in PUBLISHED_ENDPOINTS
        return wanted == (self.token_origin, self.ws_origin)

    def refusal(self, client_id: str, token_url: str, ws_url: str) -> str:
        """Why this secret is not sent to these URLs, and how to allow it."""
        if self.token_origin is None:
            where = (
                "was stored by an older sor-tui without the host it was verified with, so it "
                "is only sent to Paxos's published endpoints"
            )
        else:
            where = f"was verified with {self.token_origin} (WebSocket {self.ws_origin})"
        return (
            f"The stored secret of {client_id} {where}; this run would send it to "
            f"{origin(token_url)} (WebSocket {origin(ws_url)}). Nothing was sent. If you "
            "chose these URLs, bind the secret to them with "
            f"'sor-tui login --oauth-url {token_url} --ws-url {ws_url}', or pass "
            "--trust-endpoint on the command line for this run. If you did not (a .env "
            "in this directory, say), do neither."
        )


def encode(secret: SecretStr, token_url: str, ws_url: str) -> str:
    """The keyring value for ``secret`` bound to these URLs' origins."""
    payload = {
        "secret": secret.get_secret_value(),
        "token_origin": origin(token_url),
        "ws_origin": origin(ws_url),
    }
    return ENTRY_PREFIX + json.dumps(payload, separators=(",", ":"))


def decode(value: str) -> StoredSecret | None:
    """Read a keyring value: bound, legacy (a bare secret) or None when unreadable."""
    if not value.startswith(ENTRY_PREFIX):
        return StoredSecret(SecretStr(value))
    try:
        payload = json.loads(value[len(ENTRY_PREFIX) :])
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    secret, token, ws = (payload.get(key) for key in ("secret", "token_origin", "ws_origin"))
    if not (isinstance(secret, str) and secret and isinstance(token, str) and token):
        return None
    if not isinstance(ws, str) or not ws:
        return None
    return StoredSecret(SecretStr(secret), token, ws)
