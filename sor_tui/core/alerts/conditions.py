"""Whether a rule holds now: the feed-health conditions, and dispatch to the market ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sor_tui.core.alerts.market_rules import market_condition
from sor_tui.core.alerts.rules import (
    HYSTERESIS,
    MARKET_KINDS,
    SILENT_FACTOR,
    AlertRule,
    RuleKind,
)
from sor_tui.core.alerts.signals import DeskSignals, MarketSignals


def condition(
    rule: AlertRule,
    signals: DeskSignals,
    subject: str,
    active: bool,
    memory: dict[str, Any],
    now: float,
) -> tuple[bool | None, str]:
    """Whether the rule holds for ``subject`` now, with a short detail for the alert."""
    kind = rule.kind
    if kind is RuleKind.DISCONNECTED:
        if signals.connected is None:
            return None, ""
        return not signals.connected, "the feed is not connected"
    if kind is RuleKind.TOKEN_FAILING:
        error = signals.token_error
        return error is not None, f"token request failing: {error}" if error else ""
    if kind is RuleKind.RECORDING_FAILED:
        error = signals.recording_error
        return error is not None, error or ""
    if kind is RuleKind.CLOCK_OFFSET:
        return _clock_offset(rule, signals.clock_offset_ms, active)
    market = signals.markets.get(subject)
    if market is None:
        return None, ""
    if kind in MARKET_KINDS:
        return market_condition(rule, market, active, memory, now)
    return _market_health(rule, market, signals, now)


def _clock_offset(
    rule: AlertRule, offset_ms: Decimal | None, active: bool
) -> tuple[bool | None, str]:
    if offset_ms is None or rule.amount is None:
        return None, ""
    bound = rule.amount * (1 - HYSTERESIS) if active else rule.amount
    return abs(offset_ms) > bound, f"server clock offset {offset_ms} ms"


def _market_health(
    rule: AlertRule, market: MarketSignals, signals: DeskSignals, now: float
) -> tuple[bool | None, str]:
    kind = rule.kind
    if kind is RuleKind.SUBSCRIPTION_REFUSED:
        return market.refused is not None, f"subscription refused: {market.refused}"
    if kind is RuleKind.RESYNC_STORM:
        recent = sum(1 for at in market.resyncs if now - at <= rule.window)
        return recent > rule.count, f"{recent} resyncs in {rule.window / 60:g} min"
    if not signals.connected:
        return False, ""  # the disconnect rule speaks for a lost connection
    if kind is RuleKind.UNTRUSTED:
        untrusted = market.untrusted_for is not None
        status = market.view.status.value if market.view is not None else "no book"
        return untrusted, f"book {status} while connected"
    if kind is RuleKind.MARKET_SILENT:
        if market.silent_for is None:
            return False, ""
        limit = silence_limit(rule.seconds, market.typical_interval)
        return market.silent_for >= limit, f"no update for {market.silent_for:.0f} s"
    return None, ""


def silence_limit(floor: float, typical_interval: float | None) -> float:
    """Seconds of silence that count as a stall: the rule's floor or the market's own pace."""
    if typical_interval is None:
        return floor
    return max(floor, SILENT_FACTOR * typical_interval)
