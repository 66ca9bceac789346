"""Price levels of one book side in integer fixed point: exact, canonical and fast to sort.

Prices are stored as integers in units of ``10**-scale``; the book's scale grows on demand
when a price with more fractional digits arrives, so no price is ever rounded. Integer keys
make ``"50000"``, ``"50000.0"`` and ``"50000.00"`` one level, sort numerically (never as
text) and hash far faster than ``Decimal``. Amounts stay ``Decimal`` (the server's value).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Context, Decimal, localcontext

from sortedcontainers import SortedList

from sor_tui.core.events import PriceLevel

MAX_SCALE = 40
"""More fractional digits than this in a price is treated as a protocol error."""

EXACT = Context(prec=100)
"""Enough precision that sums and conversions of wire decimals never round."""

ZERO = Decimal(0)
MAX_AMOUNT = Decimal("1E40")
"""Larger amounts (including Infinity) cannot come from a 40-character decimal string."""


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
    """One side of a book: ``price key -> amount``, the keys in ascending order, the best key.

    The sorted key list is touched only when a level appears or disappears; overwriting an
    amount is a single dict store. The best key is maintained incrementally so that the
    per-message integrity check costs two comparisons.
    """

    __slots__ = ("best", "descending", "keys", "levels")

    def __init__(self, descending: bool) -> None:
        self.descending = descending
        self.levels: dict[int, Decimal] = {}
        self.keys: SortedList = SortedList()
        self.best: int | None = None

    def clear(self) -> None:
        """Remove every level."""
        self.levels.clear()
        self.keys.clear()
        self.best = None

    def __len__(self) -> int:
        return len(self.levels)

    def rescale(self, multiplier: int) -> None:
        """Multiply every key by ``multiplier`` (the book's scale grew)."""
        self.levels = {key * multiplier: amount for key, amount in self.levels.items()}
        self.keys = SortedList(key * multiplier for key in self.keys)
        if self.best is not None:
            self.best *= multiplier

    def apply(self, levels: Sequence[PriceLevel], factor: int) -> None:
        """Set or delete each level in order (the last occurrence of a price wins).

        Raises ScaleTooSmall before changing anything for a price that needs a larger
        scale: applying the same levels again after rescaling gives the same result,
        because every operation overwrites or deletes.
        """
        book = self.levels
        keys = self.keys
        best = self.best
        descending = self.descending
        # Prices of one market share a few denominators: remember the last multiplier.
        last_denominator = 0
        multiplier = 0
        try:
            for level in levels:
                numerator, denominator = level.price.as_integer_ratio()
                if denominator != last_denominator:
                    if factor % denominator:
                        raise ScaleTooSmall(denominator)
                    last_denominator = denominator
                    multiplier = factor // denominator
                if numerator <= 0:
                    raise InvalidLevelError("price is not positive")
                key = numerator * multiplier
                amount = level.amount
                if amount > ZERO:
                    if amount > MAX_AMOUNT:
                        raise InvalidLevelError("amount is not finite or implausibly large")
                    if key not in book:
                        keys.add(key)
                        if best is None or (key > best if descending else key < best):
                            best = key
                    book[key] = amount
                elif amount.is_zero():
                    if key in book:
                        del book[key]
                        keys.remove(key)
                        if key == best:
                            best = (keys[-1] if descending else keys[0]) if keys else None
                else:
                    raise InvalidLevelError("amount is negative")
        finally:
            self.best = best

    def top_pairs(self, depth: int) -> list[tuple[int, Decimal]]:
        """The best ``depth`` (key, amount) pairs, best first, without walking the rest."""
        if depth <= 0:
            return []
        levels = self.levels
        # Slicing a SortedList copies only the requested keys (faster than islice here).
        chosen = self.keys[-depth:][::-1] if self.descending else self.keys[:depth]
        return [(key, levels[key]) for key in chosen]

    def grouped_pairs(self, depth: int, group_key: int) -> list[tuple[int, Decimal]]:
        """Levels summed into buckets of ``group_key`` (bids floor, asks ceil), best first."""
        if depth <= 0:
            return []
        with localcontext(EXACT):  # bucket sums must never round
            return self._buckets(depth, group_key)

    def _buckets(self, depth: int, group_key: int) -> list[tuple[int, Decimal]]:
        result: list[tuple[int, Decimal]] = []
        levels = self.levels
        descending = self.descending
        ordered: Iterator[int] = reversed(self.keys) if descending else iter(self.keys)
        current: int | None = None
        total = ZERO
        for key in ordered:
            # Floor for bids and ceiling for asks keep every bucket on the conservative side.
            if descending:
                bucket = (key // group_key) * group_key
            else:
                bucket = -((-key) // group_key) * group_key
            if bucket != current:
                if current is not None:
                    result.append((current, total))
                    if len(result) == depth:
                        return result
                current = bucket
                total = ZERO
            total = total + levels[key]
        if current is not None:
            result.append((current, total))
        return result
