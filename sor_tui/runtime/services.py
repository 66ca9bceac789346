"""Transport services the desk uses besides its feed: a credentials check, the alert webhook.

The UI calls these instead of the transport, so that it knows nothing of token providers
or HTTP clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import SecretStr

from sor_tui.transport.oauth import TokenError, TokenProvider
from sor_tui.transport.webhook import WebhookSender


@dataclass(frozen=True)
class TokenCheck:
    """What the token endpoint answered: minutes of validity (None: refused, and why)."""

    minutes: int | None
    kind: str = ""
    message: str = ""


async def check_token(
    oauth_url: str, client_id: str, secret: SecretStr, scope: str, *, deadline: float
) -> TokenCheck:
    """Ask the token endpoint for one token with these credentials (nothing is kept)."""
    provider = TokenProvider(oauth_url, client_id, secret, scope, deadline=deadline)
    try:
        token = await provider.get_token()
    except TokenError as error:
        return TokenCheck(None, error.kind, error.message)
    finally:
        await provider.aclose()
    return TokenCheck(int(token.remaining() // 60))


class AlertWebhook(Protocol):
    """Posts alert objects to a URL off the caller's thread."""

    def send(self, body: dict[str, Any]) -> None:
        """Queue one alert (never blocks)."""
        ...

    def close(self, wait: float = 0.0) -> None:
        """Stop after what is queued, waiting at most ``wait`` seconds."""
        ...


def open_webhook(
    url: str, *, timeout: float, retries: int, on_failure: Callable[[str], None]
) -> AlertWebhook:
    """A webhook for alerts; ``on_failure`` is called on its thread with a safe message."""
    return WebhookSender(url, timeout=timeout, retries=retries, on_failure=on_failure)
