"""Building frozen book views: best-first levels, cumulative sizes, grouping and change marks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from sor_tui.core.book_levels import EXACT, Side
from sor_tui.core.views import BookView, LevelChange, LevelView

ZERO = Decimal(0)
TWO = Decimal(2)
BPS = Decimal(10_000)
BPS_QUANTUM = Decimal("0.01")
"""Spreads in basis points are shown to a hundredth of a basis point (banker's rounding)."""

_NONE = LevelChange.NONE
_NEW = LevelChange.NEW
_UP = LevelChange.UP
_DOWN = LevelChange.DOWN


@dataclass(slots=True)
class MarkState:
    """What the previous view of one (depth, group) showed: the cache and the base for marks."""

    version: int
    scale: int
    view: BookView
    marked: bool
    bids: dict[int, Decimal]
    asks: dict[int, Decimal]


def grouped_pairs(
    side: Side, depth: int, descending: bool, group_key: int
) -> list[tuple[int, Decimal]]:
    """Aggregate levels into buckets of ``group_key`` (bids floor, asks ceil), best first."""
    result: list[tuple[int, Decimal]] = []
    if depth <= 0:
        return result
    levels = side.levels
    current: int | None = None
    total = ZERO
    for key in side.iter_best_first(descending):
        # Floor for bids and ceiling for asks keep every bucket on the conservative side.
        bucket = (
            (key // group_key) * group_key if descending else -((-key) // group_key) * group_key
        )
        if bucket != current:
            if current is not None:
                result.append((current, total))
                if len(result) == depth:
                    return result
            current = bucket
            total = ZERO
        total = EXACT.add(total, levels[key])
    if current is not None:
        result.append((current, total))
    return result


def side_levels(
    pairs: list[tuple[int, Decimal]],
    previous: dict[int, Decimal] | None,
    to_price: Callable[[int], Decimal],
) -> tuple[tuple[LevelView, ...], dict[int, Decimal], bool]:
    """Level views with cumulative sizes and marks against ``previous`` (None: no marks)."""
    out: list[LevelView] = []
    shown: dict[int, Decimal] = {}
    marked = False
    cumulative = ZERO
    for key, amount in pairs:
        cumulative = EXACT.add(cumulative, amount)
        change = _NONE
        if previous is not None:
            before = previous.get(key)
            if before is None:
                change = _NEW
            elif amount > before:
                change = _UP
            elif amount < before:
                change = _DOWN
            if change:
                marked = True
        shown[key] = amount
        out.append(LevelView(to_price(key), amount, cumulative, change))
    return tuple(out), shown, marked


def unmarked(levels: tuple[LevelView, ...]) -> tuple[LevelView, ...]:
    """The same levels with every change mark cleared."""
    return tuple(
        level if level.change is _NONE else LevelView(level.price, level.amount, level.cumulative)
        for level in levels
    )


def spread_figures(
    best_bid: Decimal | None, best_ask: Decimal | None
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Spread, spread in basis points of mid (to 0.01 bp) and mid, exact where possible."""
    if best_bid is None or best_ask is None:
        return None, None, None
    with localcontext(EXACT):
        spread = best_ask - best_bid
        mid = (best_bid + best_ask) / TWO
        bps = (spread * BPS / mid).quantize(BPS_QUANTUM) if mid > 0 else None
    return spread, bps, mid
