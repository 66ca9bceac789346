"""The desk on a fake feed: frame messages, routing, keys and sanitized display."""

from __future__ import annotations

import contextlib

import pytest
from textual.message import Message

from sor_tui.core.events import Channel
from sor_tui.transport.status import StatusChanged, SubscriptionsChanged
from sor_tui.ui import messages as msg
from sor_tui.ui.widgets.book_ladder import BookLadder
from sor_tui.ui.widgets.error_log import ErrorLog
from sor_tui.ui.widgets.status_bar import StatusBar
from sor_tui.ui.widgets.subscription_panel import SubscriptionPanel
from sor_tui.ui.widgets.trade_tape import TradeTape
from tests.ui.conftest import AppBuilder
from tests.ui.fakes import FakeFeed, entries, problems


async def test_first_frame_shows_books_tape_and_status(desk_app: AppBuilder) -> None:
    seen: list[Message] = []
    app = desk_app()
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        books = [m for m in seen if isinstance(m, msg.BookChanged)]
        assert {b.view.market for b in books} == {"BTCUSD"}  # one ladder fits at 80 columns
        assert any(isinstance(m, msg.TapeChanged) for m in seen)
        ladder = app.desk.query_one("#ladder-0", BookLadder)
        assert ladder.view is not None and ladder.view.status.value == "LIVE"
        assert app.desk.query_one(StatusBar).line.state == "CONNECTED"
        assert app.desk.query_one(TradeTape).tape is not None
        # Unchanged state: the next frame sends no book again (never per message, never idle).
        seen.clear()
        app.render_frame()
        await pilot.pause()
        assert not [m for m in seen if isinstance(m, msg.BookChanged)]


async def test_wide_terminal_shows_several_ladders(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        assert app.desk.visible_markets() == ["BTCUSD", "ETHUSD", "SOLUSD"]
        shown = [lad.market for lad in app.desk.ladders() if lad.display]
        assert shown == ["BTCUSD", "ETHUSD", "SOLUSD"]


async def test_market_keys_move_the_ladders(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right_square_bracket")  # next market
        assert app.desk.focused_market == "ETHUSD"
        await pilot.press("4")  # jump to the fourth market
        assert app.desk.focused_market == "LTCUSD"
        await pilot.press("g")  # group LTCUSD by 2 ticks
        assert str(app.desk.groups["LTCUSD"]) == "0.02"
        app.render_frame()
        await pilot.pause()
        assert app.desk.ladders()[0].view is not None


async def test_requests_reach_the_feed(desk_app: AppBuilder) -> None:
    feed = FakeFeed(script=[SubscriptionsChanged(entries())])
    seen: list[Message] = []
    app = desk_app(feed)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        await pilot.press("r")  # resync the focused market from the books tab
        await pilot.press("s")  # subscriptions tab
        app.render_frame()
        await pilot.pause()
        panel = app.desk.query_one(SubscriptionPanel)
        assert panel.table.row_count == len(entries())
        await pilot.press("a", *"SOLUSD", "space", *"market_data.top_of_book", "enter")
        await pilot.press("d")  # unsubscribe the highlighted (first) row
        await pilot.press("l")  # refresh the server's list
        await pilot.pause()
    assert ("resync", "BTCUSD") in feed.calls
    assert ("subscribe", (Channel("market_data.top_of_book", "SOLUSD"),)) in feed.calls
    assert ("unsubscribe", (Channel("market_data", "BTCUSD"),)) in feed.calls
    assert ("list", None) in feed.calls
    kinds = [type(m) for m in seen]
    for expected in (
        msg.ResyncRequested,
        msg.SubscribeRequested,
        msg.UnsubscribeRequested,
        msg.SubscriptionListRequested,
    ):
        assert expected in kinds


async def test_problems_are_sanitized_explained_and_bounded(desk_app: AppBuilder) -> None:
    feed = FakeFeed(script=problems())
    app = desk_app(feed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        log = app.desk.query_one(ErrorLog)
        assert len(log.problems) == len(problems())
        texts = [p.message for _, p in log.problems]
        assert all("\x1b" not in t and "\x07" not in t for t in texts)
        evil = log.problems[-1][1]
        assert "[bold]" in evil.message  # shown literally, never parsed as markup
        assert all(p.explanation for _, p in log.problems)
        await pilot.press("e", "slash", *"ETHUSD", "enter")
        assert log.table.row_count == 1
        await pilot.press("c")
        assert "bad_number" in (app.clipboard or "")


async def test_auth_failure_is_shown(desk_app: AppBuilder) -> None:
    from sor_tui.transport.status import FeedState, FeedStatus

    failed = FeedStatus(FeedState.AUTH_FAILED, "invalid_client: the client id or secret is wrong")
    feed = FakeFeed(script=[StatusChanged(failed)])
    seen: list[Message] = []
    app = desk_app(feed)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        assert app.desk.query_one(StatusBar).line.state == "AUTH_FAILED"
        assert app.desk.query_one(StatusBar).has_class("-disconnected")
        statuses = [m for m in seen if isinstance(m, msg.FeedStatusChanged)]
        assert statuses and statuses[-1].status.state.value == "AUTH_FAILED"
        assert any("AUTH_FAILED" in str(n.title) for n in app._notifications)


async def test_a_crashed_feed_is_never_silent(desk_app: AppBuilder) -> None:
    from sor_tui.config.credentials import CredentialStore
    from sor_tui.config.settings import Settings
    from sor_tui.ui.factory import make_app

    class BrokenSource:
        environment = "broken"

        async def open(self) -> FakeFeed:
            raise RuntimeError("cannot reach the simulator")

        async def close(self) -> None:
            return None

    seen: list[Message] = []
    app = make_app(Settings(markets="BTCUSD"), source=BrokenSource(), store=CredentialStore())
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.desk.error_log.problems:
                break
        failures = [m for m in seen if isinstance(m, msg.FeedFailed)]
        assert failures and "cannot reach the simulator" in failures[0].description
        codes = [p.code for _, p in app.desk.error_log.problems]
        assert "feed_failed" in codes
        assert any("feed_failed" in str(n.message) for n in app._notifications)
        app.render_frame()
        assert app.desk.status_bar.line.state == "FAILED"
        assert app.desk.status_bar.has_class("-disconnected")


async def test_startup_problems_reach_the_error_pane() -> None:
    from sor_tui.config.credentials import CredentialStore
    from sor_tui.config.settings import Settings
    from sor_tui.transport.status import Problem
    from sor_tui.ui.factory import make_app

    keyring_down = Problem("keyring", "keyring_unavailable", "Cannot read the keyring")
    app = make_app(
        Settings(markets="BTCUSD"),
        source=None,
        store=CredentialStore(),
        startup_problems=(keyring_down,),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        [(_, problem)] = list(app.desk.error_log.problems)
        assert problem.code == "keyring_unavailable"
        assert "SOR_CLIENT_SECRET" in problem.explanation


async def test_command_palette_runs_desk_actions(desk_app: AppBuilder) -> None:
    from sor_tui.ui.commands import desk_commands

    feed = FakeFeed(script=problems())
    app = desk_app(feed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        titles = {command.title for command in desk_commands(app)}
        for needed in ("Resync market", "Group prices", "Add subscription", "Copy error"):
            assert needed in titles
        assert app.desk.error_log.problems
        await pilot.press("ctrl+p", *"Clear errors")
        from textual.widgets import OptionList

        for _ in range(100):  # the palette searches in a worker: wait for its hits (bounded)
            await pilot.pause(0.02)
            hits = app.screen.query(OptionList)
            if hits and hits.first().option_count:
                break
        await pilot.press("enter")
        await pilot.pause()
        assert not app.desk.error_log.problems


async def test_a_crash_report_never_shows_locals(
    desk_app: AppBuilder, capfd: pytest.CaptureFixture[str]
) -> None:
    app = desk_app()

    def explode() -> None:
        client_secret = "".join(["s3c", "ret-value"])  # a local a crash report must not print
        raise RuntimeError(f"boom {len(client_secret)}")

    with contextlib.suppress(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(explode)
            await pilot.pause()
    printed = capfd.readouterr()
    assert "boom 12" in printed.err  # the crash is reported...
    assert "s3cret-value" not in printed.err + printed.out  # ...without its locals


async def test_data_of_a_market_not_subscribed_is_reported_in_the_error_pane(
    desk_app: AppBuilder,
) -> None:
    from decimal import Decimal

    from sor_tui.core.events import Execution
    from sor_tui.core.timestamps import format_rfc3339_ns

    feed = FakeFeed()
    feed.state.set_desired_markets({"BTCUSD"})
    at = 1_700_000_000 * 10**9
    for _ in range(3):
        stray = Execution("XRPUSD", Decimal(1), Decimal(1), at, format_rfc3339_ns(at))
        feed.state.apply(stray, at)
    app = desk_app(feed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        log = app.desk.query_one(ErrorLog)
        found = [p for _, p in log.problems if p.code == "undesired_market"]
        assert len(found) == 1 and found[0].market == "XRPUSD"  # once, though three came
        assert feed.state.dropped_undesired["XRPUSD"] == 3
