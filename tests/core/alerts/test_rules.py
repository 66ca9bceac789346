"""Market and feed-health rules through the engine, with injected time and signals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sor_tui.core.alerts.engine import AlertEngine
from sor_tui.core.alerts.machine import AlertPhase, Timing, Transition
from sor_tui.core.alerts.rules import AlertRule, RuleKind
from sor_tui.core.alerts.signals import DeskSignals, MarketSignals
from sor_tui.core.views import BookStatus
from tests.core.alerts.helpers import book, quote

D = Decimal


def desk(**markets: MarketSignals) -> DeskSignals:
    return DeskSignals(connected=True, disconnected_for=None, markets=markets)


def events(engine: AlertEngine, signals: DeskSignals, now: float) -> list[tuple[str, str]]:
    return [(e.transition.value, e.subject) for e in engine.evaluate(signals, now, int(now))]


@pytest.mark.parametrize(
    ("direction", "path", "fired_at"),
    [
        ("up", ["99", "100.5", "101"], 1),
        ("up", ["101", "102", "99", "100"], 3),  # starts above: needs to be below first
        ("down", ["101", "100", "99"], 1),
        ("either", ["101", "102", "99.5"], 2),
        ("either", ["99", "99.5", "100"], 2),  # touching the price is a cross
    ],
)
def test_price_cross_on_the_last_trade(direction: str, path: list[str], fired_at: int) -> None:
    rule = AlertRule("x", RuleKind.PRICE_CROSS, "BTCUSD", price=D(100), direction=direction)
    engine = AlertEngine([rule])
    fired = []
    for step, price in enumerate(path):
        market = MarketSignals("BTCUSD", last_trade=D(price))
        if events(engine, desk(BTCUSD=market), float(step)) == [("fired", "BTCUSD")]:
            fired.append(step)
    assert fired == [fired_at]


def test_a_one_shot_cross_on_the_mid_fires_once_and_disarms() -> None:
    rule = AlertRule(
        "x",
        RuleKind.PRICE_CROSS,
        "BTCUSD",
        price=D(100),
        watch="mid",
        direction="up",
        timing=Timing(repeat=False),
    )
    engine = AlertEngine([rule])
    transitions = []
    for step, (bid, ask) in enumerate([("98", "99"), ("100", "101"), ("98", "99"), ("100", "102")]):
        signals = desk(BTCUSD=MarketSignals("BTCUSD", view=quote(bid, ask)))
        transitions += events(engine, signals, float(step))
    assert transitions == [("fired", "BTCUSD"), ("resolved", "BTCUSD")]


def test_spread_wide_holds_inside_its_band() -> None:
    rule = AlertRule("s", RuleKind.SPREAD_WIDE, "BTCUSD", bps=D(10))
    engine = AlertEngine([rule])
    out = []
    # mid 1000: 1.2 wide = 12 bps, 0.95 = 9.5 bps (inside the 10 % band), 0.5 = 5 bps
    for step, (bid, ask) in enumerate(
        [("999.4", "1000.6"), ("999.525", "1000.475"), ("999.75", "1000.25")]
    ):
        out += events(engine, desk(BTCUSD=MarketSignals("BTCUSD", view=quote(bid, ask))), step)
    assert out == [("fired", "BTCUSD"), ("resolved", "BTCUSD")]


def test_a_large_print_fires_then_resolves_after_its_hold() -> None:
    rule = AlertRule("p", RuleKind.LARGE_PRINT, "BTCUSD", amount=D("100000"))
    engine = AlertEngine([rule])
    small = MarketSignals("BTCUSD", prints=((D("50000"), D("1")),))
    large = MarketSignals("BTCUSD", prints=((D("50000"), D("2")),))
    quiet = MarketSignals("BTCUSD")
    assert events(engine, desk(BTCUSD=small), 0.0) == []
    assert events(engine, desk(BTCUSD=large), 1.0) == [("fired", "BTCUSD")]
    assert events(engine, desk(BTCUSD=quiet), 5.0) == []
    assert events(engine, desk(BTCUSD=quiet), 6.0) == [("resolved", "BTCUSD")]


def test_thin_depth_needs_levels_that_reach_far_enough() -> None:
    rule = AlertRule("d", RuleKind.THIN_DEPTH, "BTCUSD", bps=D(10), amount=D(5), side="bid")
    engine = AlertEngine([rule])
    # mid 1000, 10 bps = 1.0: bids at 999.5 and 999.0 count, 998 does not.
    thin = book([("999.5", "1"), ("999", "2"), ("998", "50")], [("1000.5", "9")])
    deep = book([("999.5", "3"), ("999", "3"), ("998", "50")], [("1000.5", "9")])
    unknown = book([("999.5", "1"), ("999", "2")], [("1000.5", "9")], more_levels=5)
    assert events(engine, desk(BTCUSD=MarketSignals("BTCUSD", view=unknown)), 0.0) == []
    assert [v.phase for v in engine.views(0.0)] == [AlertPhase.INACTIVE]  # no data: armed
    assert events(engine, desk(BTCUSD=MarketSignals("BTCUSD", view=thin)), 1.0) == [
        ("fired", "BTCUSD")
    ]
    assert events(engine, desk(BTCUSD=MarketSignals("BTCUSD", view=deep)), 2.0) == [
        ("resolved", "BTCUSD")
    ]


def test_health_rules_without_a_market_judge_each_market_apart() -> None:
    rule = AlertRule("silent", RuleKind.MARKET_SILENT, seconds=5.0, timing=Timing(clear=0.0))
    engine = AlertEngine([rule])
    live = quote("1", "2")
    signals = desk(
        BTCUSD=MarketSignals("BTCUSD", view=live, silent_for=6.0),
        ETHUSD=MarketSignals("ETHUSD", view=live, silent_for=1.0),
    )
    assert events(engine, signals, 0.0) == [("fired", "BTCUSD")]
    # A market that usually updates every second is silent after 10 s, not 5 s.
    slow = desk(BTCUSD=MarketSignals("BTCUSD", view=live, silent_for=6.0, typical_interval=1.0))
    assert events(engine, slow, 1.0) == [("resolved", "BTCUSD")]
    views = engine.views(1.0)
    assert [(v.key, v.phase) for v in views] == [(("silent", "BTCUSD"), AlertPhase.RESOLVED)]
    assert views[0].title == "BTCUSD silent 5 s (adapts to its rate) while connected"


def test_desk_rules_and_no_data() -> None:
    rules = [
        AlertRule("down", RuleKind.DISCONNECTED, timing=Timing(pending=3.0)),
        AlertRule("clock", RuleKind.CLOCK_OFFSET, amount=D(500)),
        AlertRule("token", RuleKind.TOKEN_FAILING),
        AlertRule("rec", RuleKind.RECORDING_FAILED),
    ]
    engine = AlertEngine(rules)
    assert events(engine, DeskSignals(), 0.0) == []  # no feed: no verdict
    lost = DeskSignals(connected=False, clock_offset_ms=D(-501), token_error="HTTP 500")
    assert sorted(events(engine, lost, 1.0)) == [("fired", ""), ("fired", "")]
    assert {e.rule_id for e in engine.history} == {"clock", "token"}
    assert [e.rule_id for e in engine.evaluate(lost, 4.0, 4)] == ["down"]
    back = DeskSignals(connected=True, clock_offset_ms=D(460), recording_error="disk full")
    fired_resolved = {(e.rule_id, e.transition) for e in engine.evaluate(back, 5.0, 5)}
    assert fired_resolved == {
        ("down", Transition.RESOLVED),
        ("token", Transition.RESOLVED),
        ("rec", Transition.FIRED),
    }  # the clock offset holds inside its band (460 > 450)


def test_acknowledge_snooze_and_rule_changes_through_the_engine() -> None:
    rule = AlertRule("s", RuleKind.SPREAD_WIDE, "BTCUSD", bps=D(10))
    engine = AlertEngine([rule])
    wide = desk(BTCUSD=MarketSignals("BTCUSD", view=quote("990", "1010")))
    engine.evaluate(wide, 0.0, 0)
    assert engine.acknowledge(("s", "BTCUSD"))
    assert engine.snooze(("s", "BTCUSD"), 100.0)
    assert not engine.acknowledge(("nope", ""))
    (view,) = engine.views(1.0)
    assert view.acknowledged and view.snoozed and view.phase is AlertPhase.FIRING
    engine.set_rules([rule])  # unchanged: kept
    assert engine.views(1.0)
    engine.set_rules([AlertRule("s", RuleKind.SPREAD_WIDE, "BTCUSD", bps=D(20))])
    assert engine.views(1.0) == ()


def test_server_text_in_alerts_is_sanitized() -> None:
    rule = AlertRule("r", RuleKind.SUBSCRIPTION_REFUSED)
    engine = AlertEngine([rule])
    signals = desk(X=MarketSignals("X", refused="\x1b]0;evil\x07bad\u202e"))
    (event,) = engine.evaluate(signals, 0.0, 0)
    assert event.detail == "subscription refused: bad"
    assert event.to_json()["market"] == "X"


def test_untrusted_book_while_connected() -> None:
    rule = AlertRule("u", RuleKind.UNTRUSTED, timing=Timing(pending=2.0))
    engine = AlertEngine([rule])
    stale = quote("1", "2", status=BookStatus.RESYNCING)
    signals = desk(BTCUSD=MarketSignals("BTCUSD", view=stale, untrusted_for=0.0))
    assert events(engine, signals, 0.0) == []
    assert events(engine, signals, 2.0) == [("fired", "BTCUSD")]


def test_a_book_that_is_not_live_is_no_data_for_market_rules() -> None:
    rule = AlertRule("s", RuleKind.SPREAD_WIDE, "BTCUSD", bps=D(10))
    engine = AlertEngine([rule])
    wide = quote("990", "1010")
    assert events(engine, desk(BTCUSD=MarketSignals("BTCUSD", view=wide)), 0.0) == [
        ("fired", "BTCUSD")
    ]
    stale = quote("999.9", "1000.1", status=BookStatus.STALE)  # narrow, but not current
    assert events(engine, desk(BTCUSD=MarketSignals("BTCUSD", view=stale)), 5.0) == []
    (view,) = engine.views(5.0)
    assert view.phase is AlertPhase.FIRING  # neither resolved nor fired again
