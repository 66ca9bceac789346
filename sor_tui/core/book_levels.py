"""Price levels of one book in integer fixed point: exact, canonical and fast to sort.

Prices are stored as integers in units of ``10**-scale``; the scale grows on demand when a
price with more fractional digits arrives, so no price is ever rounded. Integer keys make
``"50000"``, ``"50000.0"`` and ``"50000.00"`` one level, sort numerically (never as text) and
hash far faster than ``Decimal``. Amounts stay ``Decimal`` (the server's exact value).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Context, Decimal

from sortedcontainers import SortedList

MAX_SCALE = 40
"""More fractional digits than this in a price is treated as a protocol error."""

EXACT = Context(prec=100)
"""Enough precision that conversions between fixed point and ``Decimal`` never round."""


class PriceScaleError(ValueError):
    """A price that cannot be held exactly (too many fractional digits, NaN or infinite)."""


def scale_for(denominator: int, scale: int) -> int:
    """The smallest scale >= ``scale`` whose ``10**scale`` is a multiple of ``denominator``."""
    while (10**scale) % denominator:
        scale += 1
        if scale > MAX_SCALE:
            raise PriceScaleError("price has too many fractional digits")
    return scale


class Side:
    """One side of a book: ``price key -> amount`` plus the keys in ascending order.

    The sorted key list is touched only when a level appears or disappears; overwriting an
    amount is a single dict store.
    """

    __slots__ = ("keys", "levels")

    def __init__(self) -> None:
        self.levels: dict[int, Decimal] = {}
        self.keys: SortedList = SortedList()

    def clear(self) -> None:
        """Remove every level."""
        self.levels.clear()
        self.keys.clear()

    def __len__(self) -> int:
        return len(self.levels)

    def rescale(self, factor: int) -> None:
        """Multiply every key by ``factor`` (the book's scale grew)."""
        self.levels = {key * factor: amount for key, amount in self.levels.items()}
        self.keys = SortedList(key * factor for key in self.keys)

    def top_keys(self, depth: int, descending: bool) -> list[int]:
        """The best ``depth`` keys, best first, without walking the rest of the side."""
        keys = self.keys
        count = len(keys)
        if descending:
            return list(keys.islice(max(0, count - depth), count, reverse=True))
        return list(keys.islice(0, min(depth, count)))

    def iter_best_first(self, descending: bool) -> Iterator[int]:
        """An iterator over keys best first (lazy; for grouping)."""
        return reversed(self.keys) if descending else iter(self.keys)
