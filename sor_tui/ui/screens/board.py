"""The markets board screen: every market at a glance; Enter opens one in the first ladder."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from sor_tui.core.board_rows import BoardRow
from sor_tui.ui.widgets.markets_board import MarketsBoard
from sor_tui.ui.widgets.status_bar import StatusBar

_HINT = " Markets · o sort · O reverse · enter opens in the first ladder · esc/b back"


class BoardScreen(Screen[None]):
    """A table of every subscribed market, refreshed by the app a few times a second."""

    BINDINGS = [
        Binding("escape,b,m", "close", "Back", id="board.close", tooltip="Back to the books"),
    ]

    def compose(self) -> ComposeResult:
        """Title, table, status bar, footer."""
        yield Static(_HINT, id="board-title")
        yield MarketsBoard(id="markets-board")
        yield StatusBar(id="board-status-bar")
        yield Footer()

    def on_mount(self) -> None:
        """Focus the table so its keys work at once."""
        self.board = self.query_one(MarketsBoard)
        self.status_bar = self.query_one(StatusBar)
        self.board.focus()

    def show(self, rows: list[BoardRow]) -> None:
        """Take fresh rows."""
        self.board.show(rows)

    def action_close(self) -> None:
        """Back to the desk."""
        self.dismiss(None)
