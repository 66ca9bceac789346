"""Incremental views against a straightforward reference, and the fast view constructors."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, getcontext, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.book import OrderBook
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel
from sor_tui.core.frozen import twin
from sor_tui.core.views import LevelChange, LevelView
from tests.core.book_helpers import NOW_NS

T = NOW_NS - 10**9
WIDE = Context(prec=200)

# Prices near a mid so that changes land inside the shown top, with spellings and extra
# decimals that force the book's fixed-point scale to grow mid-feed.
bid_prices = st.builds(
    lambda ticks, extra: Decimal(100) - Decimal(ticks) / 4 - extra,
    st.integers(0, 40),
    st.sampled_from([Decimal(0), Decimal("0.000001"), Decimal("1E-12")]),
)
ask_prices = st.builds(
    lambda ticks, extra: Decimal(101) + Decimal(ticks) / 4 + extra,
    st.integers(0, 40),
    st.sampled_from([Decimal(0), Decimal("0.000001"), Decimal("1E-12")]),
)
positive_amounts = st.one_of(
    st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("2.5")]),
    # Many decimals: cumulative sums must stay exact far beyond 28 digits.
    st.builds(lambda n: Decimal(n).scaleb(-30), st.integers(1, 10**33)),
)
amounts = st.one_of(st.just(Decimal(0)), positive_amounts)
updates = st.lists(
    st.tuples(
        st.lists(st.tuples(bid_prices, amounts), max_size=3),
        st.lists(st.tuples(ask_prices, amounts), max_size=3),
    ),
    min_size=1,
    max_size=40,
)


def _levels(pairs: list[tuple[Decimal, Decimal]]) -> tuple[PriceLevel, ...]:
    return tuple(PriceLevel(price, amount) for price, amount in pairs)


def _apply(model: dict[Decimal, Decimal], pairs: list[tuple[Decimal, Decimal]]) -> None:
    for price, amount in pairs:
        if amount:
            model[price] = amount
        else:
            model.pop(price, None)


def _reference(
    model: dict[Decimal, Decimal], descending: bool, depth: int, before: dict[Decimal, Decimal]
) -> list[tuple[Decimal, Decimal, Decimal, LevelChange]]:
    """Best-first (price, amount, cumulative, change) computed the plain way."""
    shown = sorted(model.items(), reverse=descending)[:depth]
    out = []
    total = Decimal(0)
    for price, amount in shown:
        with localcontext(WIDE):
            total = total + amount
        prior = before.get(price)
        if prior is None:
            change = LevelChange.NEW
        elif amount > prior:
            change = LevelChange.UP
        elif amount < prior:
            change = LevelChange.DOWN
        else:
            change = LevelChange.NONE
        out.append((price, amount, total, change))
    return out


def _rows(levels: tuple[LevelView, ...]) -> list[tuple[Decimal, Decimal, Decimal, LevelChange]]:
    return [(lv.price, lv.amount, lv.cumulative, lv.change) for lv in levels]


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    snapshot_bids=st.lists(st.tuples(bid_prices, positive_amounts), max_size=30),
    snapshot_asks=st.lists(st.tuples(ask_prices, positive_amounts), max_size=30),
    feed=updates,
    depths=st.sampled_from([[25], [5], [3, 25], [1, 5, 25]]),
    reuse_objects=st.booleans(),
)
def test_incremental_views_equal_the_reference(
    snapshot_bids: list[tuple[Decimal, Decimal]],
    snapshot_asks: list[tuple[Decimal, Decimal]],
    feed: list[tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]],
    depths: list[int],
    reuse_objects: bool,
) -> None:
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    book.apply_snapshot(BookSnapshot("M", T, "t", _levels(snapshot_bids), _levels(snapshot_asks)))
    bids: dict[Decimal, Decimal] = {}
    asks: dict[Decimal, Decimal] = {}
    _apply(bids, snapshot_bids)
    _apply(asks, snapshot_asks)
    # Several depths read in turn exercise the shared touch record's restart path.
    previous: dict[int, tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]] | None] = {
        depth: None for depth in depths
    }
    objects: dict[Decimal, Decimal] = {}
    for offset, (bid_pairs, ask_pairs) in enumerate(feed, start=1):
        if reuse_objects:
            # The decoder hands out one object per repeated string: identity shortcuts.
            bid_pairs = [(p, objects.setdefault(a, a)) for p, a in bid_pairs]
            ask_pairs = [(p, objects.setdefault(a, a)) for p, a in ask_pairs]
        book.apply_update(BookUpdate("M", T + offset, "t", _levels(bid_pairs), _levels(ask_pairs)))
        _apply(bids, bid_pairs)
        _apply(asks, ask_pairs)
        for depth in depths[: 1 + offset % len(depths)]:
            view = book.view(depth)
            base = previous[depth]
            before_bids, before_asks = base if base is not None else (None, None)
            expected_bids = _reference(bids, True, depth, before_bids or {})
            expected_asks = _reference(asks, False, depth, before_asks or {})
            if base is None:  # the first view of a depth marks nothing
                expected_bids = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected_bids]
                expected_asks = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected_asks]
            assert _rows(view.bids) == expected_bids
            assert _rows(view.asks) == expected_asks
            assert view.bid_levels == len(bids) and view.ask_levels == len(asks)
            previous[depth] = (
                {p: a for p, a, _, _ in expected_bids},
                {p: a for p, a, _, _ in expected_asks},
            )


def test_cumulative_sums_are_exact_under_a_coarse_caller_context() -> None:
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    tiny = Decimal("0.000000000000000000000000000001")  # 1E-30
    book.apply_snapshot(
        BookSnapshot(
            "M", T, "t", _levels([(Decimal(100), Decimal(10**12)), (Decimal(99), tiny)]), ()
        )
    )
    book.view(5)
    with localcontext(Context(prec=5)) as coarse:
        book.apply_update(BookUpdate("M", T + 1, "t", _levels([(Decimal(98), tiny)]), ()))
        view = book.view(5)
        assert getcontext() is coarse  # the caller's context is left as it was
    assert view.bids[-1].cumulative == Decimal("1000000000000.000000000000000000000000000002")
    assert view.bids[-1].change is LevelChange.NEW


def test_view_levels_are_ordinary_frozen_level_views() -> None:
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    book.apply_snapshot(BookSnapshot("M", T, "t", _levels([(Decimal(99), Decimal(1))]), ()))
    book.view(5)
    book.apply_update(BookUpdate("M", T + 1, "t", _levels([(Decimal(98), Decimal(2))]), ()))
    levels = book.view(5).bids
    assert [level.change for level in levels] == [LevelChange.NONE, LevelChange.NEW]
    for level in levels:
        plain = LevelView(level.price, level.amount, level.cumulative, level.change)
        assert type(level) is LevelView
        assert level == plain and hash(level) == hash(plain)
        assert repr(level) == repr(plain)
        with pytest.raises(dataclasses.FrozenInstanceError):
            level.price = Decimal(0)  # type: ignore[misc]


def test_a_twin_has_exactly_the_slots_of_its_class() -> None:
    level_twin = twin(LevelView)
    assert sorted(level_twin.__slots__) == sorted(f.name for f in dataclasses.fields(LevelView))
    built = level_twin()
    built.price, built.amount, built.cumulative, built.change = (
        Decimal("1.5"),
        Decimal(2),
        Decimal("3.25"),
        LevelChange.UP,
    )
    built.__class__ = LevelView
    assert built == LevelView(Decimal("1.5"), Decimal(2), Decimal("3.25"), LevelChange.UP)


def test_a_view_follows_its_floor_down_after_deletes_at_the_top() -> None:
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    bids = tuple(PriceLevel(Decimal(100 - i), Decimal(1)) for i in range(10))
    book.apply_snapshot(BookSnapshot("M", T, "t", bids, ()))
    book.view(3)
    gone = (PriceLevel(Decimal(100), Decimal(0)), PriceLevel(Decimal(99), Decimal(0)))
    book.apply_update(BookUpdate("M", T + 1, "t", gone, ()))
    assert [lv.price for lv in book.view(3).bids] == [Decimal(98), Decimal(97), Decimal(96)]
    # 96 is now shown, below the old lowest shown level: its change must be seen.
    book.apply_update(BookUpdate("M", T + 2, "t", (PriceLevel(Decimal(96), Decimal(5)),), ()))
    view = book.view(3)
    assert view.bids[-1].amount == Decimal(5) and view.bids[-1].change is LevelChange.UP


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    feed=st.lists(
        st.lists(
            st.tuples(st.integers(0, 12), st.sampled_from(["0", "0", "1", "2.5", "0.00000003"])),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=60,
    ),
    depth=st.sampled_from([1, 2, 3, 6]),
)
def test_shallow_views_of_a_churning_top_equal_the_reference(
    feed: list[list[tuple[int, str]]], depth: int
) -> None:
    # Few prices and many deletes: the shown levels and the lowest shown rank move a lot.
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    start = [(Decimal(100 - tick), Decimal(1)) for tick in range(13)]
    book.apply_snapshot(BookSnapshot("M", T, "t", _levels(start), ()))
    model = dict(start)
    before: dict[Decimal, Decimal] | None = None
    for offset, changes in enumerate(feed, start=1):
        pairs = [(Decimal(100 - tick), Decimal(amount)) for tick, amount in changes]
        book.apply_update(BookUpdate("M", T + offset, "t", _levels(pairs), ()))
        _apply(model, pairs)
        expected = _reference(model, True, depth, before or {})
        if before is None:
            expected = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected]
        assert _rows(book.view(depth).bids) == expected
        before = {p: a for p, a, _, _ in expected}


def _grouped_reference(
    model: dict[Decimal, Decimal], descending: bool, depth: int, group: Decimal
) -> list[tuple[Decimal, Decimal, Decimal]]:
    """Best-first (bucket, sum, cumulative) of ``group`` buckets (bids floor, asks ceil)."""
    rounding = ROUND_FLOOR if descending else ROUND_CEILING
    sums: dict[Decimal, Decimal] = {}
    with localcontext(WIDE):
        for price, amount in model.items():
            bucket = (price / group).to_integral_value(rounding=rounding) * group
            sums[bucket] = sums.get(bucket, Decimal(0)) + amount
        out = []
        total = Decimal(0)
        for bucket, amount in sorted(sums.items(), reverse=descending)[:depth]:
            total = total + amount
            out.append((bucket, amount, total))
    return out


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    snapshot_bids=st.lists(st.tuples(bid_prices, positive_amounts), max_size=30),
    snapshot_asks=st.lists(st.tuples(ask_prices, positive_amounts), max_size=30),
    feed=updates,
    reads=st.lists(
        st.sampled_from(["plain", "again", "grouped", "other-depth"]), min_size=1, max_size=4
    ),
)
def test_mixed_reads_of_one_book_equal_the_reference(
    snapshot_bids: list[tuple[Decimal, Decimal]],
    snapshot_asks: list[tuple[Decimal, Decimal]],
    feed: list[tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]],
    reads: list[str],
) -> None:
    # The ungrouped fast path shares the book with grouped views and other depths (their
    # states set the watch floors together), and a repeated read clears marks only.
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    book.apply_snapshot(BookSnapshot("M", T, "t", _levels(snapshot_bids), _levels(snapshot_asks)))
    bids: dict[Decimal, Decimal] = {}
    asks: dict[Decimal, Decimal] = {}
    _apply(bids, snapshot_bids)
    _apply(asks, snapshot_asks)
    depth, other, group = 6, 2, Decimal("0.5")
    before: tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]] | None = None
    for offset, (bid_pairs, ask_pairs) in enumerate(feed, start=1):
        book.apply_update(BookUpdate("M", T + offset, "t", _levels(bid_pairs), _levels(ask_pairs)))
        _apply(bids, bid_pairs)
        _apply(asks, ask_pairs)
        read = reads[offset % len(reads)]
        if read == "grouped":
            grouped = book.view(depth, group)
            assert [(lv.price, lv.amount, lv.cumulative) for lv in grouped.bids] == (
                _grouped_reference(bids, True, depth, group)
            )
            assert [(lv.price, lv.amount, lv.cumulative) for lv in grouped.asks] == (
                _grouped_reference(asks, False, depth, group)
            )
        elif read == "other-depth":
            shallow = book.view(other)
            assert [lv.price for lv in shallow.bids] == sorted(bids, reverse=True)[:other]
            assert [lv.price for lv in shallow.asks] == sorted(asks)[:other]
        view = book.view(depth)
        old_bids, old_asks = before if before is not None else ({}, {})
        expected_bids = _reference(bids, True, depth, old_bids)
        expected_asks = _reference(asks, False, depth, old_asks)
        if before is None:
            expected_bids = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected_bids]
            expected_asks = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected_asks]
        assert _rows(view.bids) == expected_bids
        assert _rows(view.asks) == expected_asks
        best_bid = max(bids) if bids else None
        best_ask = min(asks) if asks else None
        assert (view.best_bid, view.best_ask) == (best_bid, best_ask)
        if best_bid is not None and best_ask is not None:
            with localcontext(WIDE):
                assert view.spread == best_ask - best_bid
                assert view.mid == (best_bid + best_ask) / 2
            assert view.crossed == (best_bid > best_ask)
        else:
            assert view.spread is None and view.mid is None
        if read == "again":
            # Nothing changed since: the same levels, none marked, then the same object.
            repeated = book.view(depth)
            assert [row[:3] for row in _rows(repeated.bids)] == [r[:3] for r in expected_bids]
            assert [row[:3] for row in _rows(repeated.asks)] == [r[:3] for r in expected_asks]
            assert all(lv.change is LevelChange.NONE for lv in repeated.bids + repeated.asks)
            assert book.view(depth) is repeated
            expected_bids = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected_bids]
            expected_asks = [(p, a, c, LevelChange.NONE) for p, a, c, _ in expected_asks]
        before = ({p: a for p, a, _, _ in expected_bids}, {p: a for p, a, _, _ in expected_asks})


def test_an_ask_view_follows_its_floor_down_while_the_bids_stay_put() -> None:
    # Only the ask side's lowest shown level moves: its watch floor must follow alone.
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    bids = tuple(PriceLevel(Decimal(90 - i), Decimal(1)) for i in range(10))
    asks = tuple(PriceLevel(Decimal(100 + i), Decimal(1)) for i in range(10))
    book.apply_snapshot(BookSnapshot("M", T, "t", bids, asks))
    book.view(3)
    gone = (PriceLevel(Decimal(100), Decimal(0)), PriceLevel(Decimal(101), Decimal(0)))
    book.apply_update(BookUpdate("M", T + 1, "t", (), gone))
    assert [lv.price for lv in book.view(3).asks] == [Decimal(102), Decimal(103), Decimal(104)]
    book.apply_update(BookUpdate("M", T + 2, "t", (), (PriceLevel(Decimal(104), Decimal(5)),)))
    view = book.view(3)
    assert view.asks[-1].amount == Decimal(5) and view.asks[-1].change is LevelChange.UP
    assert [lv.price for lv in view.bids] == [Decimal(90), Decimal(89), Decimal(88)]
