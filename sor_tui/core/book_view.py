"""Frozen book views: best-first levels, cumulative sizes, change marks, built incrementally.

Each (depth, group) a consumer asks for keeps what its previous view showed. A new view
reuses the previous level objects down to the first level that differs (only the levels
below a change get a new cumulative size), and a side that did not change at all is reused
whole, so a redraw after a small change costs far less than a rebuild.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Context, Decimal, getcontext, setcontext
from operator import itemgetter
from typing import Any

from sor_tui.core.book_levels import EXACT, SHOWS_NOTHING, WATCH_ALL, ZERO, Side
from sor_tui.core.fast_views import FAST_LEVELS, LevelSlots, make_level
from sor_tui.core.views import BookView, LevelChange, LevelView

TWO = Decimal(2)
BPS = Decimal(10_000)
BPS_QUANTUM = Decimal("0.01")
"""Spreads in basis points are shown to a hundredth of a basis point (half-even)."""
_BPS_CONTEXT = Context(prec=34)

_NONE = LevelChange.NONE
_NEW = LevelChange.NEW
_UP = LevelChange.UP
_DOWN = LevelChange.DOWN

Figures = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]
"""Best bid, best ask, spread, spread in basis points, mid."""
_new = object.__new__
Assembler = Callable[[tuple[LevelView, ...], tuple[LevelView, ...], Figures], BookView]


@dataclass(slots=True)
class SideState:
    """What one side of the previous view showed: its ranks, amounts and level objects."""

    ranks: list[int]  # best first; for grouped views, the ranks of the buckets
    amounts: Sequence[Decimal]
    levels: tuple[LevelView, ...]
    marks: list[int]  # positions of the levels with a change mark (usually 0-3)
    touches: int = -1  # the side's top_touches when read (-1: never trust, e.g. grouped)
    floor: int = SHOWS_NOTHING  # the lowest rank shown (ungrouped views only)


@dataclass(slots=True)
class ViewState:
    """The previous view of one (depth, group): the cache and the base for change marks."""

    version: int
    view: BookView
    bids: SideState
    asks: SideState
    best_keys: tuple[int | None, int | None]


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
            if previous.marks:
                previous.levels = unmarked(previous.levels, previous.marks)
                previous.marks = []
            previous.ranks = ranks
            previous.amounts = amounts
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
    fast, new, slots, frozen = FAST_LEVELS, _new, LevelSlots, LevelView
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
            level = new(slots)
            level.price = get_price(rank)
            level.amount = amount
            level.cumulative = cumulative
            level.change = change
            level.__class__ = frozen
        else:
            level = LevelView(get_price(rank), amount, cumulative, change)
        append(level)
    if previous is None:
        return SideState(ranks, amounts, tuple(out), marks)
    # The state is private (views hold only its immutable level tuples): update in place.
    previous.ranks = ranks
    previous.amounts = amounts
    previous.levels = tuple(out)
    previous.marks = marks
    return previous


def spread_figures(
    best_bid: Decimal | None, best_ask: Decimal | None
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Spread, spread in basis points of mid (to 0.01 bp) and mid; spread and mid are exact."""
    if best_bid is None or best_ask is None:
        return None, None, None
    spread = EXACT.subtract(best_ask, best_bid)
    mid = EXACT.divide(EXACT.add(best_bid, best_ask), TWO)
    bps = None
    if mid > 0:
        ratio = _BPS_CONTEXT.divide(_BPS_CONTEXT.multiply(spread, BPS), mid)
        bps = ratio.quantize(BPS_QUANTUM, context=_BPS_CONTEXT)
    return spread, bps, mid


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


class ViewCache:
    """The previous view of each (depth, group) of one book: cache and base for change marks."""

    __slots__ = ("_states", "ask_prices", "bid_prices")

    def __init__(self) -> None:
        self._states: dict[tuple[int, Decimal | None], ViewState] = {}
        self.bid_prices = SidePrices(1)
        self.ask_prices = SidePrices(-1)

    def rescale(self, multiplier: int, scale: int) -> None:
        """The book's keys were multiplied by ``multiplier`` (now units of ``10**-scale``)."""
        for state in self._states.values():
            for side in (state.bids, state.asks):
                side.ranks = [rank * multiplier for rank in side.ranks]
            bid, ask = state.best_keys
            state.best_keys = (
                None if bid is None else bid * multiplier,
                None if ask is None else ask * multiplier,
            )
        self.bid_prices.rescale(scale)
        self.ask_prices.rescale(scale)

    def cached(self, key: tuple[int, Decimal | None], version: int) -> BookView | None:
        """The previous view when the book has not changed since (with marks cleared)."""
        state = self._states.get(key)
        if state is None or state.version != version:
            return None
        if state.bids.marks or state.asks.marks:
            # Nothing changed since the previous call, so nothing is marked now.
            for side in (state.bids, state.asks):
                side.levels = unmarked(side.levels, side.marks)
                side.marks = []
            state.view = replace(state.view, bids=state.bids.levels, asks=state.asks.levels)
        return state.view

    @staticmethod
    def _side(
        side: Side,
        previous: SideState | None,
        depth: int,
        group_key: int | None,
        prices: SidePrices,
    ) -> SideState:
        if group_key is not None:
            ranks, amounts = side.grouped(depth, group_key)
            by_value = True
            known = 0
        elif previous is not None and previous.touches == side.top_touches:
            # Nothing at or above the lowest shown rank changed: the top is as it was.
            if previous.marks:
                # The state is private (views hold only its immutable level tuples).
                previous.levels = unmarked(previous.levels, previous.marks)
                previous.marks = []
            return previous
        else:
            # Side.top() and Side.unchanged_top(), inlined: this runs on every redraw.
            book_ranks = side.ranks
            ranks = book_ranks[-depth:] if depth > 0 else []
            ranks.reverse()
            levels = side.levels
            amounts = (
                itemgetter(*ranks)(levels)
                if len(ranks) > 1
                else tuple(map(levels.__getitem__, ranks))
            )
            by_value = False
            if previous is None or previous.touches < side.high_base:
                known = 0
            else:
                known = len(book_ranks) - bisect_right(book_ranks, side.high_touch)
            side.high_base = side.top_touches
            side.high_touch = WATCH_ALL
        # Cumulative sums must never round. The context is set only here, around the one
        # call that sums (localcontext() would copy it: about 1 µs, as much as ten sums).
        saved = getcontext()
        setcontext(EXACT)
        try:
            built = build_side(ranks, amounts, previous, prices, by_value, known)
        finally:
            setcontext(saved)
        if not by_value:
            built.touches = side.top_touches
            built.floor = ranks[-1] if ranks and len(ranks) == depth else side.floor_for(depth)
        return built

    def build(
        self,
        key: tuple[int, Decimal | None],
        version: int,
        sides: tuple[Side, Side],
        group_key: int | None,
        assemble: Assembler,
    ) -> BookView:
        """A new view of ``sides`` (bids, asks), marked against the previous one."""
        state = self._states.get(key)
        depth = key[0]
        if state is None:
            bids = self._side(sides[0], None, depth, group_key, self.bid_prices)
            asks = self._side(sides[1], None, depth, group_key, self.ask_prices)
        else:
            bids = self._side(sides[0], state.bids, depth, group_key, self.bid_prices)
            asks = self._side(sides[1], state.asks, depth, group_key, self.ask_prices)
        best_keys = (sides[0].best, sides[1].best)
        figures: Figures
        if state is not None and state.best_keys == best_keys:
            old = state.view
            figures = (old.best_bid, old.best_ask, old.spread, old.spread_bps, old.mid)
        else:
            bid_key, ask_key = best_keys
            best_bid = None if bid_key is None else self.bid_prices[bid_key]
            best_ask = None if ask_key is None else self.ask_prices[-ask_key]
            figures = (best_bid, best_ask, *spread_figures(best_bid, best_ask))
        view = assemble(bids.levels, asks.levels, figures)
        if state is None:
            self._states[key] = ViewState(version, view, bids, asks, best_keys)
            moved = group_key is None
        else:
            moved = group_key is None and (
                state.bids.floor != bids.floor or state.asks.floor != asks.floor
            )
            state.version = version
            state.view = view
            state.bids = bids
            state.asks = asks
            state.best_keys = best_keys
        if moved:
            # Each side watches from the lowest floor any ungrouped view relies on (only a
            # moved floor can change that minimum; a rescale resets it to WATCH_ALL).
            if len(self._states) == 1:
                sides[0].watch_floor = bids.floor
                sides[1].watch_floor = asks.floor
            else:
                states = self._states.values()
                sides[0].watch_floor = min(other.bids.floor for other in states)
                sides[1].watch_floor = min(other.asks.floor for other in states)
        return view
