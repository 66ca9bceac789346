"""Deep snapshot levels held as integer units of 1E-8: exact, and shown as the same Decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core import book_levels
from sor_tui.core.book import OrderBook
from sor_tui.core.book_levels import SNAPSHOT_DECIMAL_LEVELS, decimal_amount
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel
from sor_tui.core.protocol import decode
from tests.core.book_helpers import NOW_NS

T = NOW_NS - 10**9
DEEP = SNAPSHOT_DECIMAL_LEVELS + 72


def _is_compact(value: object) -> bool:
    return type(value) is int


def _is_decimal(value: object) -> bool:
    return type(value) is Decimal


def _exponent(value: object) -> int:
    assert isinstance(value, Decimal)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent


def _book(bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]) -> OrderBook:
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    book.apply_snapshot(
        BookSnapshot(
            "M",
            T,
            "t",
            tuple(PriceLevel(p, a) for p, a in bids),
            tuple(PriceLevel(p, a) for p, a in asks),
        )
    )
    return book


def _deep_side(count: int, base: int, step: int) -> list[tuple[Decimal, Decimal]]:
    # Amounts with up to 8 decimals (compacted) and a few with more (kept as Decimal).
    return [
        (
            Decimal(base + step * i),
            Decimal(f"{i}.{i * 7919 % 10**8:08d}") if i % 9 else Decimal(f"1.{i:012d}1"),
        )
        for i in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("units", "text"),
    [(1, "0.00000001"), (10**8, "1"), (150_000_000, "1.5"), (10**10, "100"), (123, "0.00000123")],
)
def test_decimal_amount_is_canonical(units: int, text: str) -> None:
    assert str(decimal_amount(units)) == str(Decimal(text))  # as the decoder parses it
    assert decimal_amount(units) == Decimal(units).scaleb(-8)


def test_deep_levels_are_compact_and_the_best_stay_decimal() -> None:
    bids = _deep_side(DEEP, 10_000, -1)
    book = _book(bids, [])
    held = book._bids.levels
    best_ranks = book._bids.ranks[-SNAPSHOT_DECIMAL_LEVELS:]
    assert all(_is_decimal(held[rank]) for rank in best_ranks)
    compact = [value for value in held.values() if _is_compact(value)]
    assert len(compact) > DEEP - SNAPSHOT_DECIMAL_LEVELS - 10  # every ninth keeps 13 decimals
    assert any(_is_decimal(value) and _exponent(value) < -8 for value in held.values())


def test_a_full_view_of_a_deep_book_equals_its_snapshot() -> None:
    bids = _deep_side(DEEP, 10_000, -1)
    asks = _deep_side(DEEP, 20_000, 1)
    book = _book(bids, asks)
    view = book.view(DEEP)
    assert [(lv.price, lv.amount) for lv in view.bids] == bids
    assert [(lv.price, lv.amount) for lv in view.asks] == asks
    # Values are equal; spellings are the decoder's (no trailing zeros): see the next test.
    assert str(view.bids[129].amount) == "130.0102947" and str(bids[129][1]) == "130.01029470"
    assert view.bids[-1].cumulative == sum(a for _, a in bids)
    # Shown once, a level holds its Decimal again; a grouped view sums compact levels.
    assert not any(_is_compact(value) for value in book._bids.levels.values())
    grouped = _book(bids, asks).view(3, Decimal(100))
    assert grouped.bids[-1].amount == sum(a for p, a in bids if 9_800 <= p < 9_900)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    deletes=st.lists(st.integers(0, DEEP - 1), max_size=DEEP, unique=True),
    rewrite=st.integers(0, DEEP - 1),
)
def test_deep_levels_surface_exactly_as_the_top_is_deleted(
    deletes: list[int], rewrite: int
) -> None:
    bids = _deep_side(DEEP, 10_000, -1)
    book = _book(bids, [])
    book.view(25)
    model = dict(bids)
    offset = 1
    price, _ = bids[rewrite]
    book.apply_update(BookUpdate("M", T + offset, "t", (PriceLevel(price, Decimal("7.5")),), ()))
    model[price] = Decimal("7.5")
    for index in deletes:
        offset += 1
        price = bids[index][0]
        book.apply_update(BookUpdate("M", T + offset, "t", (PriceLevel(price, Decimal(0)),), ()))
        del model[price]
        view = book.view(25)
        expected = sorted(model.items(), reverse=True)[:25]
        assert [(lv.price, lv.amount) for lv in view.bids] == expected
        assert view.bids[-1].cumulative == sum(a for _, a in expected) if expected else True


def test_a_decoded_deep_snapshot_round_trips_through_compaction() -> None:
    levels = ",".join(
        f'{{"price":"{50_000 - i}.5","amount":"{i}.{i:06d}10"}}' for i in range(1, DEEP)
    )
    frame = (
        '{"channel":"market_data","payload":{"market":"M","type":"SNAPSHOT",'
        f'"time":"2026-01-01T00:00:00Z","bids":[{levels}],"asks":[]}}}}'
    )
    event = decode(frame)
    assert isinstance(event, BookSnapshot)
    book = OrderBook("M", wall_clock_ns=lambda: NOW_NS)
    book.begin_sync()
    book.apply_snapshot(event)
    assert book._bids.compact
    view = book.view(DEEP)
    # The decoder spells amounts without trailing zeros; compaction gives the same text.
    assert [str(lv.amount) for lv in view.bids] == [str(level.amount) for level in event.bids]


def test_without_deep_levels_nothing_is_compacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book_levels, "SNAPSHOT_DECIMAL_LEVELS", 10**6)
    book = _book(_deep_side(DEEP, 10_000, -1), [])
    assert not book._bids.compact
    assert all(type(value) is Decimal for value in book._bids.levels.values())
