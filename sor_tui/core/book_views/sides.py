"""One side of a book view: what the previous view showed, and its incremental rebuild.

A new view reuses the previous level objects down to the first level that differs (only
the levels below a change get a new cumulative size). The usual redraw (an ungrouped view
after a few updates) reads only the levels from the best touched rank down: the side's
``SideWatch`` says which ranks were touched since the view last read it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, getcontext, localcontext, setcontext
from typing import Any

from sor_tui.core.book_levels import EXACT, ZERO, Side, decimal_amount, decimal_amounts
from sor_tui.core.bounded import BoundedCache
from sor_tui.core.frozen import twin
from sor_tui.core.views import LevelChange, LevelView

_NONE = LevelChange.NONE
_NEW = LevelChange.NEW
_UP = LevelChange.UP
_DOWN = LevelChange.DOWN
LEVEL_TWIN = twin(LevelView)
WATCH_ALL = -(10**200)
"""A watch floor below every rank: every change counts as a change of the shown top."""
SHOWS_NOTHING = 10**200
"""The floor of a view that shows no level: no change can affect it."""


def floor_of(side: Side, depth: int) -> int:
    """The lowest rank a view of ``depth`` levels of ``side`` shows (changes below are unseen)."""
    if depth <= 0:
        return SHOWS_NOTHING
    ranks = side.ranks
    return ranks[-depth] if len(ranks) >= depth else WATCH_ALL


class SideWatch:
    """The views' record of changes to one side's shown top (updated by ``Side.apply``).

    Every change at a rank >= ``floor`` (a lower bound of every ungrouped view's lowest
    shown rank) counts as a touch. ``high_touch`` is the best rank touched since
    ``touches`` was ``high_base``: every level above it is unchanged since then, so a view
    need not compare them.
    """

    __slots__ = ("floor", "high_base", "high_touch", "touches")

    def __init__(self) -> None:
        self.floor = WATCH_ALL
        self.touches = 0
        self.high_touch = SHOWS_NOTHING
        self.high_base = 0

    def touch_all(self) -> None:
        """Anything on the side may have changed (cleared, loaded, rescaled)."""
        self.touches += 1
        self.high_touch = SHOWS_NOTHING


class SidePrices(BoundedCache[int, Decimal]):
    """Decimal prices of one side's recently shown ranks (bounded; emptied on rescale)."""

    __slots__ = ("scale", "sign")

    def __init__(self, sign: int) -> None:
        super().__init__(4096)
        self.sign = sign
        self.scale = 0

    def rescale(self, scale: int) -> None:
        """Ranks now mean units of ``10**-scale``."""
        self.clear()
        self.scale = scale

    def __missing__(self, rank: int) -> Decimal:
        return self.put(rank, EXACT.scaleb(Decimal(rank * self.sign), -self.scale))


@dataclass(slots=True)
class SideState:
    """What one side of the previous view showed: its ranks, amounts and level objects."""

    ranks: list[int]  # best first; for grouped views, the ranks of the buckets
    amounts: list[Decimal]
    levels: tuple[LevelView, ...]  # what the view shows
    marks: list[int]  # positions of the levels with a change mark (usually 0-3)
    level_list: list[LevelView]  # the same levels, updated in place
    touches: int = -1  # the watch's touches when read (-1: never trust, e.g. grouped)
    floor: int = SHOWS_NOTHING  # the lowest rank shown (ungrouped views only)


def top_levels(side: Side, depth: int) -> tuple[list[int], tuple[Decimal, ...]]:
    """The ranks and amounts of ``side``'s best ``depth`` levels, best first."""
    ranks = side.ranks[-depth:] if depth > 0 else []
    ranks.reverse()
    amounts = list(map(side.levels.__getitem__, ranks))
    if side.compact and int in map(type, amounts):
        decimal_amounts(side.levels, ranks, amounts)
    return ranks, tuple(amounts)


def grouped_levels(side: Side, depth: int, group_key: int) -> tuple[list[int], list[Decimal]]:
    """``side``'s levels summed into buckets of ``group_key`` (bids floor, asks ceil), best first.

    Returns the bucket ranks (a bucket's price times the side's sign) and their exact sums.
    """
    buckets: list[int] = []
    totals: list[Decimal] = []
    if depth <= 0:
        return buckets, totals
    levels = side.levels
    current: int | None = None
    total = ZERO
    with localcontext(EXACT):  # bucket sums must never round
        for rank in reversed(side.ranks):
            # Flooring the rank floors a bid and ceils an ask (rank = -key): every bucket
            # stays on the conservative side of its levels.
            bucket = rank // group_key * group_key
            if bucket != current:
                if current is not None:
                    buckets.append(current)
                    totals.append(total)
                    if len(buckets) == depth:
                        return buckets, totals
                current = bucket
                total = ZERO
            amount: Any = levels[rank]
            if type(amount) is int:  # a compact deep level (not stored back: grouping reads all)
                amount = decimal_amount(amount)
            total = total + amount
    if current is not None:
        buckets.append(current)
        totals.append(total)
    return buckets, totals


def unmark(level_list: list[LevelView], positions: list[int], below: int) -> None:
    """Clear the change marks at ``positions`` of ``level_list`` (those < ``below``), in place."""
    level: Any
    for position in positions:
        if position < below:
            old = level_list[position]
            level = LEVEL_TWIN()
            level.price = old.price
            level.amount = old.amount
            level.cumulative = old.cumulative
            level.change = _NONE
            level.__class__ = LevelView
            level_list[position] = level


def clear_marks(state: SideState) -> None:
    """Clear the change marks of ``state``'s levels (nothing changed since its view)."""
    if state.marks:
        unmark(state.level_list, state.marks, len(state.level_list))
        state.levels = tuple(state.level_list)
        state.marks = []


def build_side(
    ranks: list[int],
    amounts: Sequence[Decimal],
    previous: SideState | None,
    prices: SidePrices,
) -> SideState:
    """Level views for best-first ``ranks``/``amounts``, marked against ``previous``.

    A first view (no ``previous``) marks nothing. Amounts are compared by value (grouped
    sums are new objects on every read); levels above the first difference are reused.
    """
    if previous is None:
        built, _ = levels_below(ranks, amounts, 0, 0, [WATCH_ALL], [], [], 0, ZERO, prices, _NONE)
        return SideState(ranks, list(amounts), tuple(built), [], built)
    old_ranks = previous.ranks
    old_amounts = previous.amounts
    limit = min(len(ranks), len(old_ranks))
    start = 0
    # A plain loop: for 25 levels it beats any C-level search's set-up cost.
    while start < limit and ranks[start] == old_ranks[start]:
        if amounts[start] != old_amounts[start]:
            break
        start += 1
    level_list = previous.level_list
    if previous.marks:
        unmark(level_list, previous.marks, start)
    if start == limit and len(ranks) == len(old_ranks):
        built = level_list
        marks: list[int] = []
    else:
        cumulative = level_list[start - 1].cumulative if start else ZERO
        old_ranks.append(WATCH_ALL)
        tail, marks = levels_below(
            ranks, amounts, start, 0, old_ranks, old_amounts, level_list, start, cumulative, prices
        )
        built = level_list[:start] + tail
    previous.ranks = ranks
    previous.amounts = list(amounts)
    previous.level_list = built
    previous.levels = tuple(built)
    previous.marks = marks
    return previous


def levels_below(
    ranks: Sequence[int],
    amounts: Sequence[Decimal],
    begin: int,
    offset: int,
    old_ranks: list[int],
    old_amounts: Sequence[Decimal],
    old_levels: Sequence[LevelView],
    old_begin: int,
    cumulative: Decimal,
    prices: SidePrices,
    new: LevelChange = _NEW,
) -> tuple[list[Any], list[int]]:
    """Build the levels of ``ranks[begin:]``, marked against the previous view's.

    The previous view's ranks (from ``old_begin``, ending in a sentinel below every rank)
    are walked alongside, both best first: a rank shown before keeps its price object and
    is marked by its amount's change; a new rank is marked ``new`` (a first view passes
    ``LevelChange.NONE``: it marks nothing). Marks are positions
    ``offset + index``. Cumulative sums continue from ``cumulative`` and are exact. This is
    the one loop that builds view levels; calls are inlined because it runs per level.
    """
    marks: list[int] = []
    built: list[Any] = []
    append = built.append
    position = old_begin
    old_rank = old_ranks[position]
    make, frozen = LEVEL_TWIN, LevelView
    # EXACT becomes the current context for the loop (localcontext() would copy it).
    saved = getcontext()
    setcontext(EXACT)
    try:
        for index in range(begin, len(ranks)):
            rank = ranks[index]
            amount = amounts[index]
            while old_rank > rank:
                position += 1
                old_rank = old_ranks[position]
            if old_rank == rank:
                price = old_levels[position].price
                prior = old_amounts[position]
                if prior is amount or prior == amount:
                    change = _NONE
                else:
                    change = _UP if amount > prior else _DOWN
                    marks.append(offset + index)
            else:
                price = prices[rank]
                change = new
                if new:
                    marks.append(offset + index)
            cumulative = cumulative + amount
            level = make()
            level.price = price
            level.amount = amount
            level.cumulative = cumulative
            level.change = change
            level.__class__ = frozen
            append(level)
    finally:
        setcontext(saved)
        old_ranks.pop()  # the sentinel
    return built, marks


def refresh_side(
    side: Side, state: SideState, depth: int, prices: SidePrices, watch: SideWatch
) -> bool:
    """Bring an ungrouped view's state of a touched ``side`` up to date; True if its floor moved.

    Levels above the best rank touched since the state was read are known to be unchanged
    (``watch.high_touch``); only the levels from the first difference down are looked up,
    compared and rebuilt, and the state's lists are updated by slice assignment so the
    unchanged best levels are not copied.
    """
    book_ranks = side.ranks
    size = len(book_ranks)
    if state.touches < watch.high_base:
        known = 0  # another view of this side restarted the record
    else:
        known = size - bisect_right(book_ranks, watch.high_touch)
    watch.high_base = state.touches = watch.touches
    watch.high_touch = WATCH_ALL
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
    if state.marks:
        # The previous view's marks are cleared (those at or below ``start`` are rebuilt).
        unmark(level_list, state.marks, start)
        if start == shown == old_shown:
            state.levels = tuple(level_list)
            state.marks = []
            return False  # nothing shown changed: neither did the floor
    elif start == shown == old_shown:
        return False  # touched, but nothing shown changed (say, a delete of an absent level)
    old_ranks.append(WATCH_ALL)
    cumulative = level_list[start - 1].cumulative if start else ZERO
    built, marks = levels_below(
        tail_ranks,
        tail_amounts,
        skip,
        known,
        old_ranks,
        old_amounts,
        level_list,
        start,
        cumulative,
        prices,
    )
    old_ranks[known:] = tail_ranks
    old_amounts[known:] = tail_amounts
    level_list[start:] = built
    state.levels = tuple(level_list)
    state.marks = marks
    floor = state.floor
    state.floor = old_ranks[-1] if old_ranks and len(old_ranks) == depth else floor_of(side, depth)
    return state.floor != floor
