"""Deep books: logarithmic inserts past ``LARGE_SIDE``, the same views, and caps that resync."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sortedcontainers import SortedList

from sor_tui.core import book as book_module
from sor_tui.core import book_levels
from sor_tui.core.book import OrderBook
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel
from tests.core import test_view_equivalence as equivalence
from tests.core.book_helpers import NOW_NS

T = NOW_NS - 10**9


@pytest.fixture
def tiny_large_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every side past 4 levels a large one, so small tests take the SortedList path."""
    monkeypatch.setattr(book_levels, "LARGE_SIDE", 4)
    monkeypatch.setattr(book_levels, "SMALL_SIDE", 2)


def live_book(bids: int = 0, asks: int = 0) -> OrderBook:
    book = OrderBook("BTCUSD", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    bid_levels = tuple(PriceLevel(Decimal(1000 - i), Decimal(1)) for i in range(bids))
    ask_levels = tuple(PriceLevel(Decimal(1001 + i), Decimal(1)) for i in range(asks))
    book.apply_snapshot(BookSnapshot("BTCUSD", T, "t", bid_levels, ask_levels))
    return book


def update(book: OrderBook, at: int, bids: list[PriceLevel]) -> None:
    book.apply_update(BookUpdate("BTCUSD", at, "t", tuple(bids), ()))


def test_a_deep_side_keeps_its_ranks_in_a_sorted_list_and_back() -> None:
    book = live_book(bids=10)
    side = book._bids
    assert type(side.ranks) is list
    deep = [PriceLevel(Decimal(500) - Decimal(i) / 100, Decimal(2)) for i in range(20_000)]
    update(book, T + 1, deep)
    assert isinstance(side.ranks, SortedList)
    assert list(side.ranks) == sorted(side.levels)
    view = book.view(5)
    assert [level.price for level in view.bids] == [Decimal(1000 - i) for i in range(5)]
    update(book, T + 2, [PriceLevel(level.price, Decimal(0)) for level in deep])
    assert type(side.ranks) is list and len(side.ranks) == 10
    assert not book.needs_resync


def test_incremental_views_with_large_sides(tiny_large_side: None) -> None:
    equivalence.test_incremental_views_equal_the_reference()


def test_shallow_views_with_large_sides(tiny_large_side: None) -> None:
    equivalence.test_shallow_views_of_a_churning_top_equal_the_reference()


def test_mixed_reads_with_large_sides(tiny_large_side: None) -> None:
    equivalence.test_mixed_reads_of_one_book_equal_the_reference()


def test_more_levels_than_the_side_cap_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book_levels, "LARGE_SIDE", 8)
    monkeypatch.setattr(book_levels, "SMALL_SIDE", 4)
    monkeypatch.setattr(book_levels, "MAX_LEVELS_PER_SIDE", 50)
    book = live_book(bids=10)
    update(book, T + 1, [PriceLevel(Decimal(900 - i), Decimal(1)) for i in range(60)])
    assert book.needs_resync and "more than 50 levels" in (book.resync_reason or "")
    assert len(book._bids) <= 50


def test_a_snapshot_past_the_side_cap_resyncs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book_levels, "MAX_LEVELS_PER_SIDE", 50)
    book = live_book(bids=60)
    assert book.needs_resync and "more than 50 levels" in (book.resync_reason or "")


def test_a_frame_past_the_frame_cap_is_not_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book_module, "MAX_LEVELS_PER_FRAME", 20)
    book = live_book(bids=5)
    update(book, T + 1, [PriceLevel(Decimal(900 - i), Decimal(1)) for i in range(21)])
    assert book.needs_resync and "more than 20 levels" in (book.resync_reason or "")
    assert len(book._bids) == 5  # nothing of it was applied
    assert book.counters()["oversized_frames"] == 1
