"""Price levels of one book side in integer fixed point: exact, canonical and fast to sort.

Prices are stored as integers in units of ``10**-scale``; the book's scale grows on demand
when a price with more fractional digits arrives, so no price is ever rounded. Integer keys
make ``"50000"``, ``"50000.0"`` and ``"50000.00"`` one level, sort numerically (never as
text) and hash far faster than ``Decimal``. Amounts stay ``Decimal`` (the server's value).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from decimal import Context, Decimal
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from sor_tui.core.bounded import BoundedCache
from sor_tui.core.events import PriceLevel

if TYPE_CHECKING:
    from sor_tui.core.book_views import SideWatch, ViewCache

MAX_SCALE = 40
"""More fractional digits than this in a price is treated as a protocol error."""

EXACT = Context(prec=100)
"""Enough precision that sums and conversions of wire decimals never round."""

ZERO = Decimal(0)
BULK_LOAD_MIN = 16
"""From this many levels, loading into an empty side sorts once instead of inserting each."""
RANK_CACHE_MAX = 4096
"""Prices remembered per side (beyond it, new prices take the exact conversion uncached)."""
MAX_AMOUNT = Decimal("1E40")
"""Larger amounts (including Infinity) cannot come from a 40-character decimal string."""
COMPACT_FACTOR = 10**8
"""A deep snapshot level's amount, when exact in units of 1E-8, is held as an int of them."""
SNAPSHOT_DECIMAL_LEVELS = 128
"""The best levels of a loaded snapshot keep their Decimal amounts (the views show them)."""
MAX_LEVELS_PER_SIDE = 100_000
"""More levels than this on one side is a broken or hostile server: the book resyncs."""
MAX_LEVELS_PER_FRAME = 2 * MAX_LEVELS_PER_SIDE
"""A SNAPSHOT or UPDATE with more levels than this is not applied: the book resyncs."""
LARGE_SIDE = 16_384
"""From this many levels a side keeps its ranks in a ``SortedList`` (logarithmic inserts);
below it a plain list's C-level insert is faster and the views read it directly."""
SMALL_SIDE = LARGE_SIDE // 2
"""A large side that shrinks below this goes back to a plain list (no flapping)."""


class TooManyLevelsError(ValueError):
    """A side would hold more than ``MAX_LEVELS_PER_SIDE`` levels."""


def sorted_ranks(ranks: Iterable[int]) -> Any:
    """``ranks`` sorted, as a plain list or (when large) a ``SortedList``."""
    ordered = sorted(ranks)
    return SortedList(ordered) if len(ordered) >= LARGE_SIDE else ordered


def decimal_amount(units: int) -> Decimal:
    """The Decimal of ``units`` * 1E-8, spelled as the decoder does (no trailing zeros)."""
    whole, fraction = divmod(units, COMPACT_FACTOR)
    if not fraction:
        return Decimal(whole)
    return Decimal(f"{whole}.{fraction:08d}".rstrip("0"))


def decimal_amounts(levels: dict[int, Any], ranks: list[int], amounts: list[Any]) -> list[Decimal]:
    """``amounts`` of ``ranks`` with compact ones made Decimal (and stored back as Decimal)."""
    for index, value in enumerate(amounts):
        if type(value) is int:
            amounts[index] = levels[ranks[index]] = decimal_amount(value)
    return amounts


class PriceScaleError(ValueError):
    """A price that cannot be held exactly (too many fractional digits)."""


class InvalidLevelError(ValueError):
    """A level no valid book can hold (non-positive price, negative amount)."""


class ScaleTooSmall(Exception):
    """A price needs a larger fixed-point scale; the book grows it and applies again."""

    def __init__(self, denominator: int) -> None:
        super().__init__(denominator)
        self.denominator = denominator


def scale_for(denominator: int, scale: int) -> int:
    """The smallest scale >= ``scale`` whose ``10**scale`` is a multiple of ``denominator``."""
    while (10**scale) % denominator:
        scale += 1
        if scale > MAX_SCALE:
            raise PriceScaleError("price has too many fractional digits")
    return scale


class Side:
    """One side of a book: ``rank -> amount`` plus the ranks in a sorted list, best last.

    A rank is the price key for bids and its negation for asks, so that on both sides the
    best price is the last element (and one int object serves the dict and the list). Up to
    ``LARGE_SIDE`` levels the ranks are a plain list: an insert or delete is a C-level
    bisect plus a memmove, cheaper than any balanced structure at that size. A larger side
    holds them in a ``SortedList`` (same reads: indexing, slices, ``reversed``), so inserts
    stay logarithmic however deep a server makes the book; ``MAX_LEVELS_PER_SIDE`` bounds it.
    Overwriting an amount touches only the dict.

    Memory: a loaded snapshot's deep levels hold their amount as an int of 1E-8 units when
    that is exact (a small int is a fraction of a Decimal's size; most of a deep book is
    never shown).
    Readers of amounts (views, grouping) turn them back into the same Decimal value, spelled
    as the decoder spells amounts (no trailing zeros); ``compact`` says whether any may
    remain. Live updates always store the Decimal given.
    """

    __slots__ = (
        "best",
        "compact",
        "descending",
        "levels",
        "rank_factor",
        "rank_of",
        "ranks",
        "sign",
    )

    def __init__(self, descending: bool) -> None:
        self.descending = descending
        self.sign = 1 if descending else -1
        self.levels: dict[int, Decimal] = {}  # rank -> amount (an int of 1E-8 if compact)
        self.compact = False
        self.ranks: Any = []  # list[int], or a SortedList of them from LARGE_SIDE levels
        self.best: int | None = None
        # Valid prices already seen -> their rank at ``rank_factor``. The decoder hands the
        # same Decimal object for a repeated price text; a dict hit (hash cached in the
        # object) is far cheaper than ``as_integer_ratio``. Keyed by value, so "1.0" and "1"
        # share the entry, as they share the rank. Bounded; emptied when the scale grows.
        self.rank_of: BoundedCache[Decimal, int] = BoundedCache(RANK_CACHE_MAX)
        self.rank_factor = 0

    def clear(self) -> None:
        """Remove every level."""
        self.levels.clear()
        self.ranks = []
        self.compact = False
        self.best = None

    def __len__(self) -> int:
        return len(self.levels)

    def rescale(self, multiplier: int) -> None:
        """Multiply every key by ``multiplier`` (the book's scale grew)."""
        self.levels = {rank * multiplier: amount for rank, amount in self.levels.items()}
        self.rank_of.clear()
        self.ranks = sorted_ranks(self.levels)
        if self.best is not None:
            self.best *= multiplier

    def apply(
        self, levels: Sequence[PriceLevel], factor: int, watch: SideWatch, remember: bool = True
    ) -> None:
        """Set or delete each level in order (the last occurrence of a price wins).

        Changes at or above ``watch.floor`` are recorded in ``watch`` for the views.
        ``remember`` caches the rank of each new price (live updates); snapshot loads pass
        False so a deep snapshot does not fill the cache with prices rarely seen again.

        Raises ScaleTooSmall before changing anything for a price that needs a larger
        scale: applying the same levels again after rescaling gives the same result,
        because every operation overwrites or deletes.
        """
        book = self.levels
        if not book and len(levels) >= BULK_LOAD_MIN:
            try:
                self._load(levels, factor)
            finally:
                watch.touch_all()
            return
        ranks = self.ranks
        sign = self.sign
        rank_of = self.rank_of
        if factor != self.rank_factor:
            rank_of.clear()
            self.rank_factor = factor
        # Prices of one market share a few denominators: remember the last multiplier
        # (which carries the side's sign, turning a numerator straight into a rank).
        last_denominator = 0
        multiplier = 0
        floor = watch.floor
        high = watch.high_touch
        touched = False
        large = type(ranks) is not list
        try:
            for level in levels:
                price = level.price
                rank = rank_of.get(price)
                if rank is None:
                    numerator, denominator = price.as_integer_ratio()
                    if denominator != last_denominator:
                        if factor % denominator:
                            raise ScaleTooSmall(denominator)
                        last_denominator = denominator
                        multiplier = factor // denominator * sign
                    if numerator <= 0:
                        raise InvalidLevelError("price is not positive")
                    rank = numerator * multiplier
                    if remember:
                        rank_of.put(price, rank)
                if rank >= floor:
                    touched = True
                    if rank > high:
                        high = rank
                amount = level.amount
                if ZERO < amount < MAX_AMOUNT:
                    if rank not in book:
                        if large:
                            if len(book) >= MAX_LEVELS_PER_SIDE:
                                raise TooManyLevelsError(
                                    f"more than {MAX_LEVELS_PER_SIDE} levels on one side"
                                )
                            ranks.add(rank)
                        elif len(book) < LARGE_SIDE:
                            insort(ranks, rank)
                        else:
                            ranks = self.ranks = SortedList(ranks)
                            large = True
                            ranks.add(rank)
                    book[rank] = amount
                elif amount.is_zero():
                    if rank in book:
                        del book[rank]
                        if large:
                            ranks.remove(rank)
                        else:
                            del ranks[bisect_left(ranks, rank)]
                else:
                    raise InvalidLevelError("amount is negative, not finite or implausibly large")
        finally:
            if large and len(ranks) < SMALL_SIDE:
                ranks = self.ranks = list(ranks)
            self.best = ranks[-1] * sign if ranks else None
            if touched:
                watch.touches += 1
                watch.high_touch = high

    def _load(self, levels: Sequence[PriceLevel], factor: int) -> None:
        """``apply`` into an empty side (a snapshot): the dict first, then one sort.

        Same rules and errors as ``apply``; inserting each level into the sorted list
        instead costs a memmove of the whole list per level (quadratic for a deep book).
        """
        book = self.levels
        sign = self.sign
        last_denominator = 0
        multiplier = 0
        try:
            for level in levels:
                numerator, denominator = level.price.as_integer_ratio()
                if denominator != last_denominator:
                    if factor % denominator:
                        raise ScaleTooSmall(denominator)
                    last_denominator = denominator
                    multiplier = factor // denominator * sign
                if numerator <= 0:
                    raise InvalidLevelError("price is not positive")
                rank = numerator * multiplier
                amount = level.amount
                if ZERO < amount < MAX_AMOUNT:
                    book[rank] = amount
                elif amount.is_zero():
                    book.pop(rank, None)
                else:
                    raise InvalidLevelError("amount is negative, not finite or implausibly large")
        finally:
            # Whatever was set before an error stays consistent (the book rescales and
            # applies again, or asks for a resync).
            ranks = self.ranks = sorted_ranks(book)
            self.best = ranks[-1] * sign if ranks else None
        if len(ranks) > MAX_LEVELS_PER_SIDE:
            raise TooManyLevelsError(f"more than {MAX_LEVELS_PER_SIDE} levels on one side")
        if len(ranks) > SNAPSHOT_DECIMAL_LEVELS:
            self._compact(ranks[:-SNAPSHOT_DECIMAL_LEVELS])

    def _compact(self, ranks: list[int]) -> None:
        """Hold the amounts of ``ranks`` as ints of 1E-8 where that is exact."""
        book: dict[int, Any] = self.levels
        factor = COMPACT_FACTOR
        for rank in ranks:
            numerator, denominator = book[rank].as_integer_ratio()
            if not factor % denominator:
                book[rank] = numerator * (factor // denominator)
        self.compact = True


class BookLevels:
    """Both sides of one book, keyed in one fixed-point scale that grows when a price needs it.

    Changes are recorded in the views' watch of each side, and a rescale is passed on to
    the views (their states hold ranks).
    """

    __slots__ = ("asks", "bids", "factor", "scale", "views")

    def __init__(self, views: ViewCache) -> None:
        self.bids = Side(descending=True)
        self.asks = Side(descending=False)
        self.scale = 0
        self.factor = 1  # 10**scale
        self.views = views

    def clear(self) -> None:
        """Remove every level of both sides."""
        self.bids.clear()
        self.asks.clear()
        self.views.touch_all()

    def load(self, side: Side, levels: Sequence[PriceLevel]) -> None:
        """Apply ``levels`` to ``side`` without remembering their prices, growing the scale."""
        views = self.views
        watch = views.bid_watch if side is self.bids else views.ask_watch
        while True:
            try:
                side.apply(levels, self.factor, watch, False)
            except ScaleTooSmall as small:
                self.grow_scale(small.denominator)
            else:
                return

    def grow_scale(self, denominator: int) -> None:
        """Grow the scale so that ``denominator`` divides ``10**scale``."""
        scale = scale_for(denominator, self.scale)
        multiplier = 10 ** (scale - self.scale)
        self.bids.rescale(multiplier)
        self.asks.rescale(multiplier)
        self.views.rescale(multiplier, scale)
        self.scale = scale
        self.factor = 10**scale

    def group_key(self, group: Decimal) -> int:
        """The bucket size ``group`` in the scale's units (the scale grows to hold it)."""
        if not group.is_finite() or group <= 0:
            raise ValueError("group must be a positive finite decimal")
        numerator, denominator = group.as_integer_ratio()
        if self.factor % denominator:
            self.grow_scale(denominator)
        return numerator * (self.factor // denominator)
