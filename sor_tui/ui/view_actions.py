"""The app's actions for the markets board, workspaces and environments, and their palette
entries, kept out of the router."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.app import SystemCommand

from sor_tui.runtime.shared_state import reading
from sor_tui.ui.board_feed import BoardFeed
from sor_tui.ui.environment_switch import choose_environment
from sor_tui.ui.screens.board import BoardScreen
from sor_tui.ui.widgets.markets_board import BoardMarketChosen
from sor_tui.ui.widgets.status_bar import StatusLine
from sor_tui.ui.workspace_actions import new_workspace, switch_workspace

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


class ViewActions:
    """The app's actions for the board, workspaces and environments (mixed into the app)."""

    def action_markets_board(self) -> None:
        """Show the markets board."""
        open_board(cast("SorApp", self))

    def on_board_market_chosen(self, event: BoardMarketChosen) -> None:
        """Enter on the board: that market in the first ladder."""
        open_market(cast("SorApp", self), event.market)

    def action_switch_environment(self) -> None:
        """Choose demo, sandbox or production."""
        choose_environment(cast("SorApp", self))

    def action_next_workspace(self) -> None:
        """Keep this layout and show the next named workspace."""
        switch_workspace(cast("SorApp", self))


def open_board(app: SorApp) -> None:
    """Show the markets board (filled at once, then refreshed by the frame timer)."""
    if isinstance(app.screen, BoardScreen):
        return
    screen = BoardScreen(id="board-screen")
    app.push_screen(screen)
    app.board_feed = BoardFeed()  # rates start afresh: the first refresh has none
    app.call_after_refresh(refresh_board, app, None)


def refresh_board(app: SorApp, line: StatusLine | None) -> None:
    """Refresh the board if it is shown and a refresh is due."""
    screen = app.screen
    if not isinstance(screen, BoardScreen) or not screen.is_mounted:
        return
    if line is not None:
        screen.status_bar.show(line)
    feed = app.feed
    if feed is None or not app.board_feed.due(app.clock.monotonic()):
        return
    with reading(feed):
        rows = app.board_feed.rows(feed.state, app.desk.markets, app.charts, app.clock.wall_ns())
    screen.show(rows)


def open_market(app: SorApp, market: str) -> None:
    """Back to the desk with ``market`` in the first ladder (added to the list if new)."""
    if isinstance(app.screen, BoardScreen):
        app.pop_screen()
    desk = app.desk
    if market not in desk.markets:
        desk.markets.append(market)
    app.action_show_tab("desk")
    desk.action_jump(desk.markets.index(market))


def view_commands(app: SorApp) -> Iterator[SystemCommand]:
    """Command-palette entries for the charts, the board, workspaces and environments."""
    desk = app.desk
    yield SystemCommand("Chart", "Cycle the chart: candles, line, depth, off", desk.action_chart)
    yield SystemCommand("Chart timeframe", "Cycle 1s, 1m, 5m, 15m", desk.action_timeframe)
    yield SystemCommand("Markets board", "Every market on one screen", app.action_markets_board)
    yield SystemCommand(
        "Switch environment", "Demo, sandbox or production", app.action_switch_environment
    )
    book = app.workspaces
    if book is not None:
        for name in book.names():
            yield SystemCommand(
                f"Workspace: {name}",
                "Keep this layout and switch to that workspace",
                partial(switch_workspace, app, name),
            )
        yield SystemCommand(
            "New workspace", "Copy this layout into a new workspace", partial(new_workspace, app)
        )
