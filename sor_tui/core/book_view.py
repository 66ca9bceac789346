"""Frozen book views: best-first levels, cumulative sizes, change marks, built incrementally.

Each (depth, group) a consumer asks for keeps what its previous view showed. A new view
reuses the previous level objects down to the first level that differs (only the levels
below a change get a new cumulative size), and a side that did not change at all is reused
whole, so a redraw after a small change costs far less than a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
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


# BookView has 18 fields: through the slot descriptors it is built in ~70 % of the time of
# its generated __init__. If its fields ever change, the shortcut switches itself off.
VIEW_FIELDS = (
    "market",
    "status",
    "bids",
    "asks",
    "best_bid",
    "best_ask",
    "spread",
    "spread_bps",
    "mid",
    "crossed",
    "locked",
    "snapshot_time_ns",
    "last_update_ns",
    "bid_levels",
    "ask_levels",
    "updates_applied",
    "version",
    "flags",
)
_VIEW_SETTERS = tuple(vars(BookView)[name].__set__ for name in VIEW_FIELDS)
FAST_VIEWS = tuple(f.name for f in fields(BookView)) == VIEW_FIELDS


def make_view(*values: object) -> BookView:
    """Build a BookView from its field values in ``VIEW_FIELDS`` order, equal to BookView(...)."""
    if not FAST_VIEWS:
        return BookView(*values)  # type: ignore[arg-type]
    view: BookView = _new(BookView)
    # Unrolled: a loop over zip() costs as much again as the 18 slot stores.
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, s16, s17) = _VIEW_SETTERS
    (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17) = values
    s0(view, v0)
    s1(view, v1)
    s2(view, v2)
    s3(view, v3)
    s4(view, v4)
    s5(view, v5)
    s6(view, v6)
    s7(view, v7)
    s8(view, v8)
    s9(view, v9)
    s10(view, v10)
    s11(view, v11)
    s12(view, v12)
    s13(view, v13)
    s14(view, v14)
    s15(view, v15)
    s16(view, v16)
    s17(view, v17)
    return view


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


def build_side(pairs: Pairs, previous: SideState | None, prices: PriceCache) -> SideState:
    """Level views for ``pairs`` with marks against ``previous`` (None: first view, no marks).

    Call it under ``localcontext(EXACT)`` (cumulative sums must never round): the caller
    enters the context only when a side is rebuilt (entering costs as much as ten sums).
    """
    if previous is None:
        head: tuple[LevelView, ...] = ()
        start = 0
        before: dict[int, Decimal] | None = None
    else:
        old = previous.pairs
        if pairs == old:  # identity short-cuts make this cheap for untouched amounts
            if not previous.marks:
                return previous
            return SideState(pairs, unmarked(previous.levels, previous.marks), [])
        limit = min(len(pairs), len(old))
        start = 0
        while start < limit and pairs[start] == old[start]:
            start += 1
        marks = previous.marks
        head = unmarked(previous.levels, marks, start) if marks else previous.levels[:start]
        # Keys are unique and the first ``start`` are shared, so a key shown below ``start``
        # now can only have been shown below ``start`` before.
        before = dict(old[start:])
    out = list(head)
    marks = []
    position = start
    cumulative = head[-1].cumulative if head else ZERO
    # This loop runs for every shown level below a change: calls are inlined on purpose.
    known = prices.known.get
    new, set_price, set_amount = _new, _set_price, _set_amount
    set_cumulative, set_change = _set_cumulative, _set_change
    for key, amount in pairs[start:]:
        cumulative = cumulative + amount
        change = _NONE
        if before is not None:
            prior = before.get(key)
            if prior is None:
                change = _NEW
                marks.append(position)
            elif prior is not amount:  # the same object: unchanged (the common case)
                if amount > prior:
                    change = _UP
                    marks.append(position)
                elif amount < prior:
                    change = _DOWN
                    marks.append(position)
        position += 1
        price = known(key)
        level: LevelView = new(LevelView)
        set_price(level, price if price is not None else prices.price(key))
        set_amount(level, amount)
        set_cumulative(level, cumulative)
        set_change(level, change)
        out.append(level)
    return SideState(pairs, tuple(out), marks)


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
        if state.bids.marks or state.asks.marks:
            # Nothing changed since the previous call, so nothing is marked now.
            for side in (state.bids, state.asks):
                side.levels = unmarked(side.levels, side.marks)
                side.marks = []
            state.view = replace(state.view, bids=state.bids.levels, asks=state.asks.levels)
        return state.view

    def _side(
        self, side: Side, previous: SideState | None, depth: int, group_key: int | None
    ) -> SideState:
        if group_key is not None:
            with localcontext(EXACT):
                return build_side(side.grouped_pairs(depth, group_key), previous, self.prices)
        if previous is not None and previous.touches == side.top_touches:
            # Nothing at or above the lowest shown rank changed: the top is as it was.
            if not previous.marks:
                return previous
            return SideState(
                previous.pairs,
                unmarked(previous.levels, previous.marks),
                [],
                previous.touches,
                previous.floor,
            )
        with localcontext(EXACT):
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
        if group_key is None and (
            state is None or state.bids.floor != bids.floor or state.asks.floor != asks.floor
        ):
            # Each side watches from the lowest floor any ungrouped view relies on (only a
            # moved floor can change that minimum; a rescale resets it to WATCH_ALL).
            states = self._states.values()
            sides[0].watch_floor = min(state.bids.floor for state in states)
            sides[1].watch_floor = min(state.asks.floor for state in states)
        return view
