"""Cumulative bid and ask depth around the mid, bucketed into chart columns (exact)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sor_tui.core.views import BookView, LevelView


@dataclass(frozen=True, slots=True)
class DepthCurve:
    """Per column, the cumulative size within reach of that column's price (exact).

    Columns left of the middle are bids (cumulative from the best bid down to the column's
    price), right of it asks; ``low`` and ``high`` are the prices of the outer edges.
    """

    bids: tuple[Decimal, ...]
    asks: tuple[Decimal, ...]
    low: Decimal
    high: Decimal
    mid: Decimal
    peak: Decimal


def _cumulative_at(levels: tuple[LevelView, ...], reached: list[bool]) -> Decimal:
    total = Decimal(0)
    for level, inside in zip(levels, reached, strict=True):
        if inside:
            total = level.cumulative
    return total


def depth_curve(view: BookView, columns: int) -> DepthCurve | None:
    """The view's depth in ``columns`` columns (half bids, half asks), or None if one-sided.

    The price range is symmetric around the mid and as wide as the farther of the deepest
    shown bid and ask, so both sides share one scale.
    """
    if columns < 2 or view.mid is None or not view.bids or not view.asks:
        return None
    mid = view.mid
    reach = max(mid - view.bids[-1].price, view.asks[-1].price - mid)
    if reach <= 0:
        return None
    half = columns // 2
    step = reach / half
    bids: list[Decimal] = []
    for column in range(half):  # leftmost column is the farthest bid
        price = mid - step * (half - column)
        bids.append(_cumulative_at(view.bids, [lv.price >= price for lv in view.bids]))
    asks: list[Decimal] = []
    for column in range(columns - half):
        price = mid + step * (column + 1)
        asks.append(_cumulative_at(view.asks, [lv.price <= price for lv in view.asks]))
    peak = max([*bids, *asks, Decimal(0)])
    return DepthCurve(tuple(bids), tuple(asks), mid - reach, mid + reach, mid, peak)
