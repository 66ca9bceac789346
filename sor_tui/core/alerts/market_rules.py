"""Market rules: a price crossing, a wide spread, a large print, thin depth near the mid.

Each returns (holds, detail) for one market; ``None`` when the market gives no data for
the rule (no trusted book, no trade yet, levels that do not reach far enough to judge).
A book that is not live (syncing, stale, resyncing) is no data: its figures are not the
market's now.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sor_tui.core.alerts.rules import BPS, HYSTERESIS, PRINT_HOLD, AlertRule, RuleKind
from sor_tui.core.alerts.signals import MarketSignals
from sor_tui.core.views import BookStatus, BookView, LevelView

Result = tuple[bool | None, str]


def market_condition(
    rule: AlertRule, market: MarketSignals, active: bool, memory: dict[str, Any], now: float
) -> Result:
    """The condition of a market rule for one market."""
    kind = rule.kind
    if kind is RuleKind.PRICE_CROSS:
        return price_cross(rule, market, memory)
    if kind is RuleKind.SPREAD_WIDE:
        return spread_wide(rule, market, active)
    if kind is RuleKind.LARGE_PRINT:
        return large_print(rule, market, memory, now)
    return thin_depth(rule, market, active)


def price_cross(rule: AlertRule, market: MarketSignals, memory: dict[str, Any]) -> Result:
    """Holds once the price has crossed the rule's price and while it stays across.

    ``up`` needs a price below first, ``down`` one above; ``either`` fires when the price
    leaves the side it was on when the rule first saw it.
    """
    price = rule.price
    value = market.last_trade if rule.watch == "last" else _mid(market)
    if price is None or value is None:
        return None, ""
    above = value >= price
    below = value <= price
    detail = f"{rule.watch} {value} crossed {price}"
    if rule.direction == "up":
        if value < price:
            memory["armed"] = True
        return bool(memory.get("armed")) and above, detail
    if rule.direction == "down":
        if value > price:
            memory["armed"] = True
        return bool(memory.get("armed")) and below, detail
    start = memory.setdefault("start", "above" if value > price else "below")
    if value == price:
        return True, detail
    return ("above" if value > price else "below") != start, detail


def spread_wide(rule: AlertRule, market: MarketSignals, active: bool) -> Result:
    """Holds while the spread in basis points is wider than the rule's."""
    view = _live(market)
    limit = rule.bps
    if view is None or view.spread_bps is None or limit is None:
        return None, ""
    bound = limit * (1 - HYSTERESIS) if active else limit
    return view.spread_bps > bound, f"spread {view.spread_bps} bps"


def large_print(
    rule: AlertRule, market: MarketSignals, memory: dict[str, Any], now: float
) -> Result:
    """Holds for a few seconds after a print whose notional reaches the rule's amount."""
    limit = rule.amount
    if limit is None:
        return None, ""
    for price, amount in market.prints:
        notional = price * amount
        if notional >= limit:
            memory["hit_at"] = now
            memory["detail"] = f"print {amount} @ {price} = {notional} notional"
    hit_at = memory.get("hit_at")
    if hit_at is None:
        return False, ""
    return now - float(hit_at) < PRINT_HOLD, str(memory.get("detail", ""))


def thin_depth(rule: AlertRule, market: MarketSignals, active: bool) -> Result:
    """Holds while the size within the rule's bps of the mid is below its amount."""
    view = _live(market)
    if view is None or view.mid is None or rule.bps is None or rule.amount is None:
        return None, ""
    mid = view.mid
    reach = mid * rule.bps / BPS
    sides = []
    if rule.side in ("bid", "both"):
        sides.append(("bid", depth_within(view.bids, mid - reach, 1, view.bid_levels)))
    if rule.side in ("ask", "both"):
        sides.append(("ask", depth_within(view.asks, mid + reach, -1, view.ask_levels)))
    bound = rule.amount * (1 + HYSTERESIS) if active else rule.amount
    unknown = False
    for name, (depth, complete) in sides:
        if depth < bound and complete:
            return True, f"{name} depth {depth} within {rule.bps} bps"
        unknown = unknown or depth < bound
    return (None if unknown else False), ""


def depth_within(
    levels: tuple[LevelView, ...], limit: Decimal, sign: int, total_levels: int
) -> tuple[Decimal, bool]:
    """Size of the levels at or inside ``limit`` (bids: sign 1, asks: -1), and whether
    that is all of it (False when every shown level is inside but the side has more)."""
    size = Decimal(0)
    for level in levels:
        if (level.price - limit) * sign < 0:
            return size, True
        size = level.cumulative
    return size, len(levels) >= total_levels


def _live(market: MarketSignals) -> BookView | None:
    view = market.view
    return view if view is not None and view.status is BookStatus.LIVE else None


def _mid(market: MarketSignals) -> Decimal | None:
    view = _live(market)
    return None if view is None else view.mid
