"""OrderBook: synchronization, level rules, integrity and views."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sor_tui.core.views import BookStatus, LevelChange
from tests.core.book_helpers import NOW_NS, d, make_book, sides, snapshot, update

T = NOW_NS - 60 * 10**9  # snapshot time used throughout: a minute before "now"


def live_book(**options: object):  # type: ignore[no-untyped-def]
    """A LIVE book: bids 100/99, asks 101/102, snapshot at T."""
    book = make_book(**options)
    book.begin_sync()
    book.apply_snapshot(snapshot(T, (("100", "1"), ("99", "2")), (("101", "3"), ("102", "4"))))
    return book


class TestSync:
    """Subscribe, buffer, snapshot, resubscribe."""

    def test_new_book_is_idle_and_ignores_data(self) -> None:
        book = make_book()
        assert book.status is BookStatus.IDLE
        assert book.apply_snapshot(snapshot(T, (("100", "1"),))) is False
        book.apply_update(update(T + 1, (("100", "1"),)))
        assert book.view(10).bids == ()
        assert book.snapshots_ignored == 1
        assert book.dropped_not_live == 1

    def test_updates_before_snapshot_filtered_by_time(self) -> None:
        book = make_book()
        book.begin_sync()
        book.apply_update(update(T - 1, (("100", "7"),)))  # before: dropped
        book.apply_update(update(T, (("99", "7"),)))  # equal: dropped
        book.apply_update(update(T + 1, (("98", "5"),)))  # after: applied
        assert book.status is BookStatus.SYNCING
        assert book.buffered == 3
        assert book.view(10).bids == ()  # nothing is shown before the snapshot
        book.apply_snapshot(snapshot(T, (("100", "1"), ("99", "2")), (("101", "3"),)))
        assert book.view(1).status is BookStatus.LIVE
        assert book.buffered == 0
        bids, asks = sides(book)
        assert bids == [(d("100"), d("1")), (d("99"), d("2")), (d("98"), d("5"))]
        assert asks == [(d("101"), d("3"))]
        assert book.dropped_stale_time == 2
        assert book.updates_applied == 1
        assert book.snapshot_time_ns == T
        assert book.last_update_ns == T + 1

    def test_buffered_updates_apply_in_arrival_order_not_time_order(self) -> None:
        book = make_book()
        book.begin_sync()
        book.apply_update(update(T + 5, (("100", "5"),)))
        book.apply_update(update(T + 2, (("100", "2"),)))  # arrives later: wins
        book.apply_snapshot(snapshot(T, (("100", "1"),)))
        assert sides(book)[0] == [(d("100"), d("2"))]
        assert book.time_regressions == 1

    def test_live_updates_at_or_before_snapshot_time_are_applied_and_counted(self) -> None:
        # Levels carry absolute amounts: applying a late live UPDATE again is harmless,
        # dropping one loses a change. Only buffered pre-snapshot UPDATEs are filtered.
        book = live_book()
        assert book.apply_update(update(T, (("100", "9"),))) is True
        assert sides(book)[0][0] == (d("100"), d("9"))
        assert book.apply_update(update(T - 10, (("100", "8"),))) is True
        assert sides(book)[0][0] == (d("100"), d("8"))
        assert book.late_updates == 2
        assert book.dropped_stale_time == 0

    def test_second_snapshot_replaces_the_book(self) -> None:
        book = live_book()
        book.apply_snapshot(snapshot(T + 100, (("50", "1"),), (("60", "1"),)))
        assert sides(book) == ([(d("50"), d("1"))], [(d("60"), d("1"))])

    def test_resubscribe_forgets_old_snapshot_time(self) -> None:
        book = live_book()
        book.apply_update(update(T + 10, (("100", "5"),)))
        book.reset()
        assert book.status is BookStatus.IDLE
        assert book.view(10).bids == ()
        book.begin_sync()
        assert book.view(1).status is BookStatus.SYNCING
        # The new subscription's snapshot may even be older than the old one (other venue
        # clock): only its own time may filter.
        book.apply_update(update(T - 50, (("97", "1"),)))
        book.apply_snapshot(snapshot(T - 100, (("96", "1"),), (("105", "1"),)))
        book.apply_update(update(T - 40, (("95", "1"),)))
        bids, _ = sides(book)
        assert bids == [(d("97"), d("1")), (d("96"), d("1")), (d("95"), d("1"))]

    def test_begin_sync_on_live_book_buffers_instead_of_applying(self) -> None:
        book = live_book()
        book.begin_sync()
        book.apply_update(update(T + 10, (("100", "5"),)))
        view = book.view(10)
        assert view.status is BookStatus.SYNCING
        assert view.bids == () and view.asks == ()
        assert book.buffered == 1

    def test_snapshot_skips_zero_levels_and_handles_empty_sides(self) -> None:
        book = make_book()
        book.begin_sync()
        book.apply_snapshot(snapshot(T, (("100", "0.000"), ("99", "1")), ()))
        bids, asks = sides(book)
        assert bids == [(d("99"), d("1"))]
        assert asks == []
        view = book.view(5)
        assert view.best_ask is None and view.spread is None and view.mid is None


class TestLevels:
    """Level rules: totals, deletes, canonical prices, invalid levels."""

    @pytest.mark.parametrize("zero", ["0", "0.0", "0.00000000", "-0", "0E-8"])
    def test_every_zero_spelling_deletes(self, zero: str) -> None:
        book = live_book()
        book.apply_update(update(T + 1, (("100", zero),), (("101", zero),)))
        bids, asks = sides(book)
        assert bids == [(d("99"), d("2"))]
        assert asks == [(d("102"), d("4"))]

    def test_price_spellings_are_one_level(self) -> None:
        book = live_book()
        book.apply_update(update(T + 1, (("50000", "1"),)))
        book.apply_update(update(T + 2, (("50000.0", "2"),)))
        book.apply_update(update(T + 3, (("50000.00", "3"),)))
        view = book.view(10)
        assert view.bid_levels == 3
        assert view.bids[0].price == d("50000")
        assert view.bids[0].amount == d("3")
        book.apply_update(update(T + 4, (("50000.000", "0"),)))
        assert book.view(10).bid_levels == 2

    def test_duplicate_price_in_one_update_last_wins(self) -> None:
        book = live_book()
        book.apply_update(update(T + 1, (("100", "5"), ("100.0", "0"))))
        assert sides(book)[0] == [(d("99"), d("2"))]
        book.apply_update(update(T + 2, (("98", "0"), ("98", "4"))))
        assert sides(book)[0] == [(d("99"), d("2")), (d("98"), d("4"))]
        book.apply_update(update(T + 3, (), (("103", "1"), ("103", "2"), ("103.00", "6"))))
        assert sides(book)[1][-1] == (d("103"), d("6"))

    def test_amount_is_a_total_not_a_delta(self) -> None:
        book = live_book()
        book.apply_update(update(T + 1, (("100", "1.5"),)))
        book.apply_update(update(T + 2, (("100", "1.5"),)))
        assert sides(book)[0][0] == (d("100"), d("1.5"))

    def test_delete_of_missing_level_is_harmless(self) -> None:
        book = live_book()
        book.apply_update(update(T + 1, (("42", "0"),)))
        assert book.view(10).bid_levels == 2

    def test_prices_with_growing_precision_stay_exact_and_ordered(self) -> None:
        book = live_book()
        prices = ["99.5", "99.25", "99.125", "99.0000001", "99.99999999999"]
        for offset, price in enumerate(prices, start=1):
            book.apply_update(update(T + offset, ((price, "1"),)))
        bids = [price for price, _ in sides(book)[0]]
        assert bids == sorted(bids, reverse=True)
        assert set(map(Decimal, prices)) <= set(bids)
        assert book.view(1).best_bid == d("100")
        book.apply_update(update(T + 10, (("99.99999999999000", "0"),)))
        assert d("99.99999999999") not in [price for price, _ in sides(book)[0]]

    def test_cached_price_ranks_follow_a_scale_change(self) -> None:
        # Same Decimal objects again and again (as the decoder hands them), across a rescale.
        book = live_book()
        hundred, ninety_eight = d("100"), d("98")
        for offset, amount in enumerate(("5", "6"), start=1):
            book.apply_update(update(T + offset, ((str(hundred), amount), ("98", amount))))
        book.apply_update(update(T + 3, (("99.125", "1"),)))  # scale 0 -> 3
        fast = book.view(10)
        book.apply_update(update(T + 4, (("100", "7"), ("98.000", "0"))))
        bids, _ = sides(book)
        assert bids == [(hundred, d("7")), (d("99.125"), d("1")), (d("99"), d("2"))]
        assert ninety_eight not in [price for price, _ in bids]
        assert fast.bids[0].amount == d("6")

    def test_tiny_amounts_are_exact(self) -> None:
        book = live_book()
        book.apply_update(update(T + 1, (("98", "0.00000001"), ("97", "0.00000002"))))
        view = book.view(10)
        assert view.bids[-1].cumulative == d("3.00000003")

    @pytest.mark.parametrize(
        ("price", "amount"),
        [
            ("100", "-1"),
            ("0", "1"),
            ("-5", "1"),
            ("100", "NaN"),
            ("NaN", "1"),
            ("Infinity", "1"),
            ("100", "Infinity"),
            ("1E-50", "1"),
            ("sNaN", "1"),  # cannot even be hashed (the price-to-rank cache)
        ],
    )
    def test_impossible_level_asks_for_resync(self, price: str, amount: str) -> None:
        book = live_book()
        book.apply_update(update(T + 1, ((price, amount),)))
        assert book.needs_resync
        assert book.resync_reason is not None and "invalid" in book.resync_reason


class TestTime:
    """Time regressions and far-future times."""

    def test_time_going_backwards_is_applied_and_counted(self) -> None:
        book = live_book()
        book.apply_update(update(T + 10, (("100", "5"),)))
        book.apply_update(update(T + 5, (("100", "6"),)))
        assert sides(book)[0][0] == (d("100"), d("6"))
        assert book.time_regressions == 1
        assert book.last_update_ns == T + 10
        assert any("backwards" in flag for flag in book.view(5).flags)

    def test_far_future_update_is_applied_but_never_becomes_a_threshold(self) -> None:
        book = live_book()
        future = NOW_NS + 10 * 365 * 86_400 * 10**9
        book.apply_update(update(future, (("100", "5"),)))
        assert book.future_times == 1
        assert book.last_update_ns == T
        book.apply_update(update(T + 1, (("100", "6"),)))
        assert sides(book)[0][0] == (d("100"), d("6"))
        assert book.time_regressions == 0
        assert any("future" in flag for flag in book.view(5).flags)
        assert not book.needs_resync

    def test_future_within_tolerance_is_normal(self) -> None:
        book = live_book(future_tolerance_ns=10**9)
        book.apply_update(update(NOW_NS + 10**9, (("100", "5"),)))
        assert book.future_times == 0
        assert book.last_update_ns == NOW_NS + 10**9

    def test_far_future_snapshot_does_not_drop_later_updates(self) -> None:
        book = make_book()
        book.begin_sync()
        future = NOW_NS + 86_400 * 10**9
        book.apply_snapshot(snapshot(future, (("100", "1"),), (("101", "1"),)))
        assert book.status is BookStatus.LIVE
        assert book.needs_resync and "future" in (book.resync_reason or "")
        book.apply_update(update(NOW_NS, (("100", "2"),)))
        assert sides(book)[0] == [(d("100"), d("2"))]

    def test_wall_clock_is_read_again_when_it_advances(self) -> None:
        clock = [NOW_NS]
        book = make_book()
        book = type(book)("BTCUSD", wall_clock_ns=lambda: clock[0], future_tolerance_ns=10)
        book.begin_sync()
        book.apply_snapshot(snapshot(T, (("100", "1"),)))
        book.apply_update(update(NOW_NS + 100, (("100", "2"),)))
        assert book.future_times == 1
        clock[0] = NOW_NS + 1000
        book.apply_update(update(NOW_NS + 200, (("100", "3"),)))
        assert book.future_times == 1
        assert book.last_update_ns == NOW_NS + 200


class TestBufferAndResync:
    """Buffer overflow, crossed books, stale and resyncing states."""

    def test_buffer_overflow_asks_for_resync_and_drops_nothing_silently(self) -> None:
        book = make_book(max_buffer=3)
        book.begin_sync()
        for offset in range(3):
            book.apply_update(update(T + offset + 1, (("100", str(offset + 1)),)))
        assert not book.needs_resync
        book.apply_update(update(T + 10, (("100", "9"),)))
        assert book.needs_resync
        assert "3 updates" in (book.resync_reason or "")
        assert book.dropped_overflow == 1
        book.apply_update(update(T + 11, (("100", "9"),)))
        assert book.dropped_overflow == 2
        # The lost updates cannot be recovered: the snapshot must not make the book LIVE.
        assert book.apply_snapshot(snapshot(T, (("100", "1"),))) is False
        assert book.status is not BookStatus.LIVE
        book.begin_sync()
        assert not book.needs_resync and book.buffered == 0
        book.apply_snapshot(snapshot(T, (("100", "1"),)))
        assert book.status is BookStatus.LIVE

    def test_momentary_cross_and_lock_are_flagged_not_resynced(self) -> None:
        book = live_book(max_crossed_updates=3)
        book.apply_update(update(T + 1, (("101", "1"),)))
        view = book.view(5)
        assert view.locked and not view.crossed
        assert view.spread == 0
        book.apply_update(update(T + 2, (("101.5", "1"),)))
        view = book.view(5)
        assert view.crossed and not view.locked
        assert view.spread == d("-0.5")
        book.apply_update(update(T + 3, (("101.5", "0"), ("101", "0"))))
        assert not book.view(5).crossed
        assert not book.needs_resync

    def test_persistent_cross_asks_for_resync(self) -> None:
        book = live_book(max_crossed_updates=3)
        for offset in range(1, 3):
            book.apply_update(update(T + offset, (("101.5", str(offset)),)))
        assert not book.needs_resync
        book.apply_update(update(T + 3, (("101.5", "7"),)))
        assert book.needs_resync
        assert "crossed" in (book.resync_reason or "")

    def test_cross_lasting_too_long_asks_for_resync(self) -> None:
        clock = [NOW_NS]
        book = make_book()
        book = type(book)("BTCUSD", wall_clock_ns=lambda: clock[0], max_crossed_ns=10**9)
        book.begin_sync()
        book.apply_snapshot(snapshot(T, (("102", "1"),), (("101", "1"),)))
        assert not book.needs_resync
        clock[0] += 10**9
        book.apply_update(update(T + 1, (("102", "2"),)))
        assert book.needs_resync

    def test_stale_keeps_levels_and_drops_data(self) -> None:
        book = live_book()
        book.mark_stale()
        view = book.view(5)
        assert view.status is BookStatus.STALE
        assert len(view.bids) == 2
        book.apply_update(update(T + 1, (("100", "0"),)))
        assert len(book.view(5).bids) == 2
        assert book.dropped_not_live == 1

    def test_resyncing_keeps_levels_until_begin_sync(self) -> None:
        book = live_book()
        book.request_resync("test")
        book.request_resync("second reason is not kept")
        assert book.resync_reason == "test"
        book.mark_resyncing()
        assert book.view(5).status is BookStatus.RESYNCING
        assert len(book.view(5).bids) == 2
        book.begin_sync()
        assert book.view(5).bids == ()
        assert not book.needs_resync


class TestView:
    """Views: ordering, cumulative sizes, spread, versions, marks, grouping."""

    def test_levels_best_first_with_cumulative_sizes(self) -> None:
        book = live_book()
        view = book.view(10)
        assert [(level.price, level.cumulative) for level in view.bids] == [
            (d("100"), d("1")),
            (d("99"), d("3")),
        ]
        assert [(level.price, level.cumulative) for level in view.asks] == [
            (d("101"), d("3")),
            (d("102"), d("7")),
        ]
        assert (view.bid_levels, view.ask_levels) == (2, 2)
        assert book.view(1).bids == view.bids[:1]

    def test_spread_mid_and_bps_are_exact(self) -> None:
        book = make_book()
        book.begin_sync()
        book.apply_snapshot(snapshot(T, (("3150.05", "1"),), (("3150.10", "1"),)))
        view = book.view(5)
        assert view.best_bid == d("3150.05") and view.best_ask == d("3150.10")
        assert view.spread == d("0.05")
        assert view.mid == d("3150.075")
        # 0.05 / 3150.075 * 10000 = 0.15872...
        assert view.spread_bps == d("0.16")

    def test_version_changes_with_every_change_and_only_then(self) -> None:
        book = live_book()
        first = book.view(5)
        assert book.view(5) is first
        assert book.view(5).version == first.version
        book.apply_update(update(T + 1, (("50", "7"),)))  # below the shown depth
        assert book.view(5).version != first.version
        versions = {book.version}
        book.mark_stale()
        versions.add(book.version)
        book.begin_sync()
        versions.add(book.version)
        book.reset()
        versions.add(book.version)
        assert len(versions) == 4

    def test_change_marks_against_previous_view(self) -> None:
        book = live_book()
        book.view(10)
        book.apply_update(update(T + 1, (("100", "2"), ("99", "1"), ("98", "1")), (("101", "0"),)))
        view = book.view(10)
        marks = {level.price: level.change for level in view.bids + view.asks}
        assert marks == {
            d("100"): LevelChange.UP,
            d("99"): LevelChange.DOWN,
            d("98"): LevelChange.NEW,
            d("102"): LevelChange.NONE,
        }
        again = book.view(10)
        assert again.version == view.version
        assert all(level.change is LevelChange.NONE for level in again.bids + again.asks)
        assert book.view(10) is again

    def test_marks_stay_cleared_after_a_change_that_moves_no_level(self) -> None:
        book = live_book()
        book.view(10)
        book.apply_update(update(T + 1, (("98", "1"),)))
        assert book.view(10).bids[-1].change is LevelChange.NEW
        book.view(10)  # unchanged: marks cleared
        book.mark_stale()  # a new version, but no level moved
        view = book.view(10)
        assert view.status is BookStatus.STALE
        assert all(level.change is LevelChange.NONE for level in view.bids + view.asks)

    def test_marks_survive_a_scale_change(self) -> None:
        book = live_book()
        book.view(10)
        book.apply_update(update(T + 1, (("99.125", "1"), ("100", "4"))))
        view = book.view(10)
        marks = [(level.price, level.change) for level in view.bids]
        assert marks == [
            (d("100"), LevelChange.UP),
            (d("99.125"), LevelChange.NEW),
            (d("99"), LevelChange.NONE),
        ]

    def test_marks_are_tracked_per_depth(self) -> None:
        book = live_book()
        book.view(1)
        book.view(10)
        book.apply_update(update(T + 1, (("99", "5"),)))
        shallow = book.view(1)
        deep = book.view(10)
        assert shallow.bids[0].change is LevelChange.NONE
        assert deep.bids[1].change is LevelChange.UP

    def test_shallow_view_sees_every_change_within_its_depth(self) -> None:
        book = make_book()
        book.begin_sync()
        bids = (("100", "1"), ("99", "1"), ("98", "1"), ("97", "1"))
        asks = (("101", "1"), ("102", "1"), ("103", "1"))
        book.apply_snapshot(snapshot(T, bids, asks))
        book.view(2)
        book.apply_update(update(T + 1, (("99", "5"),), (("102", "6"),)))  # the lowest shown
        view = book.view(2)
        assert [level.amount for level in view.bids] == [d("1"), d("5")]
        assert [level.amount for level in view.asks] == [d("1"), d("6")]
        book.apply_update(update(T + 2, (("99.5", "2"),), (("101", "0"),)))  # in between, top
        view = book.view(2)
        assert [level.price for level in view.bids] == [d("100"), d("99.5")]
        assert [level.price for level in view.asks] == [d("102"), d("103")]

    def test_changes_below_a_shallow_view_reuse_its_levels(self) -> None:
        book = live_book()
        first = book.view(1)
        book.apply_update(update(T + 1, (("99", "9"), ("50", "1")), (("102", "0"),)))
        second = book.view(1)
        assert second.version != first.version
        assert second.bids is first.bids and second.asks is first.asks
        deep = book.view(10)
        assert [level.price for level in deep.bids] == [d("100"), d("99"), d("50")]
        book.apply_update(update(T + 2, (("99", "3"),)))
        # The deeper view also watches: its change is seen, the shallow view stays as it was.
        assert book.view(10).bids[1].amount == d("3")
        assert book.view(1).bids is first.bids

    def test_short_side_view_sees_levels_added_below(self) -> None:
        book = live_book()
        book.view(5)
        book.apply_update(update(T + 1, (("10", "1"),)))
        assert [level.price for level in book.view(5).bids] == [d("100"), d("99"), d("10")]

    def test_first_view_has_no_marks(self) -> None:
        book = live_book()
        view = book.view(10)
        assert all(level.change is LevelChange.NONE for level in view.bids + view.asks)

    def test_grouping_floors_bids_and_ceils_asks(self) -> None:
        book = make_book()
        book.begin_sync()
        bids = (("100.75", "1"), ("100.25", "2"), ("100", "3"), ("99.5", "4"), ("98.1", "5"))
        asks = (("101", "1"), ("101.25", "2"), ("102", "3"), ("102.01", "4"))
        book.apply_snapshot(snapshot(T, bids, asks))
        view = book.view(10, d("1"))
        assert [(level.price, level.amount, level.cumulative) for level in view.bids] == [
            (d("100"), d("6"), d("6")),
            (d("99"), d("4"), d("10")),
            (d("98"), d("5"), d("15")),
        ]
        assert [(level.price, level.amount) for level in view.asks] == [
            (d("101"), d("1")),
            (d("102"), d("5")),
            (d("103"), d("4")),
        ]
        assert view.best_bid == d("100.75")  # best prices stay ungrouped
        assert [level.price for level in book.view(2, d("1")).bids] == [d("100"), d("99")]

    def test_grouping_finer_than_prices(self) -> None:
        book = live_book()
        view = book.view(10, d("0.001"))
        assert [level.price for level in view.bids] == [d("100"), d("99")]
        assert [level.price for level in view.asks] == [d("101"), d("102")]

    @pytest.mark.parametrize("group", ["0", "-1", "NaN"])
    def test_invalid_group_is_refused(self, group: str) -> None:
        book = live_book()
        with pytest.raises(ValueError):
            book.view(5, Decimal(group))

    def test_zero_depth(self) -> None:
        view = live_book().view(0)
        assert view.bids == () and view.asks == ()
        assert view.best_bid == d("100")


def test_fast_view_construction_equals_the_dataclass_constructor() -> None:
    from dataclasses import fields

    from sor_tui.core.views import BookView

    book = live_book()
    book.apply_update(update(T + 1, (("100", "0"),)))
    view = book.view(10)
    values = tuple(getattr(view, f.name) for f in fields(BookView))
    assert type(view) is BookView
    assert BookView(*values) == view
    assert hash(BookView(*values)) == hash(view)
