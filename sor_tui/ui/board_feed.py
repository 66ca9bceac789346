"""What the markets board shows: rows read from the desk state and chart data, at 2 Hz.

Top of book comes from the top-of-book channel where it is subscribed and from the book
otherwise; last, change and volume over the window come from the chart data (the tape).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sor_tui.core.board_rows import BoardRow, UpdateRates, board_row
from sor_tui.core.chart_data import SECOND_NS, ChartData

BOARD_INTERVAL = 0.5  # seconds between board refreshes
WINDOW_NS = 5 * 60 * SECOND_NS  # change and volume are over the last five minutes
MAX_ROWS = 200


class BoardFeed:
    """Builds the board's rows; update rates are measured between two refreshes."""

    def __init__(self) -> None:
        self.rates = UpdateRates()
        self._next = 0.0

    def due(self, now: float) -> bool:
        """Whether a refresh is due at monotonic time ``now`` (and book it)."""
        if now < self._next:
            return False
        self._next = now + BOARD_INTERVAL
        return True

    def rows(
        self, state: Any, markets: Iterable[str], charts: ChartData, now_ns: int
    ) -> list[BoardRow]:
        """One row per market: the desk's markets, then any other the state knows (the
        caller holds the state's lock)."""
        tops = dict(getattr(state, "top_of_book", {}) or {})
        known = getattr(state, "markets", ())
        if callable(known):
            known = known()
        names = list(dict.fromkeys([*markets, *known, *tops]))[:MAX_ROWS]
        rows = []
        for market in names:
            view = state.book_view(market, 1)
            candles = charts.candles(market, "15m")  # its last close is the last print
            change, volume = charts.change(market, now_ns - WINDOW_NS)
            rate = self.rates.sample(market, view.updates_applied, now_ns) if view else None
            rows.append(
                board_row(
                    market,
                    top=tops.get(market),
                    view=view,
                    last=candles[-1].close if candles else None,
                    change=change,
                    volume=volume,
                    rate=rate,
                )
            )
        return rows
