"""The desired-subscription registry: matching answers, reconciling, data states."""

from __future__ import annotations

from sor_tui.core.events import Channel, ChannelResult, OperationResult, SubscriptionList
from sor_tui.core.subscriptions import (
    NO_EFFECT_ACTION,
    DataState,
    ServerAnswer,
    SubscriptionRegistry,
)

BTC = Channel("market_data", "BTCUSD")
ETH = Channel("market_data", "ETHUSD")
BTC_X = Channel("execution_data", "BTCUSD")
HB = Channel("heartbeat")


def ok(action: str, *channels: Channel, echo: bool = True) -> OperationResult:
    return OperationResult(
        action,
        tuple(
            ChannelResult(c.type, c.market if echo else None, True, None, echo) for c in channels
        ),
    )


def fail(action: str, channel: Channel, code: str, echo: bool = True) -> ChannelResult:
    return ChannelResult(channel.type, channel.market if echo else None, False, code, echo)


def entry(registry: SubscriptionRegistry, channel: Channel):  # type: ignore[no-untyped-def]
    found = registry.get(channel)
    assert found is not None
    return found


def test_desired_set_keyed_by_channel_and_normalized() -> None:
    registry = SubscriptionRegistry([BTC, Channel("market_data", "btcusd"), HB])
    assert registry.desired() == (BTC, HB)
    assert registry.add([Channel("market_data", "ethusd"), BTC]) == (ETH,)
    assert registry.remove([HB, Channel("heartbeat")]) == (HB,)
    assert registry.desired() == (BTC, ETH)
    assert registry.get(HB) is None  # never sent: simply forgotten


def test_subscribe_flow_pending_ok_live_stale() -> None:
    registry = SubscriptionRegistry([BTC, HB])
    registry.record_request("subscribe", [BTC, HB])
    assert entry(registry, BTC).answer is ServerAnswer.PENDING
    assert entry(registry, BTC).data is DataState.WAITING
    outcomes = registry.apply_result(ok("subscribe", BTC, HB))
    assert [(o.channel, o.success) for o in outcomes] == [(BTC, True), (HB, True)]
    assert registry.is_active(BTC) and registry.is_active(HB)
    assert registry.pending_requests() == 0
    registry.set_data(BTC, DataState.LIVE)
    registry.connection_lost()
    assert entry(registry, BTC).data is DataState.STALE
    assert entry(registry, BTC).answer is ServerAnswer.NONE
    assert entry(registry, HB).data is DataState.IDLE  # never had data: nothing stale to show


def test_failures_are_attributed_by_echoed_params_in_any_order() -> None:
    registry = SubscriptionRegistry([BTC, ETH])
    registry.record_request("subscribe", [BTC, ETH])
    nope = OperationResult(
        "subscribe",
        (
            fail("subscribe", ETH, "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"),
            ChannelResult("market_data", "BTCUSD", True),
        ),
    )
    outcomes = registry.apply_result(nope)
    assert outcomes[0].channel == ETH and not outcomes[0].success
    assert entry(registry, ETH).answer is ServerAnswer.ERROR
    assert entry(registry, ETH).error == "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
    assert entry(registry, ETH).data is DataState.ERROR
    assert registry.is_active(BTC)


def test_legacy_results_without_params_matched_by_position() -> None:
    registry = SubscriptionRegistry([BTC, ETH, BTC_X, HB])
    registry.record_request("subscribe", [BTC, ETH, BTC_X, HB])
    legacy = OperationResult(
        "subscribe",
        (
            ChannelResult("market_data", None, True, None, False),
            fail("subscribe", ETH, "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION", echo=False),
            ChannelResult("execution_data", None, True, None, False),
            ChannelResult("heartbeat", None, False, "UNKNOWN_CHANNEL", False),
        ),
    )
    outcomes = registry.apply_result(legacy)
    assert [o.channel for o in outcomes] == [BTC, ETH, BTC_X, HB]
    assert registry.is_active(BTC) and registry.is_active(BTC_X)
    assert entry(registry, ETH).error == "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
    assert entry(registry, HB).error == "UNKNOWN_CHANNEL"


def test_legacy_results_matched_to_the_oldest_request_of_that_action() -> None:
    registry = SubscriptionRegistry([BTC, ETH])
    registry.record_request("subscribe", [BTC])
    registry.record_request("subscribe", [ETH])
    first = registry.apply_result(ok("subscribe", BTC, echo=False))
    second = registry.apply_result(
        OperationResult("subscribe", (fail("subscribe", ETH, "X", echo=False),))
    )
    assert first[0].channel == BTC and second[0].channel == ETH
    assert registry.is_active(BTC) and not registry.is_active(ETH)


def test_no_effect_on_subscribe_means_active_and_on_unsubscribe_means_gone() -> None:
    registry = SubscriptionRegistry([BTC])
    registry.record_request("subscribe", [BTC])
    out = registry.apply_result(
        OperationResult("subscribe", (fail("subscribe", BTC, NO_EFFECT_ACTION),))
    )
    assert out[0].no_effect and registry.is_active(BTC)
    assert entry(registry, BTC).error is None
    registry.remove([BTC])
    registry.record_request("unsubscribe", [BTC])
    out = registry.apply_result(
        OperationResult("unsubscribe", (fail("unsubscribe", BTC, NO_EFFECT_ACTION),))
    )
    assert out[0].no_effect
    assert registry.get(BTC) is None


def test_resync_unsubscribe_then_subscribe_keeps_entry_pending() -> None:
    registry = SubscriptionRegistry([BTC])
    registry.record_request("subscribe", [BTC])
    registry.apply_result(ok("subscribe", BTC))
    registry.set_data(BTC, DataState.LIVE)
    registry.record_request("unsubscribe", [BTC])
    registry.record_request("subscribe", [BTC])
    assert entry(registry, BTC).pending == 2
    registry.apply_result(ok("unsubscribe", BTC))
    assert entry(registry, BTC).answer is ServerAnswer.PENDING
    assert entry(registry, BTC).desired
    registry.apply_result(ok("subscribe", BTC))
    assert registry.is_active(BTC)


def test_unsubscribe_removes_entry_after_answer() -> None:
    registry = SubscriptionRegistry([BTC, ETH])
    registry.record_request("subscribe", [BTC, ETH])
    registry.apply_result(ok("subscribe", BTC, ETH))
    assert registry.remove([ETH]) == (ETH,)
    registry.record_request("unsubscribe", [ETH])
    assert entry(registry, ETH).desired is False
    assert entry(registry, ETH).answer is ServerAnswer.PENDING
    registry.apply_result(ok("unsubscribe", ETH))
    assert registry.get(ETH) is None
    assert registry.desired() == (BTC,)


def test_subscription_list_reconciles_missing_and_unexpected() -> None:
    registry = SubscriptionRegistry([BTC, ETH, HB])
    registry.record_request("subscribe", [BTC, ETH, HB])
    registry.apply_result(ok("subscribe", BTC, ETH, HB))
    plan = registry.apply_list(SubscriptionList((HB, BTC, BTC_X)))
    assert plan.subscribe == (ETH,)
    assert plan.unsubscribe == (BTC_X,)
    assert entry(registry, BTC).listed is True
    assert entry(registry, ETH).listed is False


def test_subscription_list_ignores_entries_still_pending_and_failed() -> None:
    registry = SubscriptionRegistry([BTC, ETH])
    registry.record_request("subscribe", [BTC])
    registry.apply_result(
        OperationResult("subscribe", (fail("subscribe", BTC, "UNKNOWN_CHANNEL"),))
    )
    registry.record_request("subscribe", [ETH])
    plan = registry.apply_list(SubscriptionList(()))
    assert plan.subscribe == () and plan.unsubscribe == ()


def test_case_insensitive_echo() -> None:
    registry = SubscriptionRegistry([BTC])
    registry.record_request("subscribe", [BTC])
    outcomes = registry.apply_result(
        OperationResult("subscribe", (ChannelResult("market_data", "btcusd", True),))
    )
    assert outcomes[0].channel == BTC
    assert registry.is_active(BTC)


def test_unsolicited_answers_change_nothing() -> None:
    registry = SubscriptionRegistry([BTC])
    registry.record_request("subscribe", [BTC])
    registry.apply_result(ok("subscribe", BTC))
    before = registry.entries()
    forged = OperationResult("subscribe", (fail("subscribe", BTC, "UNKNOWN_CHANNEL"),))
    outcomes = registry.apply_result(forged)
    assert outcomes[0].unsolicited and outcomes[0].channel == BTC
    assert registry.apply_result(ok("subscribe", ETH))[0].unsolicited
    legacy = OperationResult(
        "unsubscribe", (ChannelResult("market_data", None, True, None, False),)
    )
    assert registry.apply_result(legacy)[0].unsolicited
    assert registry.entries() == before
    assert registry.is_active(BTC) and registry.get(ETH) is None


def test_version_changes_on_every_mutation() -> None:
    registry = SubscriptionRegistry()
    versions = [registry.version]
    registry.add([BTC])
    versions.append(registry.version)
    registry.record_request("subscribe", [BTC])
    versions.append(registry.version)
    registry.apply_result(ok("subscribe", BTC))
    versions.append(registry.version)
    assert versions == sorted(set(versions))
    assert registry.entries()[0].channel == BTC
