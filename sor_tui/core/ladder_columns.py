"""Which columns of a price ladder fit a width, and how each is written.

Price is kept longest and never rounded; when space runs out the Total column is
rounded first, then Size; then Total is left out, then Size. The remaining cells are
spread as left padding over the shown columns, so wide ladders keep their columns apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sor_tui.core.number_text import Column, ColumnSpec, plan_row
from sor_tui.core.views import LevelView

CellText = Callable[[Decimal, Column], str]


@dataclass(frozen=True, slots=True)
class LadderColumns:
    """A ladder line's layout: the shown columns, their left padding, the marker cell."""

    width: int  # cells of a line, the last-trade marker included
    price: Column
    size: Column | None
    total: Column | None
    pads: tuple[int, int, int]  # spaces before price, size, total

    @property
    def price_end(self) -> int:
        """Where the price column (and its padding) ends."""
        return self.pads[0] + self.price.width

    @property
    def size_end(self) -> int:
        """Where the size column ends (the price end when Size is not shown)."""
        if self.size is None:
            return self.price_end
        return self.price_end + self.pads[1] + self.size.width

    def header(self) -> str:
        """The column titles, right-aligned over their columns."""
        text = f"{'Price':>{self.price_end}}"
        if self.size is not None:
            text += f"{'Size':>{self.size_end - self.price_end}}"
        if self.total is not None:
            text += f"{'Total':>{self.pads[2] + self.total.width}}"
        return text.ljust(self.width)

    def line(self, cell: CellText, level: LevelView, marker: str) -> str:
        """A level's text: its price, size and total as the columns write them, the marker."""
        text = " " * self.pads[0] + cell(level.price, self.price)
        if self.size is not None:
            text += " " * self.pads[1] + cell(level.amount, self.size)
        if self.total is not None:
            text += " " * self.pads[2] + cell(level.cumulative, self.total)
        return text.ljust(self.width - 1) + marker


def plan_ladder(levels: Sequence[LevelView], width: int, price_places: int) -> LadderColumns | None:
    """The columns for these levels in ``width`` cells (None: not even the prices fit)."""
    room = width - 2  # a leading space and the marker cell
    specs = [
        ColumnSpec(
            "price",
            [level.price for level in levels] or [Decimal(0)],
            "Price",
            zero_places=price_places,
            rounding=False,
        ),
        ColumnSpec("size", [level.amount for level in levels], "Size"),
        ColumnSpec("total", [level.cumulative for level in levels], "Total"),
    ]
    columns = plan_row(specs, room, gap=1)
    price = columns.get("price")
    if price is None:
        return None
    size, total = columns.get("size"), columns.get("total")
    shown = [column for column in (price, size, total) if column is not None]
    extra = room - sum(column.width for column in shown) - (len(shown) - 1)
    share, rest = divmod(extra, len(shown))
    pads = [1 + share, (1 + share) if size else 0, (1 + share) if total else 0]
    pads[len(shown) - 1] += rest
    return LadderColumns(width, price, size, total, (pads[0], pads[1], pads[2]))
