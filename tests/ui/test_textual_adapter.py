"""The output adapter: Textual internals it relies on, and a screen identical to Textual's.

Every frame written through ``SpanWriter`` must leave the terminal showing exactly what
Textual's own rendering of the same updates shows; these tests feed both to a terminal
model and compare every cell (character, colours, attributes).
"""

from __future__ import annotations

import inspect
import random
import re

from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from sor_tui.ui.span_writer import SpanWriter
from sor_tui.ui.textual_adapter import (
    DiffedUpdate,
    forget_rendered_lines,
    fragments,
    has_border_titles,
    release_strip,
    toast_rack,
)
from tests.ui.cell_screen import CellScreen
from tests.ui.conftest import AppBuilder
from tests.ui.fakes import FakeFeed, build_state

CONSOLE = Console(color_system="256", force_terminal=True, width=80)
STYLES = [
    None,
    Style(color="grey82", bgcolor="grey0"),
    Style(color="green", bgcolor="dark_green", bold=True),
    Style(color="red", bgcolor="grey0", dim=True),
    Style(color="#ffffff", bgcolor="#005f00", reverse=True),
    Style(color="yellow", italic=True, underline=True),
    Style(bgcolor="blue"),
    Style(color="grey82", bold=True, dim=True),
    Style(color="cyan", strike=True),
]
TEXTS = ["65,019.75", " ", "   ", "0.52034689", "▲", "◀", "│", "≈1.2", "東京", "abc", "━━"]


# ---- Textual internals the adapter uses (a Textual upgrade that changes them fails here) ----


def test_textual_output_internals_are_still_there() -> None:
    assert "renderable" in inspect.signature(App._display).parameters
    assert "screen" in inspect.signature(App._display).parameters
    chops = ChopsUpdate([{0: Strip([Segment("ab")])}], [(0, 0, 2)], [[2]])
    assert (chops.chops, chops.spans, chops.chop_ends) == (
        [{0: chops.chops[0][0]}],
        [(0, 0, 2)],
        [[2]],
    )
    layout = LayoutUpdate([[Strip([Segment("ab")])]], Region(0, 0, 2, 1))
    assert layout.region == Region(0, 0, 2, 1) and len(layout.strips) == 1
    assert issubclass(ChopsUpdate, CompositorUpdate) and issubclass(LayoutUpdate, CompositorUpdate)


async def test_the_driver_and_the_toast_rack_are_where_the_adapter_looks(
    desk_app: AppBuilder,
) -> None:
    app = desk_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app._driver is not None and callable(app._driver.write)
        assert toast_rack(app.screen) is not None
        assert not app.request_round_trip()  # headless: nothing to ask


def test_a_cursor_position_report_arrives_as_an_event() -> None:
    """The pacing's round trip: Textual turns ``ESC[row;colR`` into ``CursorPosition``."""
    parser = XTermParser()
    tokens = list(parser.feed("\x1b[12;40R"))
    tokens += list(parser.feed(""))
    positions = [t for t in tokens if isinstance(t, events.CursorPosition)]
    assert [(p.x, p.y) for p in positions] == [(39, 11)]
    assert not [t for t in tokens if isinstance(t, events.Key)]


# ---- identical screens ------------------------------------------------------------------


def _random_strip(rng: random.Random, width: int) -> Strip:
    segments: list[Segment] = []
    length = 0
    while length < width:
        text = rng.choice(TEXTS)
        segments.append(Segment(text, rng.choice(STYLES)))
        length += Strip([Segment(text)]).cell_length
    return Strip(segments).crop(0, width)


def _check_same(updates: list[CompositorUpdate], width: int, height: int) -> int:
    textual, ours = CellScreen(width, height), CellScreen(width, height)
    writer = SpanWriter(ColorSystem.EIGHT_BIT)
    written = 0
    for number, update in enumerate(updates):
        textual.feed(update.render_segments(CONSOLE))
        text = DiffedUpdate(update, writer, (width, height)).render_segments(CONSOLE)
        written += len(text)
        ours.feed(text)
        assert ours.visible() == textual.visible(), f"screens differ after update {number}"
    return written


def test_random_updates_leave_the_same_screen_as_textual() -> None:
    rng = random.Random(15)
    width, height = 40, 8
    full = LayoutUpdate(
        [[_random_strip(rng, width)] for _ in range(height)], Region(0, 0, width, height)
    )
    updates: list[CompositorUpdate] = [full]
    for _ in range(300):
        chops: list[dict[int, Strip | None]] = []
        ends: list[list[int]] = []
        spans: list[tuple[int, int, int]] = []
        for y in range(height):
            cut = rng.randrange(5, width - 5)
            chops.append({0: _random_strip(rng, cut), cut: _random_strip(rng, width - cut)})
            ends.append([cut, width])
            if rng.random() < 0.5:
                x1 = rng.randrange(0, width - 1)
                spans.append((y, x1, rng.randrange(x1 + 1, width + 1)))
        if spans:
            updates.append(ChopsUpdate(chops, spans, ends))
    _check_same(updates, width, height)


def test_repeated_content_is_not_written_again() -> None:
    strip = Strip([Segment("65,019.75", STYLES[2]), Segment("  0.5", STYLES[1])])
    update = LayoutUpdate([[strip]], Region(0, 0, 14, 1))
    writer = SpanWriter(ColorSystem.EIGHT_BIT)
    assert DiffedUpdate(update, writer, (14, 1)).render_segments(CONSOLE)
    same = ChopsUpdate([{0: strip}], [(0, 0, 14)], [[14]])
    assert DiffedUpdate(same, writer, (14, 1)).render_segments(CONSOLE) == ""
    changed = Strip([Segment("65,019.75", STYLES[2]), Segment("  0.6", STYLES[1])])
    update = ChopsUpdate([{0: changed}], [(0, 0, 14)], [[14]])
    text = DiffedUpdate(update, writer, (14, 1)).render_segments(CONSOLE)
    assert "65,019" not in text and "6" in text and len(text) < len(changed.render(CONSOLE))


async def test_the_desk_frames_leave_the_same_screen_as_textual(desk_app: AppBuilder) -> None:
    """Real desk updates (ladders, tape, status bar), Textual's way and ours, cell by cell."""
    feed = FakeFeed()
    app = desk_app(feed)
    width, height = 100, 30
    updates: list[CompositorUpdate] = []
    app.update_observer = updates.append
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()
        for step in range(12):
            app.render_frame()
            await pilot.pause()
            feed.state = build_state(seed=step)  # other books and prints
            app.composer.invalidate()
            if step == 6:
                await pilot.press("s")
            if step == 8:
                await pilot.press("b")
    assert len(updates) >= 6 and isinstance(updates[0], LayoutUpdate)
    assert any(isinstance(u, ChopsUpdate) for u in updates)
    assert sum(1 for u in updates for _ in fragments(u)) > height
    _check_same(updates, width, height)


def test_pieces_grouped_by_style_when_that_is_shorter() -> None:
    """Alternating styles across many rows: grouping by style needs fewer style changes."""
    red, grey = STYLES[3], STYLES[1]
    strips = [Strip([Segment("12.5", red), Segment(" 0.25", grey)] * 4) for _ in range(6)]
    update = LayoutUpdate([[strip] for strip in strips], Region(0, 0, 36, 6))
    writer = SpanWriter(ColorSystem.EIGHT_BIT)
    text = DiffedUpdate(update, writer, (36, 6)).render_segments(CONSOLE)
    textual = update.render_segments(CONSOLE)
    assert len(re.findall(r"\x1b\[[\d;]*m", text)) == 3  # red, grey, reset
    assert len(text) < len(textual) // 2
    written = _check_same([update], 36, 6)
    assert written == len(text)


def test_overlapping_writes_keep_their_order() -> None:
    from sor_tui.ui.span_writer import _overlapping

    assert _overlapping([(0, 0, 5, "abcde", 1), (0, 3, 6, "xyz", 2)])
    assert not _overlapping([(0, 0, 5, "abcde", 1), (0, 5, 8, "xyz", 2), (1, 0, 3, "q", 1)])


def test_a_hyperlinked_fragment_is_written_whole_and_rewritten_next_time() -> None:
    link = Style(color="cyan", link="https://example.invalid/docs")
    strip = Strip([Segment("docs", link), Segment(" plain", STYLES[1])])
    update = LayoutUpdate([[strip]], Region(0, 0, 10, 1))
    writer = SpanWriter(ColorSystem.EIGHT_BIT)
    first = DiffedUpdate(update, writer, (10, 1)).render_segments(CONSOLE)
    assert "\x1b]8;" in first  # Textual's own hyperlink sequence
    again = ChopsUpdate([{0: strip}], [(0, 0, 10)], [[10]])
    assert "\x1b]8;" in DiffedUpdate(again, writer, (10, 1)).render_segments(CONSOLE)
    _check_same([update, again], 10, 1)


def test_the_widget_and_strip_caches_are_where_the_adapter_looks() -> None:
    widget = Widget()
    assert callable(widget._styles_cache.clear)
    assert widget._border_title is None and widget._border_subtitle is None
    widget.border_title = "title"
    assert has_border_titles(widget)
    strip = Strip([Segment("abcd")])
    strip.divide([4])  # cut only at its end: the cached cycle ``release_strip`` breaks
    assert strip._divide_cache
    release_strip(strip)
    assert not strip._divide_cache
    forget_rendered_lines(widget)
