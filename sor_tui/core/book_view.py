"""Frozen book views: best-first levels, cumulative sizes, change marks, built incrementally.

Each (depth, group) a consumer asks for keeps what its previous view showed. A new view
reuses the previous level objects down to the first level that differs (only the levels
below a change get a new cumulative size), and a side that did not change at all is reused
whole, so a redraw after a small change costs far less than a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Context, Decimal, getcontext, setcontext

from sor_tui.core.book_levels import EXACT, WATCH_ALL, Side
from sor_tui.core.view_sides import (
    SidePrices,
    SideState,
    build_side,
    clear_marks,
    refresh_top,
)
from sor_tui.core.views import BookView, LevelView

TWO = Decimal(2)
BPS = Decimal(10_000)
BPS_QUANTUM = Decimal("0.01")
"""Spreads in basis points are shown to a hundredth of a basis point (half-even)."""
_BPS_CONTEXT = Context(prec=34)


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


def integrity_flags(
    resync_reason: str | None,
    regressions: int,
    future: int,
    overflowed: bool,
    long_cross: bool = False,
) -> tuple[str, ...]:
    """Human-readable integrity warnings of a book (empty in the usual case)."""
    flags: list[str] = []
    if long_cross:
        flags.append("crossed for long")
    if resync_reason is not None:
        flags.append(f"resync needed: {resync_reason}")
    if regressions:
        flags.append(f"time went backwards {regressions}x")
    if future:
        flags.append(f"far-future time {future}x")
    if overflowed:
        flags.append("update buffer overflowed")
    return tuple(flags)


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


class ViewCache:
    """The previous view of each (depth, group) of one book: cache and base for change marks."""

    __slots__ = ("_plain", "_states", "ask_prices", "bid_prices")

    def __init__(self) -> None:
        self._states: dict[tuple[int, Decimal | None], ViewState] = {}
        self._plain: dict[int, ViewState] = {}  # the ungrouped states of _states, by depth
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

    def plain(
        self, depth: int, version: int, bid_side: Side, ask_side: Side, assemble: Assembler
    ) -> BookView | None:
        """The ungrouped view of ``depth`` at ``version`` (None before its first build).

        The usual redraw, with ``view`` and ``build`` inlined (their fixed cost is most of a
        redraw's): an untouched side is reused with its marks cleared, a touched one is
        refreshed in place from the best touched rank down.
        """
        state = self._plain.get(depth)
        if state is None:
            return None
        bids = state.bids
        asks = state.asks
        if state.version == version:
            if bids.marks or asks.marks:
                # Nothing changed since the previous call, so nothing is marked now.
                clear_marks(bids)
                clear_marks(asks)
                state.view = replace(state.view, bids=bids.levels, asks=asks.levels)
            return state.view
        moved = False
        touches = bid_side.top_touches
        if bids.touches != touches:
            floor = bids.floor
            refresh_top(bid_side, bids, depth, self.bid_prices)
            bids.touches = touches
            ranks = bids.ranks
            bids.floor = ranks[-1] if ranks and len(ranks) == depth else bid_side.floor_for(depth)
            moved = bids.floor != floor
        elif bids.marks:
            clear_marks(bids)
        touches = ask_side.top_touches
        if asks.touches != touches:
            floor = asks.floor
            refresh_top(ask_side, asks, depth, self.ask_prices)
            asks.touches = touches
            ranks = asks.ranks
            asks.floor = ranks[-1] if ranks and len(ranks) == depth else ask_side.floor_for(depth)
            moved = moved or asks.floor != floor
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
            self._watch(bid_side, ask_side)
        return view

    def _figures(self, bid_key: int | None, ask_key: int | None) -> Figures:
        best_bid = None if bid_key is None else self.bid_prices[bid_key]
        best_ask = None if ask_key is None else self.ask_prices[-ask_key]
        return (best_bid, best_ask, *spread_figures(best_bid, best_ask))

    def _watch(self, bid_side: Side, ask_side: Side) -> None:
        # Each side watches from the lowest floor any ungrouped view relies on (only a
        # moved floor can change that minimum; a rescale resets it to WATCH_ALL).
        if len(self._plain) == 1:
            (state,) = self._plain.values()
            bid_side.watch_floor = state.bids.floor
            ask_side.watch_floor = state.asks.floor
            return
        states = self._plain.values()
        bid_side.watch_floor = min(other.bids.floor for other in states)
        ask_side.watch_floor = min(other.asks.floor for other in states)

    def view(
        self,
        key: tuple[int, Decimal | None],
        version: int,
        sides: tuple[Side, Side],
        group_key_of: Callable[[Decimal], int],
        assemble: Assembler,
    ) -> BookView:
        """The view of ``sides`` for ``key`` (depth, group) at ``version``.

        The previous view when the book has not changed since (with marks cleared), else a
        new one marked against it.
        """
        state = self._states.get(key)
        if state is not None and state.version == version:
            if state.bids.marks or state.asks.marks:
                # Nothing changed since the previous call, so nothing is marked now.
                clear_marks(state.bids)
                clear_marks(state.asks)
                state.view = replace(state.view, bids=state.bids.levels, asks=state.asks.levels)
            return state.view
        group = key[1]
        group_key = None if group is None else group_key_of(group)
        return self.build(key, version, sides, group_key, assemble, state)

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
            # The state is private (views hold only its immutable level tuples).
            clear_marks(previous)
            return previous
        elif previous is not None:
            # The usual redraw: only levels from the best touched rank down can differ.
            refresh_top(side, previous, depth, prices)
            previous.touches = side.top_touches
            ranks = previous.ranks
            previous.floor = ranks[-1] if ranks and len(ranks) == depth else side.floor_for(depth)
            return previous
        else:
            ranks, amounts = side.top(depth)
            by_value = False
            known = 0
            side.high_base = side.top_touches
            side.high_touch = WATCH_ALL
        # Cumulative sums must never round. The context is set only around the calls that
        # sum (localcontext() would copy it: about 1 µs, as much as ten sums).
        saved = getcontext()
        setcontext(EXACT)
        try:
            built = build_side(ranks, amounts, previous, prices, by_value, known)
        finally:
            setcontext(saved)
        if not by_value:
            built.touches = side.top_touches
            built.floor = side.floor_for(depth)
        return built

    def build(
        self,
        key: tuple[int, Decimal | None],
        version: int,
        sides: tuple[Side, Side],
        group_key: int | None,
        assemble: Assembler,
        state: ViewState | None,
    ) -> BookView:
        """A new view of ``sides`` (bids, asks), marked against the previous one (``state``)."""
        depth = key[0]
        # Side states are updated in place: remember the floors they had.
        floors = None if state is None else (state.bids.floor, state.asks.floor)
        if state is None:
            bids = self._side(sides[0], None, depth, group_key, self.bid_prices)
            asks = self._side(sides[1], None, depth, group_key, self.ask_prices)
        elif group_key is not None:
            bids = self._side(sides[0], state.bids, depth, group_key, self.bid_prices)
            asks = self._side(sides[1], state.asks, depth, group_key, self.ask_prices)
        else:
            # ``_side`` inlined for the usual redraw (states are updated in place): an
            # untouched side is reused, marks cleared; a touched one refreshed from the
            # best touched rank down.
            bids, asks = state.bids, state.asks
            side = sides[0]
            if bids.touches != side.top_touches:
                refresh_top(side, bids, depth, self.bid_prices)
                bids.touches = side.top_touches
                ranks = bids.ranks
                bids.floor = ranks[-1] if ranks and len(ranks) == depth else side.floor_for(depth)
            elif bids.marks:
                clear_marks(bids)
            side = sides[1]
            if asks.touches != side.top_touches:
                refresh_top(side, asks, depth, self.ask_prices)
                asks.touches = side.top_touches
                ranks = asks.ranks
                asks.floor = ranks[-1] if ranks and len(ranks) == depth else side.floor_for(depth)
            elif asks.marks:
                clear_marks(asks)
        best_keys = (sides[0].best, sides[1].best)
        if state is None or state.best_keys != best_keys:
            figures = self._figures(*best_keys)
        else:
            figures = state.figures
        view = assemble(bids.levels, asks.levels, figures)
        if state is None:
            state = ViewState(version, view, bids, asks, best_keys, figures)
            self._states[key] = state
            if group_key is None:
                self._plain[depth] = state
            moved = group_key is None
        else:
            moved = group_key is None and floors != (bids.floor, asks.floor)
            state.version = version
            state.view = view
            state.bids = bids
            state.asks = asks
            state.best_keys = best_keys
            state.figures = figures
        if moved:
            self._watch(sides[0], sides[1])
        return view
