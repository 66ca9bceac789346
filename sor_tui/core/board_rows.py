"""The markets board's rows: one summary line per market, from top of book or the book.

Pure: the caller hands in what it read from the desk state (top-of-book events, book
views, chart data) and the time; update rates come from counters sampled between calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sor_tui.core.book_views import spread_figures
from sor_tui.core.events import TopOfBook
from sor_tui.core.views import BookView

SORT_KEYS = ("market", "spread", "change", "volume", "rate")


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One market's summary; None where the value is not known."""

    market: str
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread_bps: Decimal | None
    last: Decimal | None
    change: Decimal | None
    volume: Decimal
    rate: int | None  # book or top-of-book updates per second since the previous sample
    status: str
    source: str  # "top" (top-of-book channel) or "book"


class UpdateRates:
    """Updates per second per market, from a counter sampled at each board refresh."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, int]] = {}  # market -> (count, time_ns)

    def sample(self, market: str, count: int, time_ns: int) -> int | None:
        """The rate since the market's previous sample, or None at the first one."""
        previous = self._last.get(market)
        self._last[market] = (count, time_ns)
        if previous is None or time_ns <= previous[1] or count < previous[0]:
            return None
        return (count - previous[0]) * 1_000_000_000 // (time_ns - previous[1])


def board_row(
    market: str,
    *,
    top: TopOfBook | None,
    view: BookView | None,
    last: Decimal | None,
    change: Decimal | None,
    volume: Decimal,
    rate: int | None,
) -> BoardRow:
    """One row: the top-of-book channel where it is subscribed, the book otherwise."""
    if top is not None:
        bid = top.bid.price if top.bid is not None else None
        ask = top.ask.price if top.ask is not None else None
        status, source = (view.status.value if view is not None else "TOP"), "top"
    elif view is not None:
        bid, ask, status, source = view.best_bid, view.best_ask, view.status.value, "book"
    else:
        bid, ask, status, source = None, None, "IDLE", "book"
    bps = spread_figures(bid, ask)[1]
    return BoardRow(market, bid, ask, bps, last, change, volume, rate, status, source)


def sort_rows(rows: list[BoardRow], key: str, descending: bool) -> list[BoardRow]:
    """Rows sorted by one column; unknown values always last."""

    def value(row: BoardRow) -> Decimal | str | int | None:
        if key == "spread":
            return row.spread_bps
        if key == "change":
            return row.change
        if key == "volume":
            return row.volume
        if key == "rate":
            return row.rate
        return row.market

    known = [row for row in rows if value(row) is not None]
    unknown = [row for row in rows if value(row) is None]
    known.sort(key=lambda row: value(row), reverse=descending)  # type: ignore[arg-type,return-value]
    return known + sorted(unknown, key=lambda row: row.market)
