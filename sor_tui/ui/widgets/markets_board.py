"""The markets board: one line per market, sortable; Enter asks to open the market.

Rows are keyed by market and updated cell by cell; a new order (a sort, a new market)
rebuilds the table once. Every number is exact, or rounded and marked ``≈``, or a dash.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from sor_tui.core.board_rows import SORT_KEYS, BoardRow, sort_rows
from sor_tui.core.number_text import exact_text, fit_number
from sor_tui.ui.view_bindings import BOARD_BINDINGS

COLUMNS = ("market", "bid", "ask", "bps", "last", "chg 5m", "vol 5m", "upd/s", "status")
VOLUME_WIDTH = 12  # a longer volume is shown rounded and marked ≈


@dataclass
class BoardMarketChosen(Message):
    """The user pressed Enter on a market of the board."""

    market: str


def _price(price: Decimal | None) -> str:
    return "—" if price is None else exact_text(price)


def row_cells(row: BoardRow) -> tuple[Text, ...]:
    """The cells of one row as text (exact numbers or a dash)."""
    change = "—" if row.change is None else f"{'+' if row.change > 0 else ''}{row.change:,f}"
    style = "" if row.change is None or row.change == 0 else ("green" if row.change > 0 else "red")
    # Exact, or rounded and marked, or left out: never a cut number.
    volume = "—" if not row.volume else (fit_number(row.volume, VOLUME_WIDTH) or "")
    bps = "—" if row.spread_bps is None else f"{row.spread_bps:f}"
    rate = "—" if row.rate is None else str(row.rate)
    status = row.status + (" · top" if row.source == "top" else "")
    return (
        Text(row.market, style="bold"),
        Text(_price(row.best_bid), justify="right"),
        Text(_price(row.best_ask), justify="right"),
        Text(bps, justify="right"),
        Text(_price(row.last), justify="right"),
        Text(change, style=style, justify="right"),
        Text(volume, justify="right"),
        Text(rate, justify="right"),
        Text(status),
    )


class MarketsBoard(DataTable[Text]):
    """The board's table; ``show`` takes fresh rows, ``o``/``O`` sort."""

    BINDINGS = BOARD_BINDINGS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.sort_key = "market"
        self.descending = False
        self.rows_shown: list[BoardRow] = []
        self._order: list[str] = []

    def on_mount(self) -> None:
        """Add the columns."""
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show(self, rows: list[BoardRow]) -> None:
        """Show rows in the current sort order, updating only the cells that changed."""
        ordered = sort_rows(rows, self.sort_key, self.descending)
        order = [row.market for row in ordered]
        previous = {row.market: row for row in self.rows_shown}
        self.rows_shown = ordered
        if order != self._order:
            cursor = self.cursor_row
            self.clear()
            for row in ordered:
                self.add_row(*row_cells(row), key=row.market)
            self._order = order
            if ordered:
                self.move_cursor(row=min(max(cursor, 0), len(ordered) - 1))
            return
        for row in ordered:
            if previous.get(row.market) != row:
                for name, cell in zip(COLUMNS, row_cells(row), strict=True):
                    # A longer number widens its column: a cell is never cut.
                    self.update_cell(row.market, name, cell, update_width=True)

    def _resort(self) -> None:
        self.notify(f"Sorted by {self.sort_key}{' ↓' if self.descending else ''}", timeout=1.5)
        self.show(list(self.rows_shown))

    def action_sort_next(self) -> None:
        """Sort by the next column (market, spread, change, volume, rate)."""
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.descending = self.sort_key != "market"
        self._resort()

    def action_sort_reverse(self) -> None:
        """Reverse the order."""
        self.descending = not self.descending
        self._resort()

    @on(DataTable.RowSelected)
    def choose(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: ask to open that market in the first ladder."""
        event.stop()
        key = event.row_key.value
        if key is not None:
            self.post_message(BoardMarketChosen(str(key)))
