"""The book cursor: moves along the ladder as drawn; exact figures at its level."""

from __future__ import annotations

from decimal import Decimal

from sor_tui.core.book_cursor import BookCursor, cursor_figures, move_cursor
from tests.core.alerts.helpers import book

VIEW = book(
    [("99", "1"), ("98", "2"), ("97", "3")],
    [("101", "0.5"), ("102", "1.5")],
)


def test_moves_up_through_the_spread_and_stops_at_the_ends() -> None:
    positions = []
    cursor = None
    for step in (-1, -1, -1, -1, 1, 1, 1, 1, 1, 1):
        cursor = move_cursor(cursor, step, VIEW, rows=10)
        positions.append(cursor)
    assert positions == [
        BookCursor("bid", 0),
        BookCursor("bid", 1),
        BookCursor("bid", 2),
        BookCursor("bid", 2),  # the deepest bid shown
        BookCursor("bid", 1),
        BookCursor("bid", 0),
        BookCursor("ask", 0),
        BookCursor("ask", 1),
        BookCursor("ask", 1),
        BookCursor("ask", 1),
    ]
    assert move_cursor(None, 1, VIEW, rows=10) == BookCursor("ask", 0)
    assert move_cursor(BookCursor("bid", 2), 0, VIEW, rows=2) == BookCursor("bid", 1)
    assert move_cursor(None, 1, book([], []), rows=5) is None


def test_figures_are_exact_from_the_best_level_down() -> None:
    figures = cursor_figures(VIEW, BookCursor("bid", 2))
    assert figures is not None
    assert figures.price == Decimal(97) and figures.cumulative == Decimal(6)
    assert figures.notional == Decimal(99 + 196 + 291)
    assert figures.bps_from_mid == Decimal("-300.00")  # (97 - 100) / 100
    ask = cursor_figures(VIEW, BookCursor("ask", 1))
    assert ask is not None and ask.notional == Decimal("50.5") + Decimal("153.0")
    assert ask.bps_from_mid == Decimal("200.00")
    assert cursor_figures(VIEW, BookCursor("ask", 5)) is None
