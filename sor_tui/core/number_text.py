"""A number on screen is the book's number: shown whole, or marked ``≈``, or not shown.

Every numeric cell of the desk goes through this module. A value is written exactly
(thousands separators, never an exponent) when it fits; otherwise it is rounded to fewer
fraction digits *to nearest, ties to even* (so it stays within half a unit of its last
shown digit) and marked with ``≈``; when even that does not fit, the caller gets ``None``
and leaves the cell (or the whole column) out. Nothing is ever cut.

A ``Column`` writes every value of a table column with its decimal points lined up: exact
values with fewer fraction digits are padded with spaces (or zeros up to ``zero_places``,
a market's tick precision), rounded ones carry the mark on the left. Rounding never goes
below ``SIGNIFICANT`` significant digits of the column's smallest non-zero value, so
rounded levels still tell apart and no non-zero size reads as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import NamedTuple

APPROX = "\u2248"
"""The mark of a rounded number."""

SIGNIFICANT = 3
"""Significant digits of a column's smallest non-zero value that rounding always keeps."""

_WIDE = Context(prec=80, rounding=ROUND_HALF_EVEN)  # exact for any value the wire can carry


def fraction_digits(value: Decimal) -> int:
    """Digits after the point in the exact value, without trailing zeros."""
    text = str(value)  # cheaper than as_tuple(), which every ladder line would pay
    if "E" in text:
        exponent = value.normalize(_WIDE).as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0
    point = text.find(".")
    return 0 if point < 0 else len(text.rstrip("0")) - point - 1


def integer_cells(value: Decimal) -> int:
    """Cells of the whole part with thousands separators ("65,005" is 6)."""
    whole = abs(value)
    digits = whole.adjusted() + 1 if whole >= 1 else 1
    return digits + (digits - 1) // 3 + (1 if value < 0 else 0)


def exact_text(value: Decimal, zero_places: int = 0) -> str:
    """The exact value with separators and at least ``zero_places`` fraction digits."""
    places = max(zero_places, fraction_digits(value))
    return f"{value:,.{places}f}"


def rounded_text(value: Decimal, places: int) -> str:
    """The value to ``places`` fraction digits: exact when it has no more, else marked."""
    if fraction_digits(value) <= places:
        return f"{value:,.{places}f}"
    step = Decimal(1).scaleb(-places)
    return APPROX + f"{value.quantize(step, context=_WIDE):,.{places}f}"


def floor_places(values: Iterable[Decimal], significant: int = SIGNIFICANT) -> int:
    """The fewest fraction digits that keep ``significant`` digits of the smallest non-zero."""
    smallest = min((abs(v) for v in values if v), default=None)
    if smallest is None:
        return 0
    return max(0, significant - 1 - smallest.adjusted())


def fit_number(
    value: Decimal,
    width: int,
    *,
    zero_places: int = 0,
    min_places: int | None = None,
    max_places: int | None = None,
) -> str | None:
    """``value`` in at most ``width`` cells: exact, else rounded and marked, else None.

    ``min_places`` bounds the rounding (default: the significant-digit floor of
    ``value``); ``max_places`` rounds a value with more fraction digits even when it
    would fit (a computed sum or average that never ends).
    """
    digits = fraction_digits(value)
    if max_places is None or digits <= max_places:
        exact = exact_text(value, zero_places)
        if len(exact) <= width:
            return exact
    floor = floor_places((value,)) if min_places is None else min_places
    start = digits - 1 if max_places is None else min(digits - 1, max_places)
    for places in range(start, max(floor, zero_places) - 1, -1):
        text = rounded_text(value, places)
        if len(text) <= width:
            return text
    return None


class Column(NamedTuple):
    """How every cell of one column is written: fraction digits, zero padding, width.

    A tuple, so that a cache keyed by it (one lookup per cell drawn) hashes it cheaply.
    """

    places: int  # fraction digits shown; a value with more is rounded and marked
    zero_places: int  # fraction digits always written, with zeros (a market's tick)
    width: int  # cells of every cell text
    ragged: bool = False  # a value that does not fit in line is shown exact, out of line

    def cell(self, value: Decimal, zero_places: int | None = None) -> str:
        """The value right-aligned in the column, its point in line with the others.

        ``zero_places`` overrides the column's for this cell (a market's own tick in a
        column of several markets).
        """
        places, width = self.places, self.width
        digits = fraction_digits(value)
        if digits > places and not self.ragged:
            return rounded_text(value, places).rjust(width)
        shown = max(digits, self.zero_places if zero_places is None else zero_places)
        text = f"{value:,.{shown}f}"
        if shown < places:  # pad so that the points line up
            text += " " * (places - shown + (1 if shown == 0 else 0))
        if self.ragged and len(text) > width:
            text = text.rstrip()  # exact but out of line, rather than rounded
            if len(text) > width:
                text = fit_number(value, width) or ""
        return text.rjust(width)


def cells_needed(values: list[Decimal], places: int, zero_places: int) -> int:
    """The widest cell ``Column(places, zero_places, 0)`` would write for ``values``."""
    column = Column(places, zero_places, 0)
    return max((len(column.cell(v)) for v in values), default=0)


def plan_column(
    values: list[Decimal],
    width: int,
    *,
    header: str = "",
    zero_places: int = 0,
    rounding: bool = True,
    ragged: bool = False,
) -> Column | None:
    """The most exact ``Column`` for ``values`` in at most ``width`` cells, or None.

    Without ``rounding`` the column is exact or not shown (prices). The exact plan is
    sized from cheap per-value facts; the rounded plans (narrow screens only) write the
    cells to measure them. A ``ragged`` column (a list of prints, where each row stands
    alone) keeps every value that fits on its own exact, in line where there is room,
    and rounds only the values too long for the column.
    """
    natural = max(zero_places, max(map(fraction_digits, values), default=0))
    whole = max(integer_cells(max(values)), integer_cells(min(values))) if values else 1
    exact = max(len(header), whole + (natural + 1 if natural else 0))
    if exact <= width:
        return Column(natural, zero_places, exact)
    if not rounding:
        return None
    if ragged:
        places = zero_places
        for value in values:
            digits = max(zero_places, fraction_digits(value))
            if digits > places and integer_cells(value) + digits + 1 <= width:
                places = digits  # the widest fraction among the values that fit alone
        return Column(places, zero_places, max(width, len(header)), ragged=True)
    floor = max(zero_places, floor_places(values))
    for places in range(natural - 1, floor - 1, -1):
        needed = max(len(header), cells_needed(values, places, zero_places))
        if needed <= width:
            return Column(places, zero_places, needed)
    return None


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a table row to fit: its values, header and precision rules."""

    name: str
    values: list[Decimal]
    header: str = ""
    zero_places: int = 0
    rounding: bool = True  # False: exact or not shown (prices)


def plan_row(specs: Sequence[ColumnSpec], width: int, *, gap: int = 1) -> dict[str, Column]:
    """The columns that fit side by side in ``width`` cells, ``gap`` cells apart.

    ``specs`` are in order of importance: when space runs out the last column is rounded
    first, then the one before it; when even the most rounded row does not fit, the last
    column is left out and the rest planned again. Returns the shown columns by name
    (empty when not even the first fits).
    """
    for keep in range(len(specs), 0, -1):
        shown = specs[:keep]
        plans: list[Column] = []
        for spec in shown:
            plan = plan_column(
                spec.values, width, header=spec.header, zero_places=spec.zero_places, rounding=False
            )
            if plan is None:
                plan = _narrowest(spec)
            if plan is None:
                break
            plans.append(plan)
        else:
            fitted = _round_to_fit(shown, plans, width - gap * (keep - 1))
            if fitted is not None:
                return {spec.name: plan for spec, plan in zip(shown, fitted, strict=True)}
    return {}


def _narrowest(spec: ColumnSpec) -> Column | None:
    """The column at its fewest allowed fraction digits (None: the spec never rounds)."""
    if not spec.rounding:
        return None
    places = max(spec.zero_places, floor_places(spec.values))
    needed = max(len(spec.header), cells_needed(spec.values, places, spec.zero_places))
    return Column(places, spec.zero_places, needed)


def _round_to_fit(
    specs: Sequence[ColumnSpec], plans: list[Column], room: int
) -> list[Column] | None:
    """Round the least important columns first until the row fits ``room`` cells."""
    plans = list(plans)
    if sum(plan.width for plan in plans) <= room:
        return plans
    for index in range(len(specs) - 1, -1, -1):
        spec = specs[index]
        others = sum(plan.width for plan in plans) - plans[index].width
        plan = plan_column(
            spec.values,
            room - others,
            header=spec.header,
            zero_places=spec.zero_places,
            rounding=spec.rounding,
        )
        if plan is not None:
            plans[index] = plan
            return plans
        narrowest = _narrowest(spec)
        if narrowest is not None:
            plans[index] = narrowest
    return None


def parts_that_fit(parts: Sequence[tuple[int, int]], width: int) -> list[int]:
    """Indices of the parts (cells, rank: lower is more important) that fit whole.

    Parts are left out least important first (the later one of equal rank first), so a
    line never shows a cut number or badge; the kept ones stay in their order.
    """
    kept = list(range(len(parts)))
    total = sum(cells for cells, _ in parts)
    for index in sorted(kept, key=lambda i: (parts[i][1], i), reverse=True):
        if total <= width:
            break
        kept.remove(index)
        total -= parts[index][0]
    return kept


def fit_parts(parts: Sequence[tuple[str, int]], width: int) -> str:
    """The texts of the parts (text, rank) that fit whole in ``width`` cells, in order."""
    kept = parts_that_fit([(len(text), rank) for text, rank in parts], width)
    return "".join(parts[index][0] for index in kept)
