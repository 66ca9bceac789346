"""Charts and the board driven by keys: what they follow, when they redraw, Enter."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot
from textual.widgets.data_table import ColumnKey

from sor_tui.ui.screens.board import BoardScreen
from sor_tui.ui.widgets.chart_panel import ChartPanel
from sor_tui.ui.widgets.markets_board import MarketsBoard
from sor_tui.ui.widgets.price_chart import PriceChart
from tests.ui.scenes import SCENES, build_scene, prepare


async def frame(pilot: Pilot[Any]) -> None:
    """Run one frame and let its messages land."""
    pilot.app.render_frame()
    await pilot.pause()
    await pilot.pause()


async def test_chart_follows_the_first_market_and_redraws_only_on_change() -> None:
    scene = SCENES["chart-candles"]
    app = build_scene(scene)
    async with app.run_test(size=(160, 48)) as pilot:
        await prepare(pilot, scene)
        await frame(pilot)
        chart = app.desk.query_one(PriceChart)
        assert chart.market == "BTCUSD" and chart.display
        builds = chart.builds
        for _ in range(5):
            await frame(pilot)
        assert chart.builds == builds  # nothing changed: no redraw
        await pilot.press("n")
        await frame(pilot)
        assert chart.market == "ETHUSD" and chart.builds > builds
        await pilot.press("i")  # 1m -> 5m
        await frame(pilot)
        assert chart.timeframe == "5m"


async def test_chart_replaces_the_ladder_when_narrow() -> None:
    scene = SCENES["desk"]
    app = build_scene(scene)
    async with app.run_test(size=(80, 24)) as pilot:
        await prepare(pilot, scene)
        ladders = app.desk.query_one("#ladders")
        assert ladders.display
        await pilot.press("v")
        assert app.desk.query_one(ChartPanel).display and not ladders.display
        for _ in range(3):
            await pilot.press("v")  # line, depth, off
        assert ladders.display and not app.desk.query_one(ChartPanel).display


async def test_board_sorts_and_enter_opens_the_market() -> None:
    scene = SCENES["board"]
    app = build_scene(scene)
    async with app.run_test(size=(100, 30)) as pilot:
        await prepare(pilot, scene)
        assert isinstance(app.screen, BoardScreen)
        board = app.screen.query_one(MarketsBoard)
        assert [row.market for row in board.rows_shown] == ["BTCUSD", "ETHUSD", "LTCUSD", "SOLUSD"]
        await pilot.press("o")  # by spread, widest first
        assert board.rows_shown[0].market == "LTCUSD"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.desk
        assert app.desk.focused_market == "LTCUSD"


async def test_board_takes_top_of_book_where_subscribed() -> None:
    # A top-of-book event wins over the book for its market, and a market known only
    # from the top-of-book channel still gets its row.
    from decimal import Decimal

    from sor_tui.core.events import PriceLevel, TopOfBook
    from tests.ui.conftest import build_app
    from tests.ui.fakes import EPOCH_NS, FakeFeed, build_state

    state = build_state()
    for market, bid, ask in (("BTCUSD", "64000", "64001"), ("PAXGUSD", "2400.5", "2401")):
        top = TopOfBook(
            market,
            EPOCH_NS,
            "",
            PriceLevel(Decimal(bid), Decimal(1)),
            PriceLevel(Decimal(ask), Decimal(2)),
        )
        state.apply(top, EPOCH_NS)
    app = build_app(FakeFeed(state=state))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")
        await frame(pilot)
        assert isinstance(app.screen, BoardScreen)
        rows = {row.market: row for row in app.screen.query_one(MarketsBoard).rows_shown}
        assert (rows["BTCUSD"].best_bid, rows["BTCUSD"].source) == (Decimal(64000), "top")
        assert rows["ETHUSD"].source == "book"
        assert rows["PAXGUSD"].best_ask == Decimal(2401) and rows["PAXGUSD"].status == "TOP"


async def test_a_longer_number_widens_its_board_column_instead_of_being_cut() -> None:
    scene = SCENES["board"]
    app = build_scene(scene)
    async with app.run_test(size=(120, 30)) as pilot:
        await prepare(pilot, scene)
        assert isinstance(app.screen, BoardScreen)
        board = app.screen.query_one(MarketsBoard)
        rows = list(board.rows_shown)
        longer = replace(rows[0], best_bid=Decimal("1234567.12345678"))
        board.show([longer, *rows[1:]])  # same order: the cell is updated in place
        await pilot.pause()
        text = str(board.get_cell(longer.market, "bid"))
        assert text == "1,234,567.12345678"
        assert board.columns[ColumnKey("bid")].content_width >= len(text)
