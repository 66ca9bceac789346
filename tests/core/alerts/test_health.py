"""The health tracker: silence adapts to a market's pace, resyncs, refusals, token errors."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sor_tui.core.alerts.health import HealthTracker
from sor_tui.core.events import Channel, ChannelType, Execution
from sor_tui.core.subscriptions import ServerAnswer, SubscriptionEntry
from sor_tui.core.views import BookStatus
from tests.core.alerts.helpers import quote


def test_silence_counts_from_the_last_change_while_connected() -> None:
    tracker = HealthTracker()
    tracker.on_status("CONNECTED", 0.0)
    for step in range(5):  # four updates every 2 s
        view = replace(quote("1", "2", version=step), updates_applied=4 * step)
        signals = tracker.signals({"BTCUSD": view}, 2.0 * step)
    market = signals.markets["BTCUSD"]
    assert market.silent_for == 0.0
    assert market.typical_interval == 0.5
    later = tracker.signals({"BTCUSD": view}, 15.0)
    assert later.markets["BTCUSD"].silent_for == 7.0
    tracker.on_status("RECONNECTING", 16.0)
    lost = tracker.signals({"BTCUSD": view}, 20.0)
    assert lost.markets["BTCUSD"].silent_for is None
    assert lost.disconnected_for == 4.0 and lost.connected is False


def test_untrusted_resyncs_refusals_prints_and_token_errors() -> None:
    tracker = HealthTracker()
    tracker.on_status("CONNECTED", 0.0)
    tracker.on_problem("feed", "RESYNC", "resyncing BTCUSD", "BTCUSD", 1.0)
    tracker.on_problem("token", "server_error", "HTTP 500", None, 2.0)
    refused = SubscriptionEntry(
        Channel(ChannelType.MARKET_DATA, "NOPEUSD"), True, ServerAnswer.ERROR, "UNKNOWN_MARKET"
    )
    tracker.on_subscriptions([refused])
    at = (1, "2026-03-02T14:05:07Z")
    tracker.on_prints([Execution("BTCUSD", Decimal("10"), Decimal("3"), *at)])
    view = quote("1", "2", status=BookStatus.RESYNCING)
    tracker.signals({"BTCUSD": view}, 3.0)
    signals = tracker.signals({"BTCUSD": view}, 5.0)
    btc = signals.markets["BTCUSD"]
    assert btc.resyncs == (1.0,) and btc.untrusted_for == 2.0
    assert btc.last_trade == Decimal("10") and btc.prints == ()  # handed out once
    assert signals.markets["NOPEUSD"].refused == "UNKNOWN_MARKET"
    assert signals.token_error == "HTTP 500"
    tracker.on_subscriptions([])
    tracker.on_status("RECONNECTING", 6.0)
    tracker.on_status("CONNECTED", 7.0)
    again = tracker.signals({"BTCUSD": view}, 8.0)
    assert again.token_error is None and "NOPEUSD" not in again.markets
