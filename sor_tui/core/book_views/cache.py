"""The views of one book: the previous view of each (depth, group) read, kept for a while.

Each (depth, group) a consumer reads keeps what its previous view showed, as the cache
(an unchanged book returns the same view) and as the base of the change marks. A side
whose shown top did not change is reused whole; a touched one is refreshed from the best
touched rank down. View states are bounded: one not read within ``KEEP_READS`` reads of
the book's views is dropped, so a one-off read (a full-depth copy at recording start)
neither stays in memory nor keeps every later view off its shortcut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Context, Decimal

from sor_tui.core.book_levels import EXACT, Side
from sor_tui.core.book_views.sides import (
    WATCH_ALL,
    SidePrices,
    SideState,
    SideWatch,
    build_side,
    clear_marks,
    floor_of,
    grouped_levels,
    refresh_side,
    top_levels,
)
from sor_tui.core.views import BookView, LevelView

TWO = Decimal(2)
BPS = Decimal(10_000)
BPS_QUANTUM = Decimal("0.01")
"""Spreads in basis points are shown to a hundredth of a basis point (half-even)."""
_BPS_CONTEXT = Context(prec=34)
KEEP_READS = 64
"""A view state not read within this many reads of the book's views is dropped. Stale
states are looked for at most once per ``KEEP_READS`` reads, and only by a read that
re-reads levels anyway (a stale state costs nothing until it makes a view re-read)."""

Figures = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]
"""Best bid, best ask, spread, spread in basis points, mid."""
Assembler = Callable[[tuple[LevelView, ...], tuple[LevelView, ...], Figures], BookView]


@dataclass(slots=True)
class ViewState:
    """The previous view of one (depth, group): the cache and the base for change marks."""

    version: int
    view: BookView
    bids: SideState
    asks: SideState
    best_keys: tuple[int | None, int | None]
    figures: Figures
    last_read: int


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


def _unchanged(state: ViewState) -> BookView:
    """The view of a book that did not change since ``state``'s read (its marks cleared)."""
    bids, asks = state.bids, state.asks
    if bids.marks or asks.marks:
        clear_marks(bids)
        clear_marks(asks)
        state.view = replace(state.view, bids=bids.levels, asks=asks.levels)
    return state.view


class ViewCache:
    """The view states of one book, its shown prices and the watches of its two sides."""

    __slots__ = (
        "_grouped",
        "_next_prune",
        "_plain",
        "_reads",
        "ask_prices",
        "ask_watch",
        "bid_prices",
        "bid_watch",
        "side_reads",
    )

    def __init__(self) -> None:
        self._plain: dict[int, ViewState] = {}  # ungrouped views, by depth
        self._grouped: dict[tuple[int, Decimal], ViewState] = {}
        self._reads = 0
        self._next_prune = KEEP_READS
        self.side_reads = 0  # how many times a view read a side's levels (build or refresh)
        self.bid_prices = SidePrices(1)
        self.ask_prices = SidePrices(-1)
        self.bid_watch = SideWatch()
        self.ask_watch = SideWatch()

    @property
    def kept(self) -> int:
        """How many view states are kept."""
        return len(self._plain) + len(self._grouped)

    def touch_all(self) -> None:
        """Both sides may have changed anywhere (the book was cleared)."""
        self.bid_watch.touch_all()
        self.ask_watch.touch_all()

    def rescale(self, multiplier: int, scale: int) -> None:
        """The book's keys were multiplied by ``multiplier`` (now units of ``10**-scale``)."""
        for state in (*self._plain.values(), *self._grouped.values()):
            for side in (state.bids, state.asks):
                side.ranks = [rank * multiplier for rank in side.ranks]
            bid, ask = state.best_keys
            state.best_keys = (
                None if bid is None else bid * multiplier,
                None if ask is None else ask * multiplier,
            )
        self.bid_prices.rescale(scale)
        self.ask_prices.rescale(scale)
        for watch in (self.bid_watch, self.ask_watch):
            watch.floor = WATCH_ALL
            watch.touch_all()

    def plain(
        self, depth: int, version: int, bid_side: Side, ask_side: Side, assemble: Assembler
    ) -> BookView:
        """The ungrouped view of ``depth`` at ``version``, marked against the previous one."""
        reads = self._reads = self._reads + 1
        state = self._plain.get(depth)
        if state is None:
            return self._first(depth, version, bid_side, ask_side, assemble, reads)
        state.last_read = reads
        if state.version == version:
            return _unchanged(state)
        bids = state.bids
        asks = state.asks
        moved = False
        watch = self.bid_watch
        if bids.touches != watch.touches:
            moved = refresh_side(bid_side, bids, depth, self.bid_prices, watch)
            self.side_reads += 1
            if reads >= self._next_prune:
                moved = self._prune(reads) or moved
        elif bids.marks:
            clear_marks(bids)
        watch = self.ask_watch
        if asks.touches != watch.touches:
            moved = refresh_side(ask_side, asks, depth, self.ask_prices, watch) or moved
            self.side_reads += 1
            if reads >= self._next_prune:
                moved = self._prune(reads) or moved
        elif asks.marks:
            clear_marks(asks)
        bid_key = bid_side.best
        ask_key = ask_side.best
        best_keys = state.best_keys
        if best_keys[0] != bid_key or best_keys[1] != ask_key:
            state.best_keys = (bid_key, ask_key)
            state.figures = self._figures(bid_key, ask_key)
        view = state.view = assemble(bids.levels, asks.levels, state.figures)
        state.version = version
        if moved:
            self._watch()
        return view

    def grouped(
        self,
        depth: int,
        group: Decimal,
        version: int,
        sides: tuple[Side, Side],
        group_key_of: Callable[[Decimal], int],
        assemble: Assembler,
    ) -> BookView:
        """The view of ``depth`` buckets of ``group`` at ``version``, marked like ``plain``."""
        reads = self._reads = self._reads + 1
        key = (depth, group)
        state = self._grouped.get(key)
        if state is not None:
            state.last_read = reads
            if state.version == version:
                return _unchanged(state)
        if reads >= self._next_prune and self._prune(reads):
            self._watch()
        group_key = group_key_of(group)
        bid_ranks, bid_amounts = grouped_levels(sides[0], depth, group_key)
        ask_ranks, ask_amounts = grouped_levels(sides[1], depth, group_key)
        self.side_reads += 2
        best_keys = (sides[0].best, sides[1].best)
        if state is None:
            bids = build_side(bid_ranks, bid_amounts, None, self.bid_prices)
            asks = build_side(ask_ranks, ask_amounts, None, self.ask_prices)
            figures = self._figures(*best_keys)
            view = assemble(bids.levels, asks.levels, figures)
            self._grouped[key] = ViewState(version, view, bids, asks, best_keys, figures, reads)
            return view
        bids = build_side(bid_ranks, bid_amounts, state.bids, self.bid_prices)
        asks = build_side(ask_ranks, ask_amounts, state.asks, self.ask_prices)
        if state.best_keys != best_keys:
            state.best_keys = best_keys
            state.figures = self._figures(*best_keys)
        view = state.view = assemble(bids.levels, asks.levels, state.figures)
        state.version = version
        return view

    def _first(
        self,
        depth: int,
        version: int,
        bid_side: Side,
        ask_side: Side,
        assemble: Assembler,
        reads: int,
    ) -> BookView:
        bids = self._first_side(bid_side, depth, self.bid_prices, self.bid_watch)
        asks = self._first_side(ask_side, depth, self.ask_prices, self.ask_watch)
        self.side_reads += 2
        best_keys = (bid_side.best, ask_side.best)
        figures = self._figures(*best_keys)
        view = assemble(bids.levels, asks.levels, figures)
        self._plain[depth] = ViewState(version, view, bids, asks, best_keys, figures, reads)
        if reads >= self._next_prune:
            self._prune(reads)
        self._watch()
        return view

    @staticmethod
    def _first_side(side: Side, depth: int, prices: SidePrices, watch: SideWatch) -> SideState:
        ranks, amounts = top_levels(side, depth)
        # The levels are read now: the touch record restarts (other views notice it).
        watch.high_base = watch.touches
        watch.high_touch = WATCH_ALL
        built = build_side(ranks, amounts, None, prices)
        built.touches = watch.touches
        built.floor = floor_of(side, depth)
        return built

    def _figures(self, bid_key: int | None, ask_key: int | None) -> Figures:
        best_bid = None if bid_key is None else self.bid_prices[bid_key]
        best_ask = None if ask_key is None else self.ask_prices[-ask_key]
        return (best_bid, best_ask, *spread_figures(best_bid, best_ask))

    def _watch(self) -> None:
        # Each side watches from the lowest floor any ungrouped view relies on (only a
        # moved floor, a new or a dropped view can change that minimum).
        states = self._plain.values()
        if not states:
            self.bid_watch.floor = self.ask_watch.floor = WATCH_ALL
        elif len(states) == 1:
            (state,) = states
            self.bid_watch.floor = state.bids.floor
            self.ask_watch.floor = state.asks.floor
        else:
            self.bid_watch.floor = min(other.bids.floor for other in states)
            self.ask_watch.floor = min(other.asks.floor for other in states)

    def _prune(self, reads: int) -> bool:
        """Drop the view states not read within ``KEEP_READS`` reads; True if an ungrouped
        one went (the caller recomputes the watch floors)."""
        self._next_prune = reads + KEEP_READS
        oldest = reads - KEEP_READS
        stale = [depth for depth, state in self._plain.items() if state.last_read <= oldest]
        for depth in stale:
            del self._plain[depth]
        for key in [key for key, state in self._grouped.items() if state.last_read <= oldest]:
            del self._grouped[key]
        return bool(stale)
