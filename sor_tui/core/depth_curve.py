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


def _cumulative(levels: tuple[LevelView, ...], edges: list[Decimal], bids: bool) -> list[Decimal]:
    """Per edge price (moving away from the mid), the cumulative size of the levels within it.

    Levels are best-first and edges move away from the mid, so one pass over both suffices.
    """
    totals: list[Decimal] = []
    index, total = 0, Decimal(0)
    for edge in edges:
        while index < len(levels) and (
            levels[index].price >= edge if bids else levels[index].price <= edge
        ):
            total = levels[index].cumulative
            index += 1
        totals.append(total)
    return totals


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
    bid_edges = [mid - step * (column + 1) for column in range(half)]
    bids = _cumulative(view.bids, bid_edges, bids=True)[::-1]  # leftmost: the farthest bid
    ask_edges = [mid + step * (column + 1) for column in range(columns - half)]
    asks = _cumulative(view.asks, ask_edges, bids=False)
    peak = max([*bids, *asks, Decimal(0)])
    return DepthCurve(tuple(bids), tuple(asks), mid - reach, mid + reach, mid, peak)
