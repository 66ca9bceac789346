"""Fast paths of the book checked against the general path on random feeds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core import book_levels
from sor_tui.core.book import OrderBook
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel
from tests.core.book_helpers import NOW_NS

T = NOW_NS - 10**9
# Spellings of the same values and prices needing a larger scale, so cached ranks meet
# rescales and equal prices arrive as different Decimal objects.
PRICES = ["100", "100.0", "100.00", "99.5", "99.50", "101", "101.25", "98.125", "102", "97"]
AMOUNTS = ["0", "0.0", "1", "1.0", "2.5", "0.00000001", "3"]

level = st.tuples(st.sampled_from(PRICES), st.sampled_from(AMOUNTS))
updates = st.lists(st.tuples(st.lists(level, max_size=4), st.lists(level, max_size=4)), max_size=30)


def _book() -> OrderBook:
    book = OrderBook("BTCUSD", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    book.apply_snapshot(BookSnapshot("BTCUSD", T, "t", (), ()))
    return book


def _levels(raw: list[tuple[str, str]]) -> tuple[PriceLevel, ...]:
    return tuple(PriceLevel(Decimal(price), Decimal(amount)) for price, amount in raw)


def _shown(book: OrderBook) -> tuple[object, ...]:
    view = book.view(50)
    return (
        [(lv.price, lv.amount, lv.cumulative, lv.change) for lv in view.bids],
        [(lv.price, lv.amount, lv.cumulative, lv.change) for lv in view.asks],
        view.best_bid,
        view.best_ask,
        view.bid_levels,
        view.ask_levels,
    )


@pytest.mark.parametrize("cache_max", [1, 3, 4096])
@settings(max_examples=150, deadline=None, derandomize=True)
@given(feed=updates)
def test_cached_ranks_give_the_book_of_uncached_ranks(
    feed: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]],
    cache_max: int,
) -> None:
    original = book_levels.RANK_CACHE_MAX
    book_levels.RANK_CACHE_MAX = cache_max  # small bounds exercise the clear-when-full path
    try:
        fast, general = _book(), _book()
        # One Decimal object per spelling, as the decoder's caches hand them out.
        objects = {text: Decimal(text) for text in PRICES + AMOUNTS}
        for offset, (bids, asks) in enumerate(feed, start=1):
            shared = BookUpdate(
                "BTCUSD",
                T + offset,
                "t",
                tuple(PriceLevel(objects[p], objects[a]) for p, a in bids),
                tuple(PriceLevel(objects[p], objects[a]) for p, a in asks),
            )
            fast.apply_update(shared)
            general._bids.rank_of.clear()  # the general path: no cached rank
            general._asks.rank_of.clear()
            general.apply_update(
                BookUpdate("BTCUSD", T + offset, "t", _levels(bids), _levels(asks))
            )
            assert _shown(fast) == _shown(general)
        assert fast.needs_resync == general.needs_resync
    finally:
        book_levels.RANK_CACHE_MAX = original


snapshot_sides = st.tuples(
    st.lists(
        st.tuples(st.sampled_from([*PRICES, "-1", "1E-50"]), st.sampled_from([*AMOUNTS, "-1"])),
        max_size=40,
    ),
    st.lists(level, max_size=40),
)


def _loaded(bids: list[tuple[str, str]], asks: list[tuple[str, str]], bulk_min: int) -> OrderBook:
    original = book_levels.BULK_LOAD_MIN
    book_levels.BULK_LOAD_MIN = bulk_min
    try:
        book = OrderBook("BTCUSD", wall_clock_ns=lambda: NOW_NS)
        book.begin_sync()
        book.apply_snapshot(BookSnapshot("BTCUSD", T, "t", _levels(bids), _levels(asks)))
        return book
    finally:
        book_levels.BULK_LOAD_MIN = original


@settings(max_examples=200, deadline=None, derandomize=True)
@given(sides=snapshot_sides, feed=updates)
def test_bulk_snapshot_load_gives_the_book_of_level_by_level_inserts(
    sides: tuple[list[tuple[str, str]], list[tuple[str, str]]],
    feed: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]],
) -> None:
    bulk, general = _loaded(*sides, bulk_min=1), _loaded(*sides, bulk_min=10**9)
    assert bulk.needs_resync == general.needs_resync
    assert _shown(bulk) == _shown(general)
    for offset, (bids, asks) in enumerate(feed[:5], start=1):
        for book in (bulk, general):
            book.apply_update(BookUpdate("BTCUSD", T + offset, "t", _levels(bids), _levels(asks)))
        assert _shown(bulk) == _shown(general)
