"""One side of a book view: the previous view's state and the incremental rebuild of its levels.

Each (depth, group) a consumer asks for keeps what its previous view showed. A new view
reuses the previous level objects down to the first level that differs (only the levels
below a change get a new cumulative size), and the hot path (an ungrouped view after a few
updates) touches only the levels from the first touched rank down: copying or looking up
all shown levels would touch 25 cold objects per side for a change at the 24th level.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, getcontext, setcontext
from typing import Any

from sor_tui.core.book_levels import (
    EXACT,
    SHOWS_NOTHING,
    WATCH_ALL,
    ZERO,
    Side,
    decimal_amounts,
)
from sor_tui.core.fast_views import FAST_LEVELS, LevelSlots, make_level
from sor_tui.core.views import LevelChange, LevelView

_NONE = LevelChange.NONE
_NEW = LevelChange.NEW
_UP = LevelChange.UP
_DOWN = LevelChange.DOWN


class SidePrices(dict[int, Decimal]):
    """Decimal prices of one side's recently shown ranks (bounded; cleared on rescale)."""

    __slots__ = ("scale", "sign")

    LIMIT = 4096

    def __init__(self, sign: int) -> None:
        super().__init__()
        self.sign = sign
        self.scale = 0

    def rescale(self, scale: int) -> None:
        """Ranks now mean units of ``10**-scale``."""
        self.clear()
        self.scale = scale

    def __missing__(self, rank: int) -> Decimal:
        if len(self) >= self.LIMIT:
            self.clear()
        price = EXACT.scaleb(Decimal(rank * self.sign), -self.scale)
        self[rank] = price
        return price

    def price(self, key: int) -> Decimal:
        """The exact Decimal price of a price key (a rank times the side's sign)."""
        return self[key * self.sign]


@dataclass(slots=True)
class SideState:
    """What one side of the previous view showed: its ranks, amounts and level objects."""

    ranks: list[int]  # best first; for grouped views, the ranks of the buckets
    amounts: list[Decimal]
    levels: tuple[LevelView, ...]  # what the view shows
    marks: list[int]  # positions of the levels with a change mark (usually 0-3)
    level_list: list[LevelView]  # the same levels, updated in place by refresh_top
    touches: int = -1  # the side's top_touches when read (-1: never trust, e.g. grouped)
    floor: int = SHOWS_NOTHING  # the lowest rank shown (ungrouped views only)


def unmarked(
    levels: tuple[LevelView, ...], marks: list[int], limit: int | None = None
) -> tuple[LevelView, ...]:
    """``levels[:limit]`` with the change marks at positions ``marks`` cleared."""
    out = list(levels[:limit])
    end = len(out)
    for position in marks:
        if position < end:
            level = out[position]
            out[position] = make_level(level.price, level.amount, level.cumulative, _NONE)
    return tuple(out)


def clear_marks(state: SideState) -> None:
    """Clear the change marks of ``state``'s levels (nothing changed since its view)."""
    if state.marks:
        level_list = state.level_list
        level: Any
        for position in state.marks:
            old = level_list[position]
            if FAST_LEVELS:  # make_level inlined (this runs on most redraws)
                level = LevelSlots()
                level.price = old.price
                level.amount = old.amount
                level.cumulative = old.cumulative
                level.change = _NONE
                level.__class__ = LevelView
            else:
                level = LevelView(old.price, old.amount, old.cumulative, _NONE)
            level_list[position] = level
        state.levels = tuple(level_list)
        state.marks = []


def build_side(
    ranks: list[int],
    amounts: Sequence[Decimal],
    previous: SideState | None,
    prices: SidePrices,
    by_value: bool = False,
    known: int = 0,
) -> SideState:
    """Level views for best-first ``ranks``/``amounts``, marked against ``previous``.

    ``known``: how many best levels are known to equal ``previous``'s (not compared again).

    Only the levels from the first difference down are new objects (their cumulative sizes
    changed); the ones above are reused. Ungrouped amounts are compared by identity (an
    untouched level keeps its Decimal object); ``by_value`` compares grouped sums, which
    are new objects on every read. Call it with ``EXACT`` as the current decimal context:
    cumulative sums must never round.
    """
    old_ranks: list[int] = []
    old_amounts: Sequence[Decimal] = ()
    start = 0
    if previous is not None:
        old_ranks = previous.ranks
        old_amounts = previous.amounts
        limit = min(len(ranks), len(old_ranks))
        start = min(known, limit)
        # Plain loops: for 25 levels they beat any C-level search's set-up cost.
        if by_value:
            while start < limit and ranks[start] == old_ranks[start]:
                if amounts[start] != old_amounts[start]:
                    break
                start += 1
        else:
            while start < limit and ranks[start] == old_ranks[start]:
                if amounts[start] is not old_amounts[start]:
                    break
                start += 1
        if start == limit and len(ranks) == len(old_ranks):
            clear_marks(previous)
            previous.ranks = ranks
            previous.amounts = list(amounts)
            return previous
        marks = previous.marks
        head = unmarked(previous.levels, marks, start) if marks else previous.levels[:start]
        out: list[Any] = list(head)
        cumulative = head[-1].cumulative if head else ZERO
    else:
        out = []
        cumulative = ZERO
    # One pass below the first difference: walk the previous view's ranks alongside (both
    # best first, so descending) for the change marks, sum, and build each level.
    # Calls are inlined on purpose: this runs for every shown level below a change.
    marks = []
    first = previous is None  # the first view of this (depth, group) marks nothing
    # The previous ranks from ``start``, ending in a sentinel below every rank.
    old_tail = old_ranks[start:]
    old_tail.append(WATCH_ALL)
    old_tail_amounts = old_amounts[start:]
    position = 0
    old_rank = old_tail[0]
    get_price = prices.__getitem__
    append = out.append
    fast, slots, frozen = FAST_LEVELS, LevelSlots, LevelView
    level: Any
    for index in range(start, len(ranks)):
        rank = ranks[index]
        amount = amounts[index]
        while old_rank > rank:
            position += 1
            old_rank = old_tail[position]
        if old_rank == rank:
            prior = old_tail_amounts[position]
            if prior is amount or prior == amount:
                change = _NONE
            else:
                change = _UP if amount > prior else _DOWN
                marks.append(index)
        elif first:
            change = _NONE
        else:
            change = _NEW
            marks.append(index)
        cumulative = cumulative + amount
        if fast:
            level = slots()
            level.price = get_price(rank)
            level.amount = amount
            level.cumulative = cumulative
            level.change = change
            level.__class__ = frozen
        else:
            level = LevelView(get_price(rank), amount, cumulative, change)
        append(level)
    if previous is None:
        return SideState(ranks, list(amounts), tuple(out), marks, out)
    # The state is private (views hold only its immutable level tuples): update in place.
    previous.ranks = ranks
    previous.amounts = list(amounts)
    previous.levels = tuple(out)
    previous.level_list = out
    previous.marks = marks
    return previous


def refresh_top(side: Side, state: SideState, depth: int, prices: SidePrices) -> None:
    """Bring an ungrouped view's state of ``side`` up to its best ``depth`` levels, in place.

    Levels above the best rank touched since the state was read are known to be unchanged
    (``Side.high_touch``); only the levels from the first difference down are looked up,
    compared and rebuilt, and the state's lists are updated by slice assignment so the
    unchanged best levels are not copied. Cumulative sums are exact.
    """
    book_ranks = side.ranks
    size = len(book_ranks)
    if state.touches < side.high_base:
        known = 0  # another view of this side restarted the record
    else:
        known = size - bisect_right(book_ranks, side.high_touch)
    side.high_base = side.top_touches
    side.high_touch = WATCH_ALL
    shown = size if size < depth else depth
    old_ranks = state.ranks
    old_amounts = state.amounts
    old_shown = len(old_ranks)
    common = shown if shown < old_shown else old_shown
    if known > common:
        known = common
    # The shown levels from ``known`` down, best first.
    tail_ranks = book_ranks[size - shown : size - known]
    tail_ranks.reverse()
    levels = side.levels
    tail_amounts = list(map(levels.__getitem__, tail_ranks))
    if side.compact and int in map(type, tail_amounts):
        decimal_amounts(levels, tail_ranks, tail_amounts)
    limit = common - known
    skip = 0
    while skip < limit and tail_ranks[skip] == old_ranks[known + skip]:
        if tail_amounts[skip] is not old_amounts[known + skip]:
            break
        skip += 1
    start = known + skip
    level_list = state.level_list
    marks = state.marks
    level: Any
    if marks:
        # The previous view's marks are cleared (those at or below ``start`` are rebuilt).
        rebuilt = False
        for position in marks:
            if position < start:
                marked = level_list[position]
                if FAST_LEVELS:  # make_level inlined
                    level = LevelSlots()
                    level.price = marked.price
                    level.amount = marked.amount
                    level.cumulative = marked.cumulative
                    level.change = _NONE
                    level.__class__ = LevelView
                else:
                    level = LevelView(marked.price, marked.amount, marked.cumulative, _NONE)
                level_list[position] = level
            else:
                rebuilt = True
        if not rebuilt and start == shown == old_shown:
            state.levels = tuple(level_list)
            state.marks = []
            return
    elif start == shown == old_shown:
        return  # touched, but nothing shown changed (say, a delete of an absent level)
    # One pass below the first difference: walk the previous view's ranks alongside (both
    # best first, so descending) for the change marks, sum, and build each level.
    # Calls are inlined on purpose: this runs for every shown level below a change.
    new_marks: list[int] = []
    # The previous view's lists are read in place from ``start`` (the slice assignments
    # below overwrite them), its ranks ending in a sentinel below every rank.
    old_ranks.append(WATCH_ALL)
    position = start
    old_rank = old_ranks[start]
    cumulative = level_list[start - 1].cumulative if start else ZERO
    built: list[Any] = []
    append = built.append
    # Cumulative sums must never round: EXACT becomes the current context for the loop
    # (localcontext() would copy it, which costs as much as ten sums).
    saved = getcontext()
    setcontext(EXACT)
    try:
        for index in range(skip, len(tail_ranks)):
            rank = tail_ranks[index]
            amount = tail_amounts[index]
            while old_rank > rank:
                position += 1
                old_rank = old_ranks[position]
            if old_rank == rank:
                # The price of a level shown before is read from its old view (no lookup).
                price = level_list[position].price
                prior = old_amounts[position]
                if prior is amount or prior == amount:
                    change = _NONE
                else:
                    change = _UP if amount > prior else _DOWN
                    new_marks.append(known + index)
            else:
                price = prices[rank]
                change = _NEW
                new_marks.append(known + index)
            cumulative = cumulative + amount
            if FAST_LEVELS:
                level = LevelSlots()
                level.price = price
                level.amount = amount
                level.cumulative = cumulative
                level.change = change
                level.__class__ = LevelView
            else:
                level = LevelView(price, amount, cumulative, change)
            append(level)
    except BaseException:
        old_ranks.pop()  # the sentinel
        raise
    finally:
        setcontext(saved)
    old_ranks[known:] = tail_ranks
    old_amounts[known:] = tail_amounts
    level_list[start:] = built
    state.levels = tuple(level_list)
    state.marks = new_marks
