"""An order-book price ladder for one market.

The frame timer hands it a frozen ``BookView`` only when the book's version changed; the
widget keeps the change marks long enough to fade them and rebuilds its lines only when
the view, its size, the last trade or a fade step changes. Level lines (nearly all of a
ladder, and most of them new after a change near the top, since every cumulative size below
it moves) are drawn straight as segments with combined styles looked up once; a level line
that did not change is the same ``Strip`` as before, so the compositor skips it.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from itertools import pairwise

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from sor_tui.core.book_cursor import BookCursor
from sor_tui.core.ladder_columns import LadderColumns, plan_ladder
from sor_tui.core.number_text import Column, exact_text, fit_parts, rounded_text
from sor_tui.core.sanitize import sanitize
from sor_tui.core.views import BookStatus, BookView, LevelChange, LevelView
from sor_tui.runtime.clock import Clock
from sor_tui.ui.format import format_age, places_of
from sor_tui.ui.widgets.text_lines import TextLines

FADE_SECONDS = 1.5
_MARK_CLASS = {LevelChange.UP: "up", LevelChange.DOWN: "down", LevelChange.NEW: "new"}
_CACHE_MAX = 4096
"""Formatted prices and amounts remembered per ladder (cleared when full or re-scaled)."""

# What styles one cell run of a level line: (side, in price column, in depth bar,
# change mark (None or (class, faded)), last-trade marker).
_RunKey = tuple[str, bool, bool, tuple[str, bool] | None, bool, bool]


def badge_of(view: BookView | None) -> str:
    """The status badge text: CROSSED overrides LIVE because the book then needs a look."""
    if view is None:
        return BookStatus.IDLE.value
    if view.crossed and view.status is BookStatus.LIVE:
        return "CROSSED"
    return view.status.value


class BookLadder(TextLines):
    """Price, size and cumulative size per level, with depth bars, spread, mid and a badge."""

    RULE = "\u2595"  # a thin rule on the right edge, between ladders
    DEFAULT_CSS = "BookLadder > .book-ladder--cursor { text-style: reverse; }"

    COMPONENT_CLASSES = {
        "book-ladder--title",
        "book-ladder--header",
        "book-ladder--bid",
        "book-ladder--ask",
        "book-ladder--bar-bid",
        "book-ladder--bar-ask",
        "book-ladder--up",
        "book-ladder--down",
        "book-ladder--new",
        "book-ladder--last",
        "book-ladder--spread",
        "book-ladder--badge-live",
        "book-ladder--badge-syncing",
        "book-ladder--badge-stale",
        "book-ladder--badge-crossed",
        "book-ladder--badge-idle",
        "book-ladder--cursor",
    }

    def __init__(
        self,
        market: str,
        *,
        tick: Decimal | None = None,
        clock: Clock | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.market = market
        self.tick = tick
        self.group: Decimal | None = None
        self.clock = clock or Clock()
        self.view: BookView | None = None
        self.last_trade: Decimal | None = None
        self.cursor: BookCursor | None = None
        self.rows = 0  # levels shown per side at the last build (the cursor's range)
        self._marks: dict[tuple[str, Decimal], tuple[LevelChange, float]] = {}
        self._tick_key: object = None
        self._places: int | None = None
        # Per look (size, theme, places): combined styles, formatted numbers, level strips.
        self._draw_key: object = None
        self._run_styles: dict[_RunKey, Style] = {}
        self._layouts: dict[tuple[object, ...], list[tuple[int, int, Style]]] = {}
        self._cells: dict[tuple[Decimal, Column], str] = {}
        self._columns: LadderColumns | None = None  # the layout of the last build
        self._columns_version = 0

    @property
    def places(self) -> int | None:
        """Fractional digits of displayed prices (the grouping step or the tick)."""
        step = self.group or self.tick
        return places_of(step) if step is not None else None

    def show(self, view: BookView) -> None:
        """Take a new view: remember its change marks and redraw."""
        now = self.clock.monotonic()
        for side, levels in (("bid", view.bids), ("ask", view.asks)):
            for level in levels:
                if level.change is not LevelChange.NONE:
                    self._marks[(side, level.price)] = (level.change, now)
        self.view = view
        self.set_class(view.status is BookStatus.STALE, "-stale")
        self.invalidate()

    def show_last_trade(self, price: Decimal | None) -> None:
        """Mark the level of the market's last print."""
        if price != self.last_trade:
            self.last_trade = price
            self.invalidate()

    def set_cursor(self, cursor: BookCursor | None) -> None:
        """Highlight the level under the book cursor (None: no cursor)."""
        if cursor != self.cursor:
            self.cursor = cursor
            self.invalidate()

    def tick_frame(self) -> None:
        """Called every frame: redraw only when a fade step or the shown age changed."""
        key = (self._fade_step_key(), self._age_key())
        if key != self._tick_key:
            self._tick_key = key
            self.invalidate()

    def _age_key(self) -> str | None:
        view = self.view
        if view is None or view.snapshot_time_ns is None:
            return None
        return format_age((self.clock.wall_ns() - view.snapshot_time_ns) / 1e9)

    def _fade_step_key(self) -> tuple[tuple[tuple[str, Decimal], int], ...]:
        if not self._marks:
            return ()
        now = self.clock.monotonic()
        keys: list[tuple[tuple[str, Decimal], int]] = []
        expired: list[tuple[str, Decimal]] = []
        for key, (_, at) in self._marks.items():
            elapsed = now - at
            if elapsed >= FADE_SECONDS:
                expired.append(key)
            else:
                keys.append((key, 0 if elapsed < FADE_SECONDS / 2 else 1))
        for key in expired:
            del self._marks[key]
        return tuple(keys)

    def build_lines(self, width: int, height: int) -> list[Text | Strip]:
        """The ladder's lines for this size, marks and age."""
        self._places = self.places
        draw_key = (width, self._places, self.style_look)
        if draw_key != self._draw_key:
            self._draw_key = draw_key
            self._run_styles = {}
            self._layouts = {}
            self._cells = {}
        return self._build(width, height, dict(self._fade_step_key()))

    def _style(self, name: str) -> Style:
        return self.component_style(f"book-ladder--{name}")

    def _build(
        self, width: int, height: int, fade: dict[tuple[str, Decimal], int]
    ) -> list[Text | Strip]:
        view = self.view
        lines: list[Text | Strip] = [self._title_line(width)]
        rows = self.rows = max(1, (height - 3) // 2)
        asks = list(view.asks[:rows]) if view is not None else []
        bids = list(view.bids[:rows]) if view is not None else []
        columns = plan_ladder(asks + bids, width, self._places or 0)
        if columns != self._columns:  # lines name their layout by number: cheap to hash
            self._columns = columns
            self._columns_version += 1
        columns = self._columns
        header = Text(
            columns.header() if columns is not None else " too narrow for the prices",
            style=self._style("header"),
            no_wrap=True,
            overflow="crop",
        )
        lines.append(header)
        if view is None:
            lines.append(Text(" waiting for the first snapshot…", style=self._style("header")))
            return lines
        if columns is None:
            return lines
        scale = max([level.cumulative for level in asks + bids] or [Decimal(0)], default=Decimal(0))
        for _ in range(rows - len(asks)):
            lines.append(Text(""))
        cursor = self.cursor
        for index in range(len(asks) - 1, -1, -1):
            here = cursor == BookCursor("ask", index)
            lines.append(self._level_line(asks[index], "ask", columns, scale, fade, here))
        lines.append(self._spread_line(view, width))
        for index, level in enumerate(bids):
            here = cursor == BookCursor("bid", index)
            lines.append(self._level_line(level, "bid", columns, scale, fade, here))
        return lines

    def _title_line(self, width: int) -> Text:
        view = self.view
        badge = badge_of(view)
        age = ""
        if view is not None and view.snapshot_time_ns is not None:
            age = " " + format_age((self.clock.wall_ns() - view.snapshot_time_ns) / 1e9)
        badge_style = {
            "LIVE": "live",
            "SYNCING": "syncing",
            "RESYNCING": "syncing",
            "STALE": "stale",
            "CROSSED": "crossed",
        }.get(badge, "idle")
        # The badge is never cut: the age, then the grouping, then the name give way.
        right_text = f" {badge}{age} "
        if len(right_text) + 2 > width:
            right_text = f" {badge} "
        group = f" by {exact_text(self.group)}" if self.group else ""
        name = f" {sanitize(self.market, 16)}"
        room = max(0, width - len(right_text) - 1)
        left_text = name + group if len(name + group) <= room else name[:room]
        left = Text(left_text, style=self._style("title"))
        right = Text(right_text, style=self._style(f"badge-{badge_style}"))
        gap = max(0, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="crop")

    def _spread_line(self, view: BookView, width: int) -> Text:
        places = self._places or 0
        spread = exact_text(view.spread, places) if view.spread is not None else "—"
        parts = [(f" spread {spread}", 1)]
        if view.spread_bps is not None:
            parts.append((f" ({rounded_text(view.spread_bps, 2)} bps)", 3))
        if view.mid is not None:
            parts.append((f"  mid {exact_text(view.mid)}", 2))
        if view.locked:
            parts.append(("  LOCKED", 0))
        text = fit_parts(parts, width)
        return Text(text.ljust(width), style=self._style("spread"), no_wrap=True)

    def _level_line(
        self,
        level: LevelView,
        side: str,
        columns: LadderColumns,
        scale: Decimal,
        fade: dict[tuple[str, Decimal], int],
        cursor: bool = False,
    ) -> Strip:
        price = level.price
        last = self._is_last_trade(price, side)
        width = columns.width
        bar = int((level.cumulative * width / scale).to_integral_value()) if scale > 0 else 0
        mark: tuple[str, bool] | None = None
        entry = self._marks.get((side, price))
        if entry is not None and (side, price) in fade:
            mark = (_MARK_CLASS[entry[0]], bool(fade[(side, price)]))
        layout = self._columns_version if columns is self._columns else columns
        key = (side, price, level.amount, level.cumulative, bar, mark, last, layout, cursor)
        draw = partial(self._draw_level, level, side, columns, bar, mark, last, cursor)
        return self.kept_line(key, draw)

    def _draw_level(
        self,
        level: LevelView,
        side: str,
        columns: LadderColumns,
        bar: int,
        mark: tuple[str, bool] | None,
        last: bool,
        cursor: bool = False,
    ) -> Strip:
        """One level line as segments: price, size, total, marker; bar, mark and last styled.

        Same look as a rich ``Text`` with the spans side [0, price_end), bar
        [width - bar, width), mark [price_end, size_end), last [0, price_end) and
        [width - 1, width), applied in that order.
        """
        body = columns.line(self._cell, level, "◀" if last else " ")
        width, price_end, size_end = columns.width, columns.price_end, columns.size_end
        layout_key = (side, width, price_end, size_end, bar, mark, last, cursor)
        layout = self._layouts.get(layout_key)
        if layout is None:
            layout = self._layouts[layout_key] = self._layout(
                side, width, price_end, size_end, bar, mark, last, cursor
            )
        segments = [Segment(body[start:end], style) for start, end, style in layout]
        return self.finish_line(segments, width)

    def _layout(
        self,
        side: str,
        width: int,
        price_end: int,
        size_end: int,
        bar: int,
        mark: tuple[str, bool] | None,
        last: bool,
        cursor: bool = False,
    ) -> list[tuple[int, int, Style]]:
        """The styled cell runs of a level line (the same for every line alike in these)."""
        bar_start = max(0, width - bar) if bar > 0 else width
        cuts = sorted({0, price_end, size_end, bar_start, width - 1, width})
        runs: list[tuple[_RunKey, int, int]] = []
        for start, end in pairwise(cuts):
            if start >= end:
                continue
            in_price = start < price_end
            run: _RunKey = (
                side,
                in_price,
                start >= bar_start,
                mark if price_end <= start < size_end else None,
                last and (in_price or start >= width - 1),
                cursor,
            )
            if runs and runs[-1][0] == run:
                runs[-1] = (run, runs[-1][1], end)  # same style: one segment
            else:
                runs.append((run, start, end))
        styles = self._run_styles
        layout = []
        for run, start, end in runs:
            style = styles.get(run)
            if style is None:
                style = styles[run] = self._run_style(run)
            layout.append((start, end, style))
        return layout

    def _cell(self, value: Decimal, column: Column) -> str:
        cells = self._cells
        key = (value, column)
        text = cells.get(key)
        if text is None:
            if len(cells) >= _CACHE_MAX:
                cells.clear()
            text = cells[key] = column.cell(value)
        return text

    def _run_style(self, run: _RunKey) -> Style:
        """The widget style plus the component styles of one run, in span order."""
        side, in_price, in_bar, mark, last, cursor = run
        style = self.base_style()
        if in_price:
            style += self._style(side)
        if in_bar:
            style += self._style(f"bar-{side}")
        if mark is not None:
            name, faded = mark
            mark_style = self._style(name)
            style += Style(color=mark_style.color, dim=True) if faded else mark_style
        if last:
            style += self._style("last")
        if cursor:
            style += self._style("cursor")
        return self.painted_style(style)

    def _is_last_trade(self, price: Decimal, side: str) -> bool:
        last = self.last_trade
        if last is None:
            return False
        group = self.group
        if not group:
            return price == last
        if side == "bid":
            return price <= last < price + group
        return price - group < last <= price
