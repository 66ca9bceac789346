"""The ladder's fast drawing paths give exactly what the rich/Textual paths would; the status
bar redraws running numbers at a capped rate.

Level lines are drawn straight as segments and served to the compositor without Textual's
per-line style pass; both shortcuts are checked cell by cell (character and style) against
the general path they replace.
"""

from __future__ import annotations

import gc
import itertools
from dataclasses import replace
from decimal import Decimal

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from sor_tui.core.events import Execution
from sor_tui.core.ladder_columns import LadderColumns, plan_ladder
from sor_tui.core.sanitize import sanitize
from sor_tui.core.views import LevelChange, LevelView, TapeEntry, Tick
from sor_tui.ui.format import format_clock
from sor_tui.ui.widgets.book_ladder import _MARK_CLASS, BookLadder
from sor_tui.ui.widgets.status_bar import StatusLine
from sor_tui.ui.widgets.trade_tape import TapeColumns, TradeTape
from tests.ui.conftest import AppBuilder

Cells = list[tuple[str, Style | None]]


def cells(segments: list[Segment] | Strip) -> Cells:
    """One (character, style) pair per cell, whatever the segment boundaries."""
    out: Cells = []
    for segment in segments:
        out.extend((char, segment.style) for char in segment.text)
    return out


def reference_line(
    ladder: BookLadder,
    level: LevelView,
    side: str,
    columns: LadderColumns,
    scale: Decimal,
    mark: tuple[LevelChange, int] | None,
    last: bool,
) -> Cells:
    """The level line as a rich ``Text`` with spans, rendered the general way."""
    style = ladder.component_style
    width, col, size_end = columns.width, columns.price_end, columns.size_end
    body = columns.line(lambda value, column: column.cell(value), level, "◀" if last else " ")
    line = Text(body[:width].ljust(width), no_wrap=True, overflow="crop")
    line.stylize(style(f"book-ladder--{side}"), 0, col)
    if scale > 0:
        bar = int((level.cumulative * width / scale).to_integral_value())
        line.stylize(style(f"book-ladder--bar-{side}"), max(0, width - bar), width)
    if mark is not None:
        mark_style = style(f"book-ladder--{_MARK_CLASS[mark[0]]}")
        if mark[1]:
            mark_style = Style(color=mark_style.color, dim=True)
        line.stylize(mark_style, col, size_end)
    if last:
        line.stylize(style("book-ladder--last"), 0, col)
        line.stylize(style("book-ladder--last"), width - 1, width)
    segments = list(line.render(ladder.app.console, end=""))
    # The ladder builds its lines through the app's line filters (true colour, dim).
    return cells(ladder.painted(list(Segment.apply_style(segments, ladder.rich_style))))


async def test_level_lines_match_the_rich_text_rendering(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        ladder = app.desk.ladders()[0]
        assert ladder.view is not None
        width = 52
        levels = [*ladder.view.bids[:3], *ladder.view.asks[:3]]
        deepest = max(level.cumulative for level in levels)
        ladder.build_lines(width, 30)  # sets the places and the per-look caches
        columns = plan_ladder(levels, width, ladder.places or 0)
        assert columns is not None and columns.total is not None
        checked = 0
        for level, side, scale, mark, last in itertools.product(
            levels,
            ("bid", "ask"),
            (Decimal(0), deepest, levels[0].cumulative),  # no bars, partial, overflowing
            (None, (LevelChange.UP, 0), (LevelChange.DOWN, 1), (LevelChange.NEW, 0)),
            (False, True),
        ):
            ladder._marks.clear()
            fade = {}
            if mark is not None:
                ladder._marks[(side, level.price)] = (mark[0], 0.0)
                fade[(side, level.price)] = mark[1]
            ladder.last_trade = level.price if last else None
            drawn = cells(ladder._level_line(level, side, columns, scale, fade))
            assert drawn[-1][0] == BookLadder.RULE  # the ladder's right-hand rule
            expected = reference_line(ladder, level, side, columns, scale, mark, last)
            assert drawn[:-1] == expected, (side, level, scale, mark, last)
            checked += 1
        assert checked == 6 * 2 * 3 * 4 * 2


async def test_unchanged_levels_keep_their_strip(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        ladder = app.desk.ladders()[0]
        first = ladder.build_lines(50, 40)
        again = ladder.build_lines(50, 40)
        strips = [(a, b) for a, b in zip(first, again, strict=True) if isinstance(a, Strip)]
        assert len(strips) >= 25
        assert all(a is b for a, b in strips)  # same object: no repaint, caches kept


async def test_render_lines_equal_textuals_style_pass(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        for ladder in [lad for lad in app.desk.ladders() if lad.display]:
            width, height = ladder.size
            for crop in (Region(0, 0, width, height), Region(3, 5, width - 7, 9)):
                before = ladder.fast_renders
                fast = ladder.render_lines(crop)
                assert ladder.fast_renders == before + 1
                ladder._styles_cache.clear()
                general = Widget.render_lines(ladder, crop)
                assert [cells(s) for s in fast] == [cells(s) for s in general]
                assert all(s.cell_length == crop.width for s in fast)
        # The rule on the right edge is the ladder's own last cell.
        ladder = app.desk.ladders()[0]
        assert ladder.shown_text().splitlines()[5].endswith(BookLadder.RULE)


async def test_a_stale_ladder_takes_textuals_style_pass(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        ladder = app.desk.ladders()[0]
        ladder.add_class("-stale")  # 70 % opacity: only Textual's pass can apply it
        await pilot.pause()
        before = ladder.fast_renders
        crop = Region(0, 0, *ladder.size)
        dimmed = ladder.render_lines(crop)
        assert ladder.fast_renders == before
        assert [cells(s) for s in dimmed] == [cells(s) for s in Widget.render_lines(ladder, crop)]
        assert ladder.shown_text() and [cells(s) for s in dimmed] != [
            cells(ladder.render_line(y)) for y in range(ladder.size.height)
        ]


async def test_status_numbers_redraw_at_most_four_times_a_second(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = app.desk.status_bar
        first = StatusLine("demo", "CONNECTED", messages_per_second=10.0, lag_ms=5.0)
        bar.show(first, now=100.0)
        assert bar.line == first
        bar.show(replace(first, lag_ms=6.0), now=100.1)  # numbers only, too soon
        assert bar.line == first
        newer = replace(first, lag_ms=7.0, messages_per_second=12.0)
        bar.show(newer, now=100.26)
        assert bar.line == newer
        lost = replace(newer, state="RECONNECTING", lag_ms=8.0)
        bar.show(lost, now=100.27)  # a state change shows at once
        assert bar.line == lost
        assert bar.has_class("-disconnected") is False
        bar.show(replace(lost, state="AUTH_FAILED"), now=100.28)
        assert bar.has_class("-disconnected")


def reference_print(
    tape: TradeTape, entry: TapeEntry, width: int, wide: bool, columns: TapeColumns
) -> Cells:
    """A tape row as a rich ``Text`` with spans (all markets shown), rendered the general way."""
    ex = entry.execution
    clock = format_clock(ex.executed_at_ns)
    name = sanitize(ex.market if wide else ex.market.removesuffix("USD"), 8)
    clock = f"{clock if wide else clock[:8]} {set_cell_size(name, 8 if wide else 4)}"
    assert columns.price is not None
    price = f"{columns.price.cell(ex.price)}{'▲' if entry.tick is Tick.UP else '▼'}"
    amount = "" if columns.amount is None else f" {columns.amount.cell(ex.amount)}"
    line = Text(set_cell_size(f" {clock}{price}{amount}", width))
    start = len(clock) + 1
    line.stylize(tape.component_style("trade-tape--time"), 0, start)
    tick = "up" if entry.tick is Tick.UP else "down"
    line.stylize(tape.component_style(f"trade-tape--{tick}"), start, start + len(price))
    if entry.large:
        line.stylize(tape.component_style("trade-tape--large"), start + len(price), width)
    segments = list(line.render(tape.app.console, end=""))
    styled = Strip(Segment.apply_style(segments, tape.rich_style)).crop_extend(
        0, width, tape.rich_style
    )  # cut to the width in cells, as the widget was before
    return cells(tape.painted(list(styled)))


async def test_tape_rows_match_the_rich_text_rendering(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        tape = app.desk.tape
        tape.render_line(0)  # built once: styles and filters are looked up
        at = (1_772_460_307_000_000_000, "2026-03-02T14:05:07Z")
        ex = Execution("BTCUSD", Decimal("50123.5"), Decimal("0.25"), *at)
        wide = "\uff22\uff34\uff23USD"  # full-width letters: two cells each
        wide_name = Execution(wide, ex.price, ex.amount, *at)
        for execution, tick, large, width, wide_layout in itertools.product(
            (ex, wide_name), (Tick.UP, Tick.DOWN), (False, True), (38, 60), (False, True)
        ):
            entry = TapeEntry(execution, tick, large)
            columns = tape._columns([entry], width, True, wide_layout)
            assert columns.price is not None
            places = columns.price.zero_places  # the market's tick precision
            drawn = cells(tape._print_strip(entry, places, width, True, wide_layout, columns))
            expected = reference_print(tape, entry, width, wide_layout, columns)
            assert drawn == expected, (execution, tick, width)


async def test_lines_a_rebuild_drops_are_freed_without_the_cycle_collector(
    desk_app: AppBuilder,
) -> None:
    # Textual caches [strip] in a strip cut only at its end, as the compositor cuts every
    # line of a widget as wide as its region: a reference cycle. The desk runs full
    # collections rarely, so the widgets break it for the lines a rebuild drops.
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        ladder = app.desk.ladders()[0]
        width = ladder.size.width
        gc.collect()
        gc.disable()
        try:
            for step in range(10):
                for strip in ladder._strips:
                    assert strip.divide([width]) == [strip]  # what the compositor does
                ladder.group = Decimal(step + 1)  # every level line is drawn anew
                ladder._rebuild(ladder._current_look())
            freed = gc.collect()
        finally:
            gc.enable()
        assert freed < 50  # without the release: ~400 strips and their caches


async def test_status_bar_shows_a_skewed_server_clock(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        bar = app.desk.status_bar
        bar.show(StatusLine("demo", "CONNECTED", clock_offset_s=360.25), now=100.0)
        assert "server clock +360.2 s" in bar.render().plain
        bar.show(StatusLine("demo", "CONNECTED", clock_offset_s=0.02), now=101.0)
        assert "server clock" not in bar.render().plain


async def test_status_bar_never_shows_a_negative_zero_lag(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        bar = app.desk.status_bar
        bar.show(StatusLine("demo", "CONNECTED", lag_ms=-0.3), now=100.0)
        assert "lag 0 ms" in bar.render().plain
