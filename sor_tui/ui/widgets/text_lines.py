"""A widget drawn line by line from a cached rich ``Text`` (Textual's line API).

Converting a large styled ``Text`` through Textual's content pipeline on every refresh
dominated frame time (measured: ~24 ms per ladder at 160x48); turning it into strips
once per change and serving ``render_line`` from that cache is far cheaper. On a change
of content only (same size, theme and classes) the new strips are built at once and only
the lines that differ are marked dirty, so the compositor repaints those lines alone.
"""

from __future__ import annotations

from typing import Self

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

# What the cached strips and styles depend on besides the content: size, theme, classes.
_Look = tuple[int, int, str, frozenset[str]]


class TextLines(Widget):
    """Subclasses implement ``build_text()`` and call ``invalidate()`` when it would change."""

    def build_text(self, width: int, height: int) -> Text:
        """The widget's full text for this size."""
        raise NotImplementedError

    def build_lines(self, width: int, height: int) -> list[Text]:
        """The widget's lines for this size (override to skip joining and splitting)."""
        return list(self.build_text(width, height).split("\n", allow_blank=True))

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: list[Strip] = []
        self._blank: Strip | None = None
        self._look: _Look | None = None  # what the strips were built for
        self._stale = True  # the content changed since the strips were built
        self._style_memo: dict[str, Style] = {}
        self._style_look: tuple[str, frozenset[str]] | None = None
        self._line_cache: dict[tuple[object, ...], Strip] = {}
        self._flush_pending = False
        self._own_refresh = False
        self.builds = 0  # strip rebuilds (tests and profiling)

    def _current_look(self) -> _Look:
        width, height = self.size
        return (width, height, self.app.theme, frozenset(self.classes))

    def invalidate(self) -> None:
        """The text changed: rebuild once after this frame's messages, then repaint diffs."""
        self._stale = True
        if not self.is_mounted:
            self.refresh()
            return
        if not self._flush_pending:
            # Queued behind the frame's messages: several invalidations, one rebuild.
            self._flush_pending = True
            self.app.call_later(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        if not self._stale:
            return  # a paint already rebuilt it (and repainted everything)
        if self._look is None or not self.is_mounted or not self.display:
            self.refresh()
            return
        look = self._current_look()
        if look != self._look:
            self.refresh()
            return
        old = self._strips
        self._rebuild(look)
        new = self._strips
        width = look[0]
        changed = [y for y in range(max(len(old), len(new))) if _line(old, y) != _line(new, y)]
        if len(changed) > len(new) // 2:
            # Most lines differ: one whole repaint is cheaper than regions.
            self._own_refresh = True
            try:
                self.refresh()
            finally:
                self._own_refresh = False
        elif changed:
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        """Textual's refresh; a whole repaint we did not ask for (CSS, theme) drops styles."""
        if repaint and not regions and not getattr(self, "_own_refresh", True):
            # Component styles are re-applied before such a refresh: look them up again.
            self._style_memo.clear()
            self._line_cache.clear()
            self._style_look = None
            self._stale = True
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def component_style(self, name: str) -> Style:
        """A component class's style, looked up once per theme and class change."""
        style = self._style_memo.get(name)
        if style is None:
            style = self._style_memo[name] = self.get_component_rich_style(name, partial=True)
        return style

    def _rebuild(self, look: _Look) -> None:
        width, height, theme, classes = look
        if self._style_look != (theme, classes):
            self._style_memo.clear()
            self._line_cache.clear()
            self._style_look = (theme, classes)
        base = self.rich_style
        self._strips = self._to_strips(self.build_lines(width, height), width, base)
        self._blank = Strip.blank(width, base)
        self._look = look
        self._stale = False
        self.builds += 1

    def render_line(self, y: int) -> Strip:
        """One line of the cached text as a strip of the widget's width."""
        if self._stale or y == 0:  # the look is checked once per paint (line 0 comes first)
            look = self._current_look()
            if self._stale or look != self._look:
                self._rebuild(look)
        if y < len(self._strips):
            return self._strips[y]
        blank = self._blank
        return blank if blank is not None else Strip.blank(self.size.width, self.rich_style)

    def _to_strips(self, lines: list[Text], width: int, base: Style) -> list[Strip]:
        # Most lines are unchanged between builds: reuse their strips (keyed by content).
        console = self.app.console
        old = self._line_cache
        cache: dict[tuple[object, ...], Strip] = {}
        strips = []
        for line in lines:
            key: tuple[object, ...] = (line.plain, line.style, *line.spans, width, base)
            strip = old.get(key) or cache.get(key)
            if strip is None:
                if line.spans or not line.style:
                    segments = list(line.render(console, end=""))
                else:  # Text.render ignores the base style of a line without spans
                    segments = [Segment(line.plain, console.get_style(line.style))]
                strip = Strip(Segment.apply_style(segments, base), line.cell_len)
                strip = strip.crop_extend(0, width, base)
            cache[key] = strip
            strips.append(strip)
        self._line_cache = cache
        return strips


def _line(strips: list[Strip], y: int) -> Strip | None:
    return strips[y] if y < len(strips) else None
