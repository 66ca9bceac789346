"""The Alerts tab by keyboard, the rule form (saved to config.toml), the book cursor and
its price alert firing once when the mid crosses the level (fake feed, frozen clock)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from sor_tui.config import paths
from sor_tui.core.alerts.machine import AlertPhase
from sor_tui.core.events import BookSnapshot, PriceLevel
from sor_tui.core.state import DeskState
from sor_tui.runtime.clock import FrozenClock
from sor_tui.transport.status import SubscriptionsChanged
from sor_tui.ui.app import SorApp
from tests.ui.conftest import build_app
from tests.ui.fakes import EPOCH_NS, FakeFeed, build_state, entries

WIDE = {"kind": "spread_wide", "market": "BTCUSD", "bps": "0.0001", "id": "wide"}


async def frame(pilot: Pilot[Any], app: SorApp, seconds: float = 0.3) -> None:
    """Advance the frozen clock and draw one frame (alerts are judged 4 times a second)."""
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(seconds)
    app.render_frame()
    await pilot.pause()


async def saved(app: SorApp) -> None:
    """Wait for the rules to be written (a thread worker)."""
    workers = [worker for worker in app.workers if worker.group == "alert-rules"]
    if workers:  # an empty list would wait for every worker, the feed's too
        await app.workers.wait_for_complete(workers)


def alert_app(*rules: dict[str, str], feed: FakeFeed | None = None) -> SorApp:
    script = [SubscriptionsChanged(entries(error_market="NOPEUSD"))]
    feed = feed or FakeFeed(script=list(script))
    return build_app(feed, alerts={"rules": list(rules), "bell": False, "desktop": False})


async def test_acknowledge_snooze_view_and_filter_by_keyboard() -> None:
    app = alert_app(WIDE)
    async with app.run_test(size=(120, 36)) as pilot:
        await frame(pilot, app)
        await pilot.press("exclamation_mark")
        panel = app.desk.alerts_panel
        assert {a.key for a in panel.alerts} == {
            ("wide", "BTCUSD"),
            ("subscription-refused", "NOPEUSD"),
        }
        assert app.focused is panel.table
        first = panel.selected()
        assert first is not None and first.phase is AlertPhase.FIRING
        tab = app.desk.query_one(TabbedContent).get_tab("alerts")
        assert tab.label_text == "Alerts 2"  # firing, not yet acknowledged
        await pilot.press("a")
        await pilot.pause()
        acknowledged = [a.key for a in app.alerts.monitor.engine.views(0) if a.acknowledged]
        assert acknowledged == [first.key]
        assert tab.label_text == "Alerts 1"
        await pilot.press("z")
        await pilot.pause()
        snoozed = [a for a in panel.alerts if a.snoozed]
        assert [a.key for a in snoozed] == [first.key]
        await pilot.press("v")  # active
        assert panel.mode == "active" and panel.table.row_count == 2
        await pilot.press("v", "v")  # pending, resolved
        assert panel.mode == "resolved" and panel.table.row_count == 0
        await pilot.press("v")  # history: the two fired events
        assert panel.mode == "history" and panel.table.row_count == 2
        await pilot.press("v", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"nope")
        assert panel.table.row_count == 1
        assert panel.selected() is not None
        assert panel.selected().key == ("subscription-refused", "NOPEUSD")  # type: ignore[union-attr]


async def test_a_snoozed_alert_is_recorded_but_not_toasted() -> None:
    app = alert_app(WIDE)
    async with app.run_test(size=(120, 36)) as pilot:
        await frame(pilot, app)
        toasts = [n.message for n in app._notifications]
        assert any("BTCUSD spread wider than 0.0001 bps" in text for text in toasts)
        app.alerts.snooze(("wide", "BTCUSD"), 600)
        app.clear_notifications()
        state = app.feed.state  # type: ignore[union-attr]
        assert isinstance(state, DeskState)
        _move_book(state, Decimal("60000"), Decimal("60000.01"), 1)  # 0.0017 bps: still wide
        await frame(pilot, app)
        _move_book(state, Decimal("60000"), Decimal("60000"), 2)  # locked: spread 0
        await frame(pilot, app, 1.5)
        history = [
            (e.rule_id, e.transition.value, e.snoozed) for e in app.alerts.monitor.engine.history
        ]
        assert ("wide", "resolved", True) in history
        assert not any("wide" in n.message or "spread" in n.message for n in app._notifications)


def _move_book(state: DeskState, bid: Decimal, ask: Decimal, step: int) -> None:
    """Give BTCUSD a fresh book around bid / ask (a snapshot after a resync)."""
    time_ns = EPOCH_NS + 10_000_000 * step + 1
    state.begin_sync("BTCUSD")
    bids = tuple(PriceLevel(bid - Decimal(n), Decimal(1)) for n in range(30))
    asks = tuple(PriceLevel(ask + Decimal(n), Decimal(1)) for n in range(30))
    state.apply(BookSnapshot("BTCUSD", time_ns, "", bids, asks), time_ns + 1)


async def test_a_price_alert_set_at_the_book_cursor_fires_once_when_crossed() -> None:
    state = build_state()
    _move_book(state, Decimal(50000), Decimal(50001), 0)
    app = build_app(FakeFeed(state=state), alerts={"bell": False, "desktop": False})
    async with app.run_test(size=(120, 36)) as pilot:
        await frame(pilot, app)
        await pilot.press("up", "up", "up")  # best ask, then two levels above: 50003
        ladder = app.desk.ladders()[0]
        assert ladder.cursor is not None and (ladder.cursor.side, ladder.cursor.index) == ("ask", 2)
        await frame(pilot, app)
        status = app.desk.status_bar.line.cursor
        assert status == "ASK 50,003.00 cum 3 ntl 150,006 0.50 bps"
        await pilot.press("a")
        await pilot.pause()
        (rule,) = [r for r in app.alerts.monitor.engine.rules if r.id.startswith("cursor-")]
        assert rule.price == Decimal(50003) and rule.direction == "up" and rule.watch == "mid"

        def fired() -> list[str]:
            return [
                e.transition.value
                for e in app.alerts.monitor.engine.history
                if e.rule_id == rule.id
            ]

        await frame(pilot, app)
        assert fired() == []  # armed below the level
        for step, mid in enumerate((50002, 50004, 50006, 50001, 50002, 50005), start=1):
            _move_book(state, Decimal(mid), Decimal(mid) + 1, step)
            await frame(pilot, app, 1.1)
        # Crossed up once: fired, then resolved when the mid fell back; one-shot, so the
        # second crossing does not fire again.
        assert fired() == ["fired", "resolved"]
        views = {v.key: v for v in app.alerts.monitor.engine.views(0)}
        assert views[(rule.id, "BTCUSD")].disarmed


async def test_the_rule_form_adds_a_rule_saved_to_the_config_file() -> None:
    app = alert_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await frame(pilot, app)
        await pilot.press("exclamation_mark", "n")
        await pilot.pause()
        await pilot.press(*"ethusd", "tab", *"3000.5")
        await pilot.press("enter")
        await pilot.pause()
        (rule,) = app.alerts.market_rules()
        assert (rule.market, rule.price, rule.kind.value) == (
            "ETHUSD",
            Decimal("3000.5"),
            "price_cross",
        )
        await saved(app)
        written = tomllib.loads(paths.config_file().read_text())
        assert written["alerts"]["rules"] == [
            {"id": rule.id, "kind": "price_cross", "market": "ETHUSD", "price": "3000.5"}
        ]
        # The form refuses a rule that lacks its figure, and says why.
        await pilot.press("n", *"btcusd", "enter")
        await pilot.pause()
        assert "price_cross needs price" in str(app.screen.query_one("#rule-error").render())
        await pilot.press("escape")
        # Remove it from the table: the file loses it too.
        await frame(pilot, app)
        panel = app.desk.alerts_panel
        panel.table.focus()
        row = next(i for i, a in enumerate(panel.alerts) if a.key[0] == rule.id)
        panel.table.move_cursor(row=row)
        await pilot.press("x")
        await pilot.pause()
        await saved(app)
        assert app.alerts.market_rules() == ()
        assert "rules" not in tomllib.loads(paths.config_file().read_text()).get("alerts", {})
