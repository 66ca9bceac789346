"""How a connection ended: the reason shown to the user, and which errors are normal ends."""

from __future__ import annotations

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import WebSocketException

from sor_tui.core.sanitize import sanitize


class SessionEnded(Exception):
    """The session decided to end its connection (stalled heartbeat, server fault)."""


def close_reason(ws: ClientConnection) -> str:
    """Why ``ws`` closed, from its closing handshake (safe to show)."""
    protocol = ws.protocol
    received, sent = protocol.close_rcvd, protocol.close_sent
    if received is not None:
        reason = sanitize(received.reason, 80)
        return f"closed by server ({received.code}{': ' + reason if reason else ''})"
    if sent is not None and sent.reason:
        # Our side failed the connection, e.g. websockets' "keepalive ping timeout".
        return f"connection failed: {sanitize(sent.reason, 80)}"
    return "connection lost"


def is_connection_error(exc: BaseException) -> bool:
    """Errors that end a connection normally (as opposed to bugs, which propagate)."""
    return isinstance(exc, OSError | TimeoutError | WebSocketException)
