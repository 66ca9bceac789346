"""Clients and issued access tokens of the simulator (opaque random strings)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sor_tui.sim.config import ClientSpec


@dataclass(slots=True)
class IssuedToken:
    """An access token: its owner, granted scopes and expiry (monotonic seconds)."""

    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    revoked: bool = False

    def __repr__(self) -> str:
        return f"IssuedToken(client_id={self.client_id!r}, scopes={self.scopes!r})"

    def valid(self) -> bool:
        """Tell whether the token is neither revoked nor expired."""
        return not self.revoked and time.monotonic() < self.expires_at


class TokenStore:
    """The clients the token endpoint knows and the tokens it issued."""

    def __init__(self, clients: list[ClientSpec], ttl: int) -> None:
        self.clients: dict[str, ClientSpec] = {c.client_id: c for c in clients}
        self.ttl = ttl
        self._tokens: dict[str, IssuedToken] = {}

    def __repr__(self) -> str:
        return f"TokenStore(clients={sorted(self.clients)!r}, tokens={len(self._tokens)})"

    def add_client(self, spec: ClientSpec) -> None:
        """Add or replace a client."""
        self.clients[spec.client_id] = spec

    def authenticate(self, client_id: str, secret: str) -> ClientSpec | None:
        """Return the client when the id and secret match (constant-time compare)."""
        spec = self.clients.get(client_id)
        if spec is None or not secrets.compare_digest(spec.client_secret.encode(), secret.encode()):
            return None
        return spec

    def issue(self, client_id: str, scopes: tuple[str, ...]) -> tuple[str, IssuedToken]:
        """Issue a new opaque token."""
        token = secrets.token_urlsafe(32)
        issued = IssuedToken(client_id, scopes, time.monotonic() + self.ttl)
        self._tokens[token] = issued
        return token, issued

    def lookup(self, token: str) -> IssuedToken | None:
        """Return the record of a token, valid or not."""
        return self._tokens.get(token)

    def revoke_all(self) -> None:
        """Revoke every issued token."""
        for issued in self._tokens.values():
            issued.revoked = True

    def expire_all(self) -> None:
        """Make every issued token expired now."""
        now = time.monotonic()
        for issued in self._tokens.values():
            issued.expires_at = min(issued.expires_at, now)
