"""What alert rules read: one frozen snapshot of the desk's health and markets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sor_tui.core.views import BookView


@dataclass(frozen=True, slots=True)
class MarketSignals:
    """One market as the alert rules see it."""

    market: str
    view: BookView | None = None
    """The book (a few levels deep); None when the market has no book."""
    silent_for: float | None = None
    """Seconds since the book last changed, while connected and live; None otherwise."""
    typical_interval: float | None = None
    """The market's usual seconds between changes (a moving average), once known."""
    resyncs: tuple[float, ...] = ()
    """Times of the market's recent resyncs (bounded)."""
    untrusted_for: float | None = None
    """Seconds the book has not been live while connected; None when it is live."""
    refused: str | None = None
    """The server's error when it refused one of the market's subscriptions."""
    last_trade: Decimal | None = None
    prints: tuple[tuple[Decimal, Decimal], ...] = ()
    """(price, amount) of the market's prints since the previous evaluation."""


@dataclass(frozen=True, slots=True)
class DeskSignals:
    """The desk as the alert rules see it at one moment."""

    connected: bool | None = None
    """None when there is no feed at all (nothing to judge)."""
    disconnected_for: float | None = None
    token_error: str | None = None
    """The last token request's failure, until a connection succeeds again."""
    clock_offset_ms: Decimal | None = None
    """Server clock minus local clock, when an estimate exists."""
    recording_error: str | None = None
    markets: Mapping[str, MarketSignals] = field(default_factory=dict)
