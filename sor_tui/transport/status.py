"""Transport events the feed reports next to the decoded server events.

All values are frozen; the UI and the headless stream receive them through the feed's
synchronous ``on_event`` callback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from sor_tui.core.events import Channel, ServerEvent
from sor_tui.core.subscriptions import SubscriptionEntry


class FeedState(StrEnum):
    """The connection state shown in the status bar."""

    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"  # waiting out a backoff delay before the next attempt
    AUTH_FAILED = "AUTH_FAILED"  # final: credentials rejected by the token endpoint
    FORBIDDEN = "FORBIDDEN"  # final: handshake 403 (scope or allow list)
    STOPPED = "STOPPED"  # final: stop() was called


FINAL_STATES = frozenset({FeedState.AUTH_FAILED, FeedState.FORBIDDEN, FeedState.STOPPED})


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """The feed's connection state with its reason and the next retry time."""

    state: FeedState
    detail: str = ""
    retry_at: float | None = None  # monotonic clock time of the next attempt
    attempt: int = 0  # attempts since the last healthy connection (0: it was just lost)
    since: float = 0.0  # monotonic clock time this state was entered

    def retry_in(self, now: float | None = None) -> float | None:
        """Seconds until the next attempt (never negative), or None when none is planned."""
        if self.retry_at is None:
            return None
        current = time.monotonic() if now is None else now
        return max(0.0, self.retry_at - current)

    @property
    def final(self) -> bool:
        """True when the feed will not connect again."""
        return self.state in FINAL_STATES


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The connection state changed."""

    status: FeedStatus


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the user should see: text is sanitized and never holds a secret."""

    source: str  # "server", "channel", "frame", "handshake", "token", "feed"
    code: str
    message: str
    market: str | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionsChanged:
    """The subscription registry changed; ``entries`` is its new frozen content."""

    entries: tuple[SubscriptionEntry, ...]


@dataclass(frozen=True, slots=True)
class SubscriptionAnswered:
    """The server answered one channel of a subscribe or unsubscribe request."""

    action: str  # "subscribe" | "unsubscribe"
    channel: Channel
    success: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FeedCounters:
    """A frozen snapshot of the feed's counters."""

    messages: int = 0
    messages_per_second: int = 0  # frames received during the last rolling second
    reconnects: int = 0
    frames_dropped: int = 0  # rejected frames (nothing of them applied)
    requests_unsent: int = 0  # client requests that could not be encoded
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    lag_ns: dict[str, int] = field(default_factory=dict)  # arrival minus exchange time, per market
    clock_offset_ns: int | None = None  # the server's clock minus ours, once estimated


TransportEvent = StatusChanged | Problem | SubscriptionsChanged | SubscriptionAnswered
FeedEvent = ServerEvent | TransportEvent
