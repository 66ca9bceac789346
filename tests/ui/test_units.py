"""Small pure pieces of the UI: number formats, sparkline, request parsing, layout maths."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import TabbedContent

from sor_tui.core.events import Channel
from sor_tui.core.views import BookStatus, BookView
from sor_tui.ui.format import format_age, format_clock
from sor_tui.ui.screens.help import HelpScreen, key_names
from sor_tui.ui.widgets.book_ladder import badge_of
from sor_tui.ui.widgets.sparkline import sparkline
from sor_tui.ui.widgets.subscription_panel import parse_request
from tests.ui.conftest import AppBuilder


def test_ages_and_clock() -> None:
    assert format_age(0.42) == "0.4s"
    assert format_age(75) == "1m15s"
    assert format_age(3725) == "1h02m"
    assert format_clock(1_772_460_307_123_456_789) == "14:05:07.123"


def test_sparkline_scales_exact_prices() -> None:
    prices = [Decimal("100"), Decimal("100.5"), Decimal("101")]
    assert sparkline(prices, 10) == "▁▅█"
    assert sparkline([Decimal(1)] * 3, 2) == "▅▅"
    assert sparkline([], 5) == ""


def test_parse_request() -> None:
    assert parse_request("solusd") == (
        Channel("market_data", "SOLUSD"),
        Channel("execution_data", "SOLUSD"),
    )
    assert parse_request("ETHUSD market_data.top_of_book") == (
        Channel("market_data.top_of_book", "ETHUSD"),
    )
    assert parse_request("heartbeat") == (Channel("heartbeat"),)
    assert parse_request("  ") == ()


def _view(status: BookStatus, crossed: bool) -> BookView:
    return BookView(
        "BTCUSD",
        status,
        (),
        (),
        None,
        None,
        None,
        None,
        None,
        crossed,
        False,
        None,
        None,
        0,
        0,
        0,
        1,
    )


def test_badge_prefers_crossed_over_live() -> None:
    assert badge_of(_view(BookStatus.LIVE, True)) == "CROSSED"
    assert badge_of(_view(BookStatus.STALE, True)) == "STALE"
    assert badge_of(None) == "IDLE"


def test_key_names() -> None:
    assert key_names("question_mark,f1") == "?, f1"


async def test_keys_are_remappable_and_help_shows_the_new_key(
    desk_app: AppBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOR_KEYMAP", '{"app.errors": "x"}')  # the user's setting, as JSON
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")  # the default key no longer opens the errors tab
        assert app.desk.query_one(TabbedContent).active == "desk"
        await pilot.press("x")
        assert app.desk.query_one(TabbedContent).active == "errors"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.keymap == {"app.errors": "x"}


async def test_theme_cycle_reaches_the_colour_blind_theme(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "sor-dark"
        await pilot.press("ctrl+t", "ctrl+t")
        assert app.theme == "sor-colourblind"


async def test_an_unknown_theme_falls_back_and_says_so(desk_app: AppBuilder) -> None:
    app = desk_app(theme="no-such-theme")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        assert app.theme == "sor-dark"
        assert [p.code for _, p in app.desk.error_log.problems] == ["unknown_theme"]
