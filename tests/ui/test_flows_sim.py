"""Pilot flows against the live simulator, through the real client path.

Each test asserts the messages the app posted (``message_hook``) as well as the screen.
Waits are bounded polls on state, never timing assertions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from textual.message import Message
from textual.pilot import Pilot

from sor_tui.commands.demo import demo_source
from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.core.subscriptions import ServerAnswer
from sor_tui.ui import messages as msg
from sor_tui.ui.app import SorApp
from sor_tui.ui.factory import make_app
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

FAST_FEED = {"request_spacing": 0.0, "resync_interval": 0.0, "backoff_floor": 0.05}
SIM = {"rate": 20.0, "snapshot_delay": 0.05, "heartbeat_interval": 0.5}


def demo_app(**settings: object) -> SorApp:
    values: dict[str, object] = {
        "markets": "BTCUSD,ETHUSD",
        "backoff_floor": 0.05,
        "backoff_cap": 0.2,
    }
    values.update(settings)
    config = Settings(**values)  # type: ignore[arg-type]
    source = demo_source(config, seed=5, sim_options=SIM, feed_overrides=FAST_FEED)
    return make_app(config, source=source, store=CredentialStore())


@pytest.fixture
async def running() -> AsyncIterator[tuple[SorApp, Pilot[object], list[Message]]]:
    seen: list[Message] = []
    app = demo_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
        yield app, pilot, seen


def _live(app: SorApp, market: str) -> bool:
    view = app.desk.ladders()[0].view
    return view is not None and view.market == market and view.status.value == "LIVE"


def _entry(app: SorApp, channel: str, market: str | None) -> object | None:
    for entry in app.desk.subscription_panel.entries:
        if entry.channel.type == channel and entry.channel.market == market:
            return entry
    return None


async def test_demo_connects_and_shows_live_books(
    running: tuple[SorApp, Pilot[object], list[Message]],
) -> None:
    app, pilot, seen = running
    await wait_until(
        pilot=pilot,
        condition=lambda: app.desk.tape.tape is not None and bool(app.desk.tape.tape.entries),
    )
    assert app.desk.status_bar.line.state == "CONNECTED"
    assert app.desk.status_bar.line.token_expires_in is not None
    kinds = {type(m) for m in seen}
    assert {
        msg.FeedStatusChanged,
        msg.SubscriptionsUpdated,
        msg.BookChanged,
        msg.TapeChanged,
    } <= kinds
    # Frame-rate rendering: at most one book message per visible ladder per frame.
    books = sum(isinstance(m, msg.BookChanged) for m in seen)
    assert 0 < books <= app.composer.frames * len(app.desk.visible_markets())


async def test_subscribe_then_unsubscribe(
    running: tuple[SorApp, Pilot[object], list[Message]],
) -> None:
    app, pilot, seen = running
    await pilot.press("s", "a", *"SOLUSD", "enter")
    assert any(isinstance(m, msg.SubscribeRequested) for m in seen)

    def solana_live() -> bool:
        entry = _entry(app, "market_data", "SOLUSD")
        return entry is not None and entry.answer is ServerAnswer.OK and entry.data.value == "LIVE"  # type: ignore[attr-defined]

    await wait_until(solana_live, pilot=pilot)
    table = app.desk.subscription_panel.table
    row = table.get_row_index("market_data:SOLUSD")
    table.move_cursor(row=row)
    await pilot.press("d")
    assert any(isinstance(m, msg.UnsubscribeRequested) for m in seen)
    await wait_until(
        pilot=pilot,
        condition=lambda: (
            _entry(app, "market_data", "SOLUSD") is None
            or not _entry(app, "market_data", "SOLUSD").desired
        ),
    )  # type: ignore[union-attr]


async def test_resync_fetches_a_fresh_snapshot(
    running: tuple[SorApp, Pilot[object], list[Message]],
) -> None:
    app, pilot, seen = running
    first = app.desk.ladders()[0].view
    assert first is not None
    await pilot.press("r")
    assert any(isinstance(m, msg.ResyncRequested) and m.market == "BTCUSD" for m in seen)

    def fresh() -> bool:
        view = app.desk.ladders()[0].view
        return (
            view is not None
            and view.status.value == "LIVE"
            and (view.snapshot_time_ns or 0) > (first.snapshot_time_ns or 0)
        )

    await wait_until(fresh, pilot=pilot)


async def test_subscription_error_appears_in_panel_and_error_log(
    running: tuple[SorApp, Pilot[object], list[Message]],
) -> None:
    app, pilot, seen = running
    await pilot.press("s", "a", *"NOPEUSD", "enter")

    def refused() -> bool:
        entry = _entry(app, "market_data", "NOPEUSD")
        return entry is not None and entry.answer is ServerAnswer.ERROR  # type: ignore[attr-defined]

    await wait_until(refused, pilot=pilot)
    await wait_until(
        pilot=pilot,
        condition=lambda: any(
            p.code == "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION" for _, p in app.desk.error_log.problems
        ),
    )
    logged = [p for m in seen if isinstance(m, msg.ProblemsLogged) for p in m.problems]
    problem = next(p for p in logged if p.code == "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION")
    assert problem.market == "NOPEUSD" and problem.explanation
    assert any("UNKNOWN_CHANNEL_PARAMS" in str(n.message) for n in app._notifications)
    await pilot.press("e")
    assert app.desk.error_log.table.row_count >= 1


async def test_reconnect_is_shown(running: tuple[SorApp, Pilot[object], list[Message]]) -> None:
    app, pilot, seen = running
    before = len(seen)

    def states_since_drop() -> list[str]:
        return [str(m.status.state) for m in seen[before:] if isinstance(m, msg.FeedStatusChanged)]

    # The simulator lives on the feed's thread and loop: call it there.
    assert app.runner is not None
    assert app.runner.call(app.source.simulator.drop_connections)  # type: ignore[union-attr]
    await wait_until(lambda: app.desk.status_bar.line.reconnects >= 1, pilot=pilot)
    # The message flow shows the loss and the recovery, in that order.
    await wait_until(lambda: "CONNECTED" in states_since_drop(), pilot=pilot)
    states = states_since_drop()
    assert states[0] in ("RECONNECTING", "CONNECTING") and states[-1] == "CONNECTED"
    await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)


async def test_leaving_the_app_stops_the_feed_thread_and_simulator() -> None:
    import asyncio
    import threading

    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot=pilot, condition=lambda: app.desk.status_bar.line.state == "CONNECTED"
        )
        runner = app.runner
        assert runner is not None and runner.running
    for _ in range(200):  # bounded: the stop is asynchronous, on the feed's own loop
        if not runner.running:
            break
        await asyncio.sleep(0.05)
    assert not runner.running
    assert app.source.simulator is None  # type: ignore[union-attr]  # closed
    assert "sor-feed" not in [t.name for t in threading.enumerate() if t.is_alive()]
