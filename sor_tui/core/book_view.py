"""Frozen book views: best-first levels, cumulative sizes, change marks, built incrementally.

Each (depth, group) a consumer asks for keeps what its previous view showed. A new view
reuses the previous level objects down to the first level that differs (only the levels
below a change get a new cumulative size), and a side that did not change at all is reused
whole, so a redraw after a small change costs far less than a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Context, Decimal, localcontext

from sor_tui.core.book_levels import EXACT, SHOWS_NOTHING, ZERO, Side
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

Pairs = list[tuple[int, Decimal]]
Figures = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]
"""Best bid, best ask, spread, spread in basis points, mid."""
Assembler = Callable[[tuple[LevelView, ...], tuple[LevelView, ...], Figures], BookView]

# A frozen dataclass's __init__ sets each field through object.__setattr__; filling the
# slots directly builds the identical object in about half the time, which matters when a
# change at the top of the book gives every level below it a new cumulative size.
_new = object.__new__
_set_price = vars(LevelView)["price"].__set__
_set_amount = vars(LevelView)["amount"].__set__
_set_cumulative = vars(LevelView)["cumulative"].__set__
_set_change = vars(LevelView)["change"].__set__


def make_level(
    price: Decimal, amount: Decimal, cumulative: Decimal, change: LevelChange
) -> LevelView:
    """Build a LevelView equal to ``LevelView(price, amount, cumulative, change)``, faster."""
    level: LevelView = _new(LevelView)
    _set_price(level, price)
    _set_amount(level, amount)
    _set_cumulative(level, cumulative)
    _set_change(level, change)
    return level


@dataclass(slots=True)
class SideState:
    """What one side of the previous view showed: its (key, amount) pairs and level objects."""

    pairs: Pairs
    levels: tuple[LevelView, ...]
    marked: bool
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


def unmarked(levels: tuple[LevelView, ...]) -> tuple[LevelView, ...]:
    """The same levels with every change mark cleared."""
    return tuple(
        level
        if level.change is _NONE
        else make_level(level.price, level.amount, level.cumulative, _NONE)
        for level in levels
    )


def build_side(pairs: Pairs, previous: SideState | None, prices: PriceCache) -> SideState:
    """Level views for ``pairs`` with marks against ``previous`` (None: first view, no marks)."""
    if previous is None:
        head: tuple[LevelView, ...] = ()
        start = 0
        before: dict[int, Decimal] | None = None
    else:
        old = previous.pairs
        if pairs == old:  # identity short-cuts make this cheap for untouched amounts
            if not previous.marked:
                return previous
            return SideState(pairs, unmarked(previous.levels), False)
        limit = min(len(pairs), len(old))
        start = 0
        while start < limit and pairs[start] == old[start]:
            start += 1
        head = previous.levels[:start]
        if previous.marked:
            head = unmarked(head)
        before = dict(old)
    out = list(head)
    marked = False
    cumulative = head[-1].cumulative if head else ZERO
    # This loop runs for every shown level below a change: calls are inlined on purpose.
    known = prices.known.get
    new, set_price, set_amount = _new, _set_price, _set_amount
    set_cumulative, set_change = _set_cumulative, _set_change
    with localcontext(EXACT):
        for key, amount in pairs[start:]:
            cumulative = cumulative + amount
            change = _NONE
            if before is not None:
                prior = before.get(key)
                if prior is None:
                    change = _NEW
                    marked = True
                elif prior is not amount:  # the same object: unchanged (the common case)
                    if amount > prior:
                        change = _UP
                        marked = True
                    elif amount < prior:
                        change = _DOWN
                        marked = True
            price = known(key)
            level: LevelView = new(LevelView)
            set_price(level, price if price is not None else prices.price(key))
            set_amount(level, amount)
            set_cumulative(level, cumulative)
            set_change(level, change)
            out.append(level)
    return SideState(pairs, tuple(out), marked)


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


class PriceCache:
    """Decimal prices of recently shown keys (bounded; cleared when the scale changes)."""

    __slots__ = ("_scale", "known")

    LIMIT = 4096

    def __init__(self) -> None:
        self.known: dict[int, Decimal] = {}  # key -> price, read directly by build_side
        self._scale = 0

    def rescale(self, scale: int) -> None:
        """Keys now mean units of ``10**-scale``."""
        self.known.clear()
        self._scale = scale

    def price(self, key: int) -> Decimal:
        """The exact Decimal price of ``key``."""
        price = self.known.get(key)
        if price is None:
            if len(self.known) >= self.LIMIT:
                self.known.clear()
            price = EXACT.scaleb(Decimal(key), -self._scale)
            self.known[key] = price
        return price


class ViewCache:
    """The previous view of each (depth, group) of one book: cache and base for change marks."""

    __slots__ = ("_states", "prices")

    def __init__(self) -> None:
        self._states: dict[tuple[int, Decimal | None], ViewState] = {}
        self.prices = PriceCache()

    def rescale(self, multiplier: int, scale: int) -> None:
        """The book's keys were multiplied by ``multiplier`` (now units of ``10**-scale``)."""
        for state in self._states.values():
            for side in (state.bids, state.asks):
                side.pairs = [(key * multiplier, amount) for key, amount in side.pairs]
            bid, ask = state.best_keys
            state.best_keys = (
                None if bid is None else bid * multiplier,
                None if ask is None else ask * multiplier,
            )
        self.prices.rescale(scale)

    def cached(self, key: tuple[int, Decimal | None], version: int) -> BookView | None:
        """The previous view when the book has not changed since (with marks cleared)."""
        state = self._states.get(key)
        if state is None or state.version != version:
            return None
        if state.bids.marked or state.asks.marked:
            # Nothing changed since the previous call, so nothing is marked now.
            for side in (state.bids, state.asks):
                side.levels = unmarked(side.levels)
                side.marked = False
            state.view = replace(state.view, bids=state.bids.levels, asks=state.asks.levels)
        return state.view

    def _side(
        self, side: Side, previous: SideState | None, depth: int, group_key: int | None
    ) -> SideState:
        if group_key is not None:
            return build_side(side.grouped_pairs(depth, group_key), previous, self.prices)
        if previous is not None and previous.touches == side.top_touches:
            # Nothing at or above the lowest shown rank changed: the top is as it was.
            if not previous.marked:
                return previous
            return SideState(
                previous.pairs, unmarked(previous.levels), False, previous.touches, previous.floor
            )
        built = build_side(side.top_pairs(depth), previous, self.prices)
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
    ) -> BookView:
        """A new view of ``sides`` (bids, asks), marked against the previous one."""
        state = self._states.get(key)
        depth = key[0]
        bids = self._side(sides[0], state.bids if state else None, depth, group_key)
        asks = self._side(sides[1], state.asks if state else None, depth, group_key)
        best_keys = (sides[0].best, sides[1].best)
        price = self.prices.price
        figures: Figures
        if state is not None and state.best_keys == best_keys:
            old = state.view
            figures = (old.best_bid, old.best_ask, old.spread, old.spread_bps, old.mid)
        else:
            best_bid = None if best_keys[0] is None else price(best_keys[0])
            best_ask = None if best_keys[1] is None else price(best_keys[1])
            figures = (best_bid, best_ask, *spread_figures(best_bid, best_ask))
        view = assemble(bids.levels, asks.levels, figures)
        self._states[key] = ViewState(version, view, bids, asks, best_keys)
        if group_key is None:
            # Each side watches from the lowest floor any ungrouped view relies on.
            states = self._states.values()
            sides[0].watch_floor = min(state.bids.floor for state in states)
            sides[1].watch_floor = min(state.asks.floor for state in states)
        return view
