"""View states are bounded: a view read once does not cost the views read every frame."""

from __future__ import annotations

from decimal import Decimal

from sor_tui.core.book_views.cache import KEEP_READS
from tests.core.book_helpers import NOW_NS, make_book, sides, snapshot, update

T = NOW_NS - 10**9
DEEP = 100  # levels per side; the views below show 25
FULL = 1_000_000  # a full-depth read, as recording start does


def deep_book():  # type: ignore[no-untyped-def]
    book = make_book()
    book.begin_sync()
    bids = tuple((str(1000 - i), "1") for i in range(DEEP))
    asks = tuple((str(1001 + i), "1") for i in range(DEEP))
    book.apply_snapshot(snapshot(T, bids, asks))
    return book


def deep_update(book, step: int) -> None:  # type: ignore[no-untyped-def]
    """Change a bid and an ask far below the top 25 (a 25-level view cannot show them)."""
    amount = str(2 + step % 5)
    book.apply_update(update(T + 1 + step, (("910", amount),), (("1090", amount),)))


def test_a_one_off_full_depth_read_does_not_slow_later_top_views() -> None:
    book = deep_book()
    book.view(25)
    book.view(FULL)  # once, never again
    for step in range(2 * KEEP_READS):
        deep_update(book, step)
        book.view(25)
    reads = book.view_stats()["side_reads"]
    for step in range(2 * KEEP_READS, 3 * KEEP_READS):
        deep_update(book, step)
        book.view(25)
    # Changes below the shown top: the 25-level view reuses both sides without reading them.
    assert book.view_stats()["side_reads"] == reads
    assert book.view_stats()["kept"] == 1


def test_views_read_every_frame_keep_their_state_and_stay_right() -> None:
    book = deep_book()
    for step in range(3 * KEEP_READS):
        deep_update(book, step)
        top = book.view(25)
        full = book.view(FULL)
        grouped = book.view(5, Decimal(10))
    assert book.view_stats()["kept"] == 3
    assert [level.price for level in top.bids] == [level.price for level in full.bids[:25]]
    assert [(level.price, level.amount) for level in grouped.bids[:2]] == [
        (1000, 1),
        (990, 10),  # bids floor into buckets: 999..990
    ]
    bids, asks = sides(book, FULL)
    assert len(bids) == len(asks) == DEEP
    assert dict(bids)[bids[90][0]] == bids[90][1]


def test_a_dropped_view_is_rebuilt_whole_when_read_again() -> None:
    book = deep_book()
    first = book.view(FULL)
    steps = 2 * KEEP_READS
    for step in range(steps):
        deep_update(book, step)
        book.view(25)
    assert book.view_stats()["kept"] == 1
    again = book.view(FULL)
    assert len(again.bids) == len(first.bids) == DEEP
    assert all(level.change == 0 for level in again.bids)  # a first view marks nothing
    assert again.bids[90].amount == 2 + (steps - 1) % 5
