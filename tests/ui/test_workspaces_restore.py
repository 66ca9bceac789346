"""A restart restores the workspace: two app runs with the same config directory."""

from __future__ import annotations

import stat
from decimal import Decimal

from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.config.workspaces import Workspace, WorkspaceBook, open_profile, save_book
from sor_tui.runtime.clock import FrozenClock
from sor_tui.ui.app import SorApp
from sor_tui.ui.factory import make_app
from sor_tui.ui.widgets.error_log import ErrorLog
from tests.ui.fakes import MARKETS, FakeFeed, FakeSource


def app_for(profile: str) -> SorApp:
    """The desk on a fake feed, with the profile's workspaces (as the launchers do)."""
    workspaces = open_profile(profile)
    markets = workspaces.book.active().markets or MARKETS
    settings = Settings(markets=",".join(markets), render_rate=20)  # type: ignore[call-arg]
    return make_app(
        settings,
        source=FakeSource(FakeFeed()),
        store=CredentialStore(),
        clock=FrozenClock(),
        workspaces=workspaces,
    )


async def test_a_restart_restores_the_layout() -> None:
    first = app_for("sandbox")
    async with first.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for key in ("n", "v", "i", "f", "g", "plus"):
            await pilot.press(key)
        await pilot.press("q")
    path = open_profile("sandbox").path
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600

    second = app_for("sandbox")
    async with second.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        desk = second.desk
        assert desk.focused_market == "ETHUSD"
        assert (desk.chart_panel.mode, desk.chart_panel.timeframe) == ("candles", "5m")
        assert desk.tape_filtered and desk.depth == 30
        assert desk.groups == {"ETHUSD": Decimal("0.10")}
    other = app_for("production")  # another profile keeps its own layout
    async with other.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert other.desk.chart_panel.mode == "off" and other.desk.focused_market == "BTCUSD"


async def test_w_switches_between_named_workspaces() -> None:
    path = open_profile("demo").path
    assert path is not None
    book = WorkspaceBook(
        "main",
        {
            "main": Workspace(markets=("BTCUSD", "ETHUSD")),
            "eth depth": Workspace(markets=("BTCUSD", "ETHUSD"), first=1, chart="depth"),
        },
    )
    save_book(path, book)
    app = app_for("demo")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.desk.focused_market == "BTCUSD" and app.desk.chart_panel.mode == "off"
        await pilot.press("w")
        assert app.desk.focused_market == "ETHUSD" and app.desk.chart_panel.mode == "depth"
        await pilot.press("w")
        assert app.desk.focused_market == "BTCUSD" and app.desk.chart_panel.mode == "off"


async def test_a_crafted_file_gives_a_message_and_the_defaults() -> None:
    path = open_profile("sandbox").path
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_text('{"format": 1, "workspaces": {"main": {"depth": "9e9", "chart": [1]}}}')
    app = app_for("sandbox")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        assert app.desk.depth == 25 and app.desk.chart_panel.mode == "off"
        codes = [problem.code for _, problem in app.desk.query_one(ErrorLog).problems]
        assert "workspace_invalid" in codes


async def test_without_a_saved_workspace_the_settings_hold() -> None:
    workspaces = open_profile("sandbox")
    settings = Settings(markets="BTCUSD,ETHUSD", book_depth=50, render_rate=20)  # type: ignore[call-arg]
    app = make_app(
        settings,
        source=FakeSource(FakeFeed()),
        store=CredentialStore(),
        clock=FrozenClock(),
        workspaces=workspaces,
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.desk.depth == 50 and app.desk.markets == ["BTCUSD", "ETHUSD"]
