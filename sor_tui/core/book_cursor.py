"""A cursor on a book's levels: where it is, how it moves, and the figures at its level.

Positions run along the ladder as drawn: asks above (1 is the best ask), bids below (0 is
the best bid), so moving up always means a higher price. Figures are exact: the size and
notional from the best level down to the cursor's, and its distance from the mid in basis
points (to 0.01 bp).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sor_tui.core.book_levels import EXACT
from sor_tui.core.book_views import BPS, BPS_QUANTUM
from sor_tui.core.views import BookView


@dataclass(frozen=True, slots=True)
class BookCursor:
    """A level of one side: ``index`` 0 is that side's best level."""

    side: str  # "bid" or "ask"
    index: int


@dataclass(frozen=True, slots=True)
class CursorFigures:
    """The cursor's level and what lies between it and the best level of its side."""

    side: str
    price: Decimal
    cumulative: Decimal
    notional: Decimal
    bps_from_mid: Decimal | None


def _position(cursor: BookCursor) -> int:
    return cursor.index + 1 if cursor.side == "ask" else -cursor.index


def move_cursor(
    cursor: BookCursor | None, step: int, view: BookView, rows: int
) -> BookCursor | None:
    """The cursor moved ``step`` levels up (positive) or down within the shown ``rows``."""
    asks = min(len(view.asks), rows)
    bids = min(len(view.bids), rows)
    if not asks and not bids:
        return None
    # With no cursor yet, down starts at the best bid and up at the best ask.
    position = int(step > 0) if cursor is None else _position(cursor) + step
    position = max(1 - bids if bids else 1, min(asks if asks else 0, position))
    if position >= 1:
        return BookCursor("ask", position - 1)
    return BookCursor("bid", -position)


def cursor_figures(view: BookView, cursor: BookCursor) -> CursorFigures | None:
    """The figures at the cursor, or None when its level is not in the view."""
    levels = view.asks if cursor.side == "ask" else view.bids
    if not 0 <= cursor.index < len(levels):
        return None
    level = levels[cursor.index]
    notional = sum(
        (EXACT.multiply(lv.price, lv.amount) for lv in levels[: cursor.index + 1]), Decimal(0)
    )
    bps = None
    if view.mid is not None and view.mid > 0:
        bps = ((level.price - view.mid) * BPS / view.mid).quantize(BPS_QUANTUM)
    return CursorFigures(cursor.side, level.price, level.cumulative, notional, bps)
