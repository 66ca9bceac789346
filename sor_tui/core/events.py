"""Typed, immutable events decoded from the SOR wire protocol.

Every server frame becomes exactly one of these values; the decoder never raises.
Prices and amounts are exact ``Decimal`` values; times are integer nanoseconds
since the Unix epoch, with the original text kept for display and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ChannelType(StrEnum):
    """The channel types the SOR API documents."""

    MARKET_DATA = "market_data"
    TOP_OF_BOOK = "market_data.top_of_book"
    EXECUTION_DATA = "execution_data"
    HEARTBEAT = "heartbeat"


MARKET_CHANNELS = frozenset(
    {ChannelType.MARKET_DATA, ChannelType.TOP_OF_BOOK, ChannelType.EXECUTION_DATA}
)


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel descriptor: a channel type and, for market channels, a market."""

    type: str
    market: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """A stable registry key (never built from JSON text, see protocol §10.6)."""
        return (self.type, self.market or "")

    def __str__(self) -> str:
        return f"{self.type}:{self.market}" if self.market else self.type


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """One per-channel result of a subscribe or unsubscribe response.

    ``market`` is None when the server did not echo ``params`` (legacy servers);
    the subscription registry then matches the result to its request by position.
    """

    type: str
    market: str | None
    success: bool
    error: str | None = None
    params_echoed: bool = True


@dataclass(frozen=True, slots=True)
class OperationResult:
    """A ``subscribe`` or ``unsubscribe`` response: one result per requested channel."""

    action: str  # "subscribe" | "unsubscribe"
    results: tuple[ChannelResult, ...]


@dataclass(frozen=True, slots=True)
class SubscriptionList:
    """The server's ``subscription_list`` answer."""

    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class ServerError:
    """A request-level error: ``{"type": "error", "error": CODE}`` or another spelling.

    ``action`` names the operation when the error came back under its type (say
    ``{"type": "subscribe", "error": CODE}``): the oldest open request of that action
    was refused as a whole. None when it cannot be attributed.
    """

    code: str
    action: str | None = None


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """One price level as sent by the server (amount is the new total; zero deletes)."""

    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """A ``market_data`` SNAPSHOT: the full book at ``time_ns``."""

    market: str
    time_ns: int
    time_text: str
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """A ``market_data`` UPDATE: changed levels only."""

    market: str
    time_ns: int
    time_text: str
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]


@dataclass(frozen=True, slots=True)
class TopOfBook:
    """A ``market_data.top_of_book`` message: a full replacement of best bid and ask."""

    market: str
    time_ns: int
    time_text: str
    bid: PriceLevel | None
    ask: PriceLevel | None


@dataclass(frozen=True, slots=True)
class Execution:
    """One ``execution_data`` print (no id, no side, no venue exist on the wire)."""

    market: str
    price: Decimal
    amount: Decimal
    executed_at_ns: int
    executed_at: str

    @property
    def dedupe_key(self) -> tuple[str, Decimal, Decimal, int]:
        """Exact-duplicate key: market, price, amount and executed_at (protocol §10.6)."""
        return (self.market, self.price, self.amount, self.executed_at_ns)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A ``heartbeat`` message carrying the server time."""

    time_ns: int
    time_text: str


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed message of an unknown type or channel: counted, otherwise ignored."""

    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A frame that failed validation: rejected whole, nothing of it applied.

    ``excerpt`` is already sanitized and short; it is safe to show and log.
    """

    reason: str
    excerpt: str
    market: str | None = None
    channel: str | None = None  # the streaming channel when known, e.g. "market_data"
    detail: str = ""  # sanitized, human-readable specifics (field path, offending value)


ServerEvent = (
    OperationResult
    | SubscriptionList
    | ServerError
    | BookSnapshot
    | BookUpdate
    | TopOfBook
    | Execution
    | Heartbeat
    | Ignored
    | Rejected
)
