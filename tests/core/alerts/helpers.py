"""Small builders of book views and signals for the alert tests."""

from __future__ import annotations

from decimal import Decimal

from sor_tui.core.book_views import spread_figures
from sor_tui.core.views import BookStatus, BookView, LevelView

D = Decimal


def levels(pairs: list[tuple[str, str]]) -> tuple[LevelView, ...]:
    """Best-first levels with their cumulative sizes."""
    out, total = [], D(0)
    for price, amount in pairs:
        total += D(amount)
        out.append(LevelView(D(price), D(amount), total))
    return tuple(out)


def book(
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    *,
    market: str = "BTCUSD",
    status: BookStatus = BookStatus.LIVE,
    version: int = 1,
    more_levels: int = 0,
) -> BookView:
    """A book view as the core would build it (spread and mid exact)."""
    bid_levels, ask_levels = levels(bids), levels(asks)
    best_bid = bid_levels[0].price if bid_levels else None
    best_ask = ask_levels[0].price if ask_levels else None
    spread, bps, mid = spread_figures(best_bid, best_ask)
    return BookView(
        market,
        status,
        bid_levels,
        ask_levels,
        best_bid,
        best_ask,
        spread,
        bps,
        mid,
        False,
        False,
        1,
        1,
        len(bid_levels) + more_levels,
        len(ask_levels) + more_levels,
        0,
        version,
    )


def quote(bid: str, ask: str, **kwargs: object) -> BookView:
    """A one-level book at bid / ask."""
    return book([(bid, "1")], [(ask, "1")], **kwargs)  # type: ignore[arg-type]
