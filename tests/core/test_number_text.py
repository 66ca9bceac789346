"""Numbers as text: exact, or rounded and marked, or left out; columns in line; priorities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.ladder_columns import plan_ladder
from sor_tui.core.number_text import (
    APPROX,
    Column,
    ColumnSpec,
    exact_text,
    fit_number,
    fit_parts,
    plan_column,
    plan_row,
    rounded_text,
)
from sor_tui.core.views import LevelView


@pytest.mark.parametrize(
    ("value", "zero_places", "text"),
    [
        ("65000", 2, "65,000.00"),
        ("3150.05", 2, "3,150.05"),
        ("50000.125", 2, "50,000.125"),  # off the tick: shown whole, never rounded away
        ("1E+3", 0, "1,000"),
        ("12.50000000", 0, "12.5"),
        ("0.00000001", 0, "0.00000001"),
    ],
)
def test_exact_text_is_the_value_without_exponents(value: str, zero_places: int, text: str) -> None:
    assert exact_text(Decimal(value), zero_places) == text


@pytest.mark.parametrize(
    ("value", "width", "text"),
    [
        ("13.86746234", 12, "13.86746234"),
        ("13.86746234", 9, APPROX + "13.86746"),  # rounded to nearest: marked
        ("0.85219204", 9, APPROX + "0.852192"),
        ("1234567.5", 10, APPROX + "1,234,568"),
        ("1234567.5", 9, None),  # no room even rounded: left out, never cut
        ("0.00012345", 6, None),  # rounding below three significant digits: left out
    ],
)
def test_fit_number_is_exact_or_marked_or_none(value: str, width: int, text: str | None) -> None:
    assert fit_number(Decimal(value), width) == text


def test_rounded_text_marks_only_what_it_rounds() -> None:
    assert rounded_text(Decimal("0.4166"), 2) == APPROX + "0.42"
    assert rounded_text(Decimal("0.5"), 2) == "0.50"
    assert rounded_text(Decimal("0.125"), 2) == APPROX + "0.12"  # ties to even
    assert rounded_text(Decimal("0.135"), 2) == APPROX + "0.14"


def test_a_column_lines_up_decimal_points() -> None:
    values = [Decimal("0.85219204"), Decimal("1.2"), Decimal("1723.4746356"), Decimal("1")]
    column = plan_column(values, 20, header="Size")
    assert column == Column(places=8, zero_places=0, width=14)
    cells = [column.cell(v) for v in values]
    assert {len(cell) for cell in cells} == {14}
    assert {cell.index(".") for cell in cells if "." in cell} == {5}
    assert cells[3] == "    1         "  # no point: the digit sits where the point's left is


def test_a_narrow_column_rounds_every_long_value_the_same_way() -> None:
    values = [Decimal("0.85219204"), Decimal("1.2"), Decimal("1723.4746356"), Decimal("0.01")]
    column = plan_column(values, 12, header="Size")
    assert column is not None and column.places == 5
    assert [column.cell(v).strip() for v in values] == [
        APPROX + "0.85219",
        "1.2",
        APPROX + "1,723.47464",
        "0.01",
    ]
    assert plan_column(values, 10) is None  # would need fewer than 3 significant digits


def test_prices_are_never_rounded() -> None:
    assert plan_column([Decimal("65005.75")], 8, zero_places=2, rounding=False) is None


def test_the_last_column_is_rounded_then_left_out_first() -> None:
    prices = [Decimal("65005.75")]
    sizes = [Decimal("0.85219204")]
    totals = [Decimal("12.85219204")]
    specs = [
        ColumnSpec("price", prices, "Price", 2, rounding=False),
        ColumnSpec("size", sizes, "Size"),
        ColumnSpec("total", totals, "Total"),
    ]
    assert set(plan_row(specs, 40)) == {"price", "size", "total"}
    narrow = plan_row(specs, 30)
    assert narrow["size"].places == 8 and narrow["total"].places < 8  # Total rounds first
    assert set(plan_row(specs, 20)) == {"price", "size"}  # then Total goes
    assert set(plan_row(specs, 10)) == {"price"}
    assert plan_row(specs, 8) == {}


def test_fit_parts_keeps_whole_parts_by_rank() -> None:
    parts = [(" spread 1.75", 1), (" (0.27 bps)", 3), ("  mid 64,998.625", 2), ("  LOCKED", 0)]
    assert fit_parts(parts, 80) == " spread 1.75 (0.27 bps)  mid 64,998.625  LOCKED"
    assert fit_parts(parts, 40) == " spread 1.75  mid 64,998.625  LOCKED"
    assert fit_parts(parts, 12) == "  LOCKED"


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
sizes = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999999"), places=8)


def check_number(token: str, value: Decimal) -> None:
    """``token`` is ``value`` exactly, or marked and within half a unit of its last digit."""
    shown = Decimal(token.removeprefix(APPROX).replace(",", ""))
    if not token.startswith(APPROX):
        assert shown == value, (token, value)
        return
    exponent = shown.as_tuple().exponent
    assert isinstance(exponent, int)
    assert abs(shown - value) <= Decimal(1).scaleb(exponent) / 2, (token, value)
    unit = Decimal(1).scaleb(exponent)
    assert value != value.quantize(unit), (token, value)  # the mark is honest: it was rounded


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(min_value=20, max_value=130),
    book=st.lists(st.tuples(prices, sizes), min_size=1, max_size=30),
)
def test_ladder_lines_show_the_book_or_mark_it(
    width: int, book: list[tuple[Decimal, Decimal]]
) -> None:
    levels, total = [], Decimal(0)
    for price, size in book:
        total += size
        levels.append(LevelView(price, size, total))
    columns = plan_ladder(levels, width, 2)
    if columns is None:
        assert width - 2 < max(len(exact_text(level.price, 2)) for level in levels)
        return
    header = columns.header()
    assert len(header) == width and header.split()[0] == "Price"
    running = Decimal(0)
    for level in levels:
        line = columns.line(lambda value, column: column.cell(value), level, " ")
        assert len(line) == width
        tokens = line.split()
        assert len(tokens) == len(header.split())  # every shown column has its whole number
        running += level.amount
        for token, value in zip(tokens, (level.price, level.amount, running), strict=False):
            check_number(token, value)
        assert not tokens[0].startswith(APPROX)  # prices are never rounded


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(min_value=1, max_value=30),
    values=st.lists(sizes, min_size=1, max_size=20),
    ragged=st.booleans(),
)
def test_a_column_cell_is_whole_or_marked_or_empty(
    width: int, values: list[Decimal], ragged: bool
) -> None:
    column = plan_column(values, width, ragged=ragged)
    if column is None:
        assert not ragged
        return
    for value in values:
        cell = column.cell(value)
        assert len(cell) == column.width
        assert column.width <= max(width, 0) or not ragged
        if cell.strip():
            check_number(cell.strip(), value)
        else:
            assert ragged  # only a ragged column leaves a value out, and only a huge one
            assert fit_number(value, width) is None


@settings(max_examples=300, deadline=None)
@given(value=sizes, width=st.integers(min_value=1, max_value=30))
def test_fit_number_never_cuts(value: Decimal, width: int) -> None:
    text = fit_number(value, width)
    if text is not None:
        assert len(text) <= width
        check_number(text, value)
