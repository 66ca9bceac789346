"""The one adapter onto Textual's private parts: the output path, the toast rack, and the
widget and strip caches that ``TextLines`` manages.

``TerminalOutputApp`` sees every frame Textual writes: it can write the frame through a
``SpanWriter`` (only changed cells), counts the bytes, and calls ``frame_displayed`` after
each one so that the app can ask the terminal for a round trip. Nothing else in the project
touches a Textual private name. Everything here that does is checked by
``tests/ui/test_textual_adapter.py``, which fails when a Textual release changes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.color import ColorSystem
from rich.console import Console
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.app import App
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets._toast import ToastRack

from sor_tui.ui.span_writer import SpanWriter

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.screen import Screen
    from textual.strip import Strip

ReturnType = TypeVar("ReturnType")
CURSOR_POSITION_REQUEST = "\x1b[6n"  # answered as a CursorPosition event, in output order
_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
    "windows": ColorSystem.WINDOWS,
}


def fragments(update: CompositorUpdate) -> Iterator[tuple[int, int, Strip]]:
    """The (row, column, strip) pieces an update draws, as Textual's own rendering does."""
    if isinstance(update, LayoutUpdate):
        for y, line in enumerate(update.strips, update.region.y):
            x = update.region.x
            for strip in line:
                yield y, x, strip
                x += strip.cell_length
        return
    if not isinstance(update, ChopsUpdate):
        return
    for y, x1, x2 in update.spans:
        for end, (x, chop) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if chop is None or x > x2 or end <= x1:
                continue
            if x2 > x >= x1 and end <= x2:
                yield y, x, chop
            else:
                yield y, x, chop.crop(0, min(end, x2) - x)


def toast_rack(screen: Screen[Any]) -> Widget | None:
    """The screen's notification toast container, if it has one."""
    try:
        return screen.get_child_by_type(ToastRack)
    except NoMatches:
        return None


def forget_rendered_lines(widget: Widget) -> None:
    """Drop the lines Textual's style pass cached for ``widget`` (they may be outdated)."""
    widget._styles_cache.clear()


def has_border_titles(widget: Widget) -> bool:
    """Whether ``widget`` shows a border title or subtitle (its style pass draws them)."""
    return widget._border_title is not None or widget._border_subtitle is not None


def release_strip(strip: Strip) -> None:
    """Break the reference cycle ``Strip.divide`` caches, so refcounting frees the strip.

    ``divide`` caches ``[self]`` when a strip is cut only at its end (the compositor does
    that to every line of a widget as wide as its region); clearing a cache is always safe
    (a strip still in use recomputes it).
    """
    strip._divide_cache.clear()


class DiffedUpdate(CompositorUpdate):
    """A compositor update written through a ``SpanWriter`` (or Textual's way when off)."""

    def __init__(self, update: CompositorUpdate, writer: SpanWriter | None, size: tuple[int, int]):
        self.update = update
        self.writer = writer
        self.size = size
        self.text = ""

    def render_segments(self, console: Console) -> str:
        """The update's escape sequences; remembered in ``text`` for counting."""
        writer = self.writer
        if writer is None:
            self.text = self.update.render_segments(console)
            return self.text
        writer.begin(*self.size, full=isinstance(self.update, LayoutUpdate))
        linked: list[str] = []
        for y, x, strip in fragments(self.update):
            if not writer.put(y, x, strip):  # hyperlinks: written whole, Textual's way
                linked.append(f"\x1b[{y + 1};{x + 1}H{strip.render(console)}")
                writer.forget(y, x, strip.cell_length)
        self.text = writer.finish() + "".join(linked)
        return self.text


class TerminalOutputApp(App[ReturnType], Generic[ReturnType]):
    """An App whose frames can be diffed by cell, are counted, and report when written."""

    span_writer: SpanWriter | None = None
    update_observer: Callable[[CompositorUpdate], None] | None = None
    """Sees every compositor update, headless too (tests compare renderings with it)."""
    bytes_written: int = 0
    frames_written: int = 0

    def use_span_writer(self, on: bool, color_system: str | None = None) -> None:
        """Write frames by changed cells (``on``) or whole spans as Textual does."""
        if not on:
            self.span_writer = None
            return
        name = color_system or self.console.color_system or "truecolor"
        self.span_writer = SpanWriter(_SYSTEMS.get(name, ColorSystem.TRUECOLOR))

    def request_round_trip(self) -> bool:
        """Ask the terminal for its cursor position (its answer follows every byte before)."""
        driver = self._driver
        if driver is None or self.is_headless or not self.is_running:
            return False
        driver.write(CURSOR_POSITION_REQUEST)
        driver.flush()
        return True

    def frame_displayed(self, written: int) -> None:
        """Called after each frame reached the driver, with its size in characters."""

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        if isinstance(renderable, CompositorUpdate) and self.update_observer is not None:
            self.update_observer(renderable)
        if not isinstance(renderable, CompositorUpdate) or self._driver is None:
            super()._display(screen, renderable)
            return
        size = (screen.outer_size.width, screen.outer_size.height)
        diffed = DiffedUpdate(renderable, self.span_writer, size)
        super()._display(screen, diffed)
        if diffed.text:
            self.bytes_written += len(diffed.text)
            self.frames_written += 1
            self.frame_displayed(len(diffed.text))
