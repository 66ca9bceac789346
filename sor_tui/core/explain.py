"""Plain-language explanations of protocol errors, HTTP failures and rejected frames.

A desk user seeing ``UNKNOWN_CHANNEL_PARAMS_CONFIGURATION`` or ``too_deep`` in
the status bar should learn what happened and what to do, in one or two
sentences, without reading the protocol reference.
"""

from __future__ import annotations

import re

from sor_tui.core import reasons
from sor_tui.core.sanitize import sanitize

_EXPLANATIONS: dict[str, str] = {
    # Protocol error codes (§9), delivered per channel or as a top-level error.
    "UNKNOWN_ACTION": (
        "The server did not recognise a request this app sent. "
        "This is a bug in the app, not in your settings; retrying will not help."
    ),
    "MALFORMED_REQUEST": (
        "The server could not read a request this app sent. "
        "This is a bug in the app; retrying will not help."
    ),
    "UNKNOWN_CHANNEL": (
        "The server does not offer this channel type on this connection. "
        "Check the channel name; the heartbeat channel may be disabled in some environments."
    ),
    "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION": (
        "The server rejected the channel's parameters, usually because the market is "
        "unknown or not enabled for your account. Check the market symbol with Paxos."
    ),
    "NO_EFFECT_ACTION": (
        "The request changed nothing: you were already subscribed, or not subscribed at all. "
        "This is harmless; the app reconciles its list of subscriptions."
    ),
    "INTERNAL_SERVER_ERROR": (
        "The Paxos server hit an unexpected error. "
        "The app retries with backoff; contact Paxos if it persists."
    ),
    # WebSocket handshake outcomes (§3.2).
    "HTTP 401": (
        "The server did not accept the access token (missing, expired or revoked). "
        "The app fetches a new token once; if it keeps failing, check the client id and secret."
    ),
    "HTTP 403": (
        "Access was refused: the credential lacks the "
        "exchange:read_aggregated_marketdata_stream scope or your account is not on the "
        "SOR allow list. Ask Paxos to enable it; retrying will not help."
    ),
    "HTTP 429": (
        "Too many connection attempts in a short time. The app waits before trying again."
    ),
    "HTTP 5xx": (
        "The Paxos service is having trouble or is restarting. "
        "The app reconnects automatically with increasing delays."
    ),
    # OAuth token endpoint errors (§2.3).
    "invalid_client": (
        "Paxos did not accept the client id or client secret. "
        "Check the credential in the Paxos dashboard and store it again."
    ),
    "invalid_scope": (
        "The credential is not allowed the requested scope. Enable "
        "exchange:read_aggregated_marketdata_stream for this credential in the Paxos dashboard."
    ),
    "invalid_request": (
        "The token request was incomplete or malformed. "
        "This is most likely a bug in the app or a proxy altering the request."
    ),
    "unsupported_grant_type": (
        "The token server refused the client-credentials grant. "
        "This credential cannot be used for API access; check its type with Paxos."
    ),
    "rate_limited": (
        "Too many token requests from this network address; Paxos blocks further requests "
        "for about five minutes. The app waits before asking again."
    ),
    # Token provider outcomes of our own transport layer.
    "missing_scope": (
        "Paxos issued a token without the exchange:read_aggregated_marketdata_stream scope, "
        "so the SOR feed would refuse it. Enable the scope for this credential."
    ),
    "unavailable": (
        "The token server could not be reached or answered with a server error. "
        "The app keeps retrying with increasing delays."
    ),
    "deadline": (
        "No access token arrived in time. Check the network connection; the app keeps retrying."
    ),
    "protocol": (
        "The token server's answer could not be used (unexpected format or address). "
        "Check the configured token URL."
    ),
    # Feed-level events raised by our own transport and UI.
    "RESYNC": (
        "An order book could no longer be trusted, so the app asked the server for a "
        "fresh snapshot. The book shows again once the snapshot arrives."
    ),
    "feed_failed": (
        "The market data feed stopped because of an unexpected failure. "
        "The details are in the error pane; restart the feed or the app."
    ),
    # Our own Rejected reasons: a frame was dropped whole, nothing of it applied.
    reasons.BINARY_FRAME: (
        "The server sent a binary message, which the protocol never uses. It was ignored."
    ),
    reasons.BAD_UTF8: ("A message contained text that is not valid UTF-8. It was ignored."),
    reasons.TOO_LARGE: (
        "A message was larger than the configured limit and was dropped unread. "
        "If this repeats on a busy market, raise the message size limit."
    ),
    reasons.NOT_JSON: ("A message was not valid JSON. It was dropped."),
    reasons.NOT_OBJECT: ("A message was valid JSON but not an object, so it was dropped."),
    reasons.TOO_DEEP: ("A message was nested too deeply to be a real protocol message; dropped."),
    reasons.MISSING_FIELD: (
        "A message lacked a required field, so nothing of it was applied. "
        "An affected order book is re-synchronised."
    ),
    reasons.WRONG_TYPE: (
        "A message had a field of the wrong type, so nothing of it was applied. "
        "An affected order book is re-synchronised."
    ),
    reasons.BAD_NUMBER: (
        "A message held a price or amount that is not a plain positive decimal, "
        "so nothing of it was applied. An affected order book is re-synchronised."
    ),
    reasons.BAD_TIMESTAMP: (
        "A message held an invalid timestamp, so nothing of it was applied. "
        "An affected order book is re-synchronised."
    ),
    reasons.TOO_MANY_LEVELS: (
        "A message listed more price levels than the configured limit, so it was dropped."
    ),
    reasons.INTERNAL: (
        "The app failed to read a message because of an internal bug. "
        "The message was dropped; please report it with the log."
    ),
    # Ignored reasons (forward compatibility, never an error).
    reasons.UNKNOWN_CHANNEL: (
        "The server sent data for a channel this app does not know; it was ignored."
    ),
    reasons.UNKNOWN_TYPE: (
        "The server sent a message type this app does not know; it was ignored."
    ),
    reasons.UNKNOWN_PAYLOAD_TYPE: (
        "The server sent a kind of market data this app does not know; it was ignored."
    ),
    reasons.UNCLASSIFIED: ("The server sent a message without a channel or type; it was ignored."),
}

_ALIASES = {
    "http 429 token": "rate_limited",
    "token 429": "rate_limited",
    "rate limited": "rate_limited",
    "ratelimited": "rate_limited",
    "429": "HTTP 429",
    "401": "HTTP 401",
    "403": "HTTP 403",
}

_HTTP = re.compile(r"(?:HTTP\s*)?([0-9]{3})", re.IGNORECASE)


def _lookup(code: str) -> str | None:
    """Find the explanation for a code, tolerating case, spacing and detail suffixes."""
    stripped = code.strip()
    for candidate in (stripped, stripped.upper(), stripped.lower()):
        if candidate in _EXPLANATIONS:
            return _EXPLANATIONS[candidate]
    alias = _ALIASES.get(stripped.lower())
    if alias is not None:
        return _EXPLANATIONS[alias]
    http = _HTTP.fullmatch(stripped)
    if http is not None:
        status = int(http.group(1))
        if 500 <= status <= 599:
            return _EXPLANATIONS["HTTP 5xx"]
        return _EXPLANATIONS.get(f"HTTP {status}")
    # "bad_number: bids[0].price" -> "bad_number"
    head = re.split(r"[:\s]", stripped, maxsplit=1)[0]
    if head != stripped and head:
        return _lookup(head)
    return None


def explain(code: str) -> str:
    """Explain an error code, HTTP status or reject reason in one or two plain sentences."""
    known = _lookup(code)
    if known is not None:
        return known
    shown = sanitize(code, 60) or "(empty)"
    return (
        f"The server reported {shown!r}, which this app does not recognise. "
        "Treat it as an error; if it repeats, check the Paxos documentation or contact support."
    )
