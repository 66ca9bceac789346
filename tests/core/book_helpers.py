"""Builders for book events and a tiny reference model used by the book tests."""

from __future__ import annotations

from decimal import Decimal

from sor_tui.core.book import OrderBook
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel

MARKET = "BTCUSD"
NOW_NS = 1_780_000_000 * 10**9  # a fixed "wall clock" for tests


def levels(*pairs: tuple[str, str]) -> tuple[PriceLevel, ...]:
    """Price levels from (price, amount) strings."""
    return tuple(PriceLevel(Decimal(price), Decimal(amount)) for price, amount in pairs)


def snapshot(
    time_ns: int,
    bids: tuple[tuple[str, str], ...] = (),
    asks: tuple[tuple[str, str], ...] = (),
    market: str = MARKET,
) -> BookSnapshot:
    """A SNAPSHOT event."""
    return BookSnapshot(market, time_ns, str(time_ns), levels(*bids), levels(*asks))


def update(
    time_ns: int,
    bids: tuple[tuple[str, str], ...] = (),
    asks: tuple[tuple[str, str], ...] = (),
    market: str = MARKET,
) -> BookUpdate:
    """An UPDATE event."""
    return BookUpdate(market, time_ns, str(time_ns), levels(*bids), levels(*asks))


def make_book(**options: object) -> OrderBook:
    """A book with a frozen wall clock at NOW_NS."""
    return OrderBook(MARKET, wall_clock_ns=lambda: NOW_NS, **options)  # type: ignore[arg-type]


def sides(book: OrderBook, depth: int = 10_000) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    """The book's (price, amount) pairs best first, bids then asks."""
    view = book.view(depth)
    return (
        [(level.price, level.amount) for level in view.bids],
        [(level.price, level.amount) for level in view.asks],
    )


def d(text: str) -> Decimal:
    """Shorthand for Decimal."""
    return Decimal(text)
