"""A widget drawn line by line from cached strips (Textual's line API).

Converting a large styled ``Text`` through Textual's content pipeline on every refresh
dominated frame time; turning it into strips once per change and serving ``render_line``
from that cache is far cheaper (figures in bench/README.md). On a change
of content only (same size, theme and classes) the new strips are built at once and only
the lines that differ are marked dirty, so the compositor repaints those lines alone.

Three more shortcuts keep a busy frame cheap, each checked against the general path by
tests/ui/test_ladder_drawing.py:

- hot widgets return ready ``Strip`` lines from ``build_lines`` (the ladder draws its level
  lines as segments: a rich ``Text`` render cost several times more per line);
- strips are built already passed through the app's line filters (true colour, dim), so a
  new line costs one ``Strip`` instead of two and a kept line is never filtered again;
- a widget with no border, padding, outline, tint or opacity skips Textual's per-line style
  pass, which would only re-wrap strips that already carry the widget's style. A widget can
  draw a one-cell rule on its right edge (``RULE``) instead of a CSS border to stay on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar, Self

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from sor_tui.ui.textual_adapter import forget_rendered_lines, has_border_titles, release_strip

# The app's line filters and the widget's background, which the filters depend on.
_Paint = tuple[tuple[LineFilter, ...], Color]
# What the cached strips and styles depend on besides the content.
_Look = tuple[int, int, str, frozenset[str], _Paint]  # width, height, theme, classes, paint


class TextLines(Widget):
    """Subclasses implement ``build_lines()`` (or ``build_text()``) and call ``invalidate()``."""

    COMPONENT_CLASSES = {"text-lines--rule"}

    RULE: ClassVar[str] = ""
    """A character drawn in the last column of every line (a right-hand rule), or none."""

    _own_refresh: bool = True
    """True while this widget asks for its own repaint (and while Textual builds it)."""

    def build_text(self, width: int, height: int) -> Text:
        """The widget's full text for this size."""
        raise NotImplementedError

    def build_lines(self, width: int, height: int) -> list[Text | Strip]:
        """The widget's lines for this size (override to skip joining and splitting).

        A ready line is made by ``finish_line`` from ``width`` cells of segments whose
        styles came from ``painted_style`` (the widget's style under its own, filtered).
        """
        return list(self.build_text(width, height).split("\n", allow_blank=True))

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: list[Strip] = []
        self._blank: Strip | None = None
        self._look: _Look | None = None  # what the strips were built for
        self._stale = True  # the content changed since the strips were built
        self._style_memo: dict[str, Style] = {}
        self._painted: dict[Style, Style] = {}
        self._base: Style | None = None
        self._style_look: tuple[str, frozenset[str], _Paint] | None = None
        # Lines drawn by the previous build and by this one, by what they depend on: a
        # line that is drawn again is the same strip (no repaint, its caches kept).
        self._kept: dict[object, Strip] = {}
        self._making: dict[object, Strip] = {}
        self._rule: Segment | None = None
        self._flush_pending = False
        self._own_refresh = False
        self._plain: tuple[_Look, bool] | None = None  # may skip Textual's style pass?
        self.builds = 0  # strip rebuilds (tests and profiling)
        self.fast_renders = 0  # render_lines served without the style pass (tests)

    @property
    def style_look(self) -> object:
        """What every memoized style depends on (changes on a theme, class or filter change)."""
        return self._style_look

    def _current_look(self) -> _Look:
        width, height = self.size
        paint = (tuple(self.app.get_line_filters()), self.background_colors[1])
        return (width, height, self.app.theme, frozenset(self.classes), paint)

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
        if self._look is None or not self.is_mounted:
            self.refresh()
            return
        if not self.display:
            return  # stays stale: rebuilt when it is shown and painted again
        look = self._current_look()
        if look != self._look:
            self.refresh()
            return
        old = self._strips
        self._rebuild(look)
        new = self._strips
        width = look[0]
        # A kept line is the very same strip (the caches hand it back): identity is enough,
        # and comparing segment by segment cost more than the repaint it could save.
        changed = [y for y in range(max(len(old), len(new))) if _line(old, y) is not _line(new, y)]
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
        if repaint and not regions and not self._own_refresh:
            # Component styles are re-applied before such a refresh: look them up again.
            self._forget_styles()
            self._stale = True
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _forget_styles(self) -> None:
        self._style_memo.clear()
        self._painted.clear()
        self._base = None
        self._kept = {}
        self._style_look = None

    def component_style(self, name: str) -> Style:
        """A component class's style, looked up once per theme and class change."""
        style = self._style_memo.get(name)
        if style is None:
            style = self._style_memo[name] = self.get_component_rich_style(name, partial=True)
        return style

    def base_style(self) -> Style:
        """The widget's own style (``rich_style`` is costly: looked up once per look)."""
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        return base

    def painted_style(self, style: Style) -> Style:
        """``style`` as the app's line filters turn it (remembered per look)."""
        painted = self._painted.get(style)
        if painted is None:
            segments = self.painted([Segment(" ", style)])
            painted = self._painted[style] = segments[0].style or Style()
        return painted

    def painted(self, segments: list[Segment]) -> list[Segment]:
        """Segments through the app's line filters, as Textual's style pass would filter."""
        style_look = self._style_look
        paint = style_look[2] if style_look is not None else self._current_look()[4]
        filters, background = paint
        for line_filter in filters:
            segments = line_filter.apply(segments, background)
        return segments

    def _rebuild(self, look: _Look) -> None:
        width, height, theme, classes, paint = look
        if self._style_look != (theme, classes, paint):
            self._forget_styles()
            self._style_look = (theme, classes, paint)  # painted() reads the filters here
        base = self.base_style()
        inner = width - 1 if self.RULE and width > 1 else width
        self._rule = None
        if inner != width:
            style = base + self.component_style("text-lines--rule")
            self._rule = Segment(self.RULE, self.painted_style(style))
        if self._look is None or self._look[0] != width:
            self._kept = {}  # kept lines are as wide as the widget
        old = self._strips
        self._making = {}
        self._strips = self._to_strips(self.build_lines(inner, height), inner)
        self._kept, self._making = self._making, {}
        _release(old, self._strips)
        self._blank = self.finish_line(
            [Segment(" " * inner, self.painted_style(base))] if inner else [], inner
        )
        self._look = look
        self._stale = False
        self.builds += 1

    def shown_text(self) -> str:
        """The plain text of the current lines (tests, copying), one line per row."""
        self.render_line(0)
        return "\n".join(strip.text for strip in self._strips)

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

    def render_lines(self, crop: Region) -> list[Strip]:
        """The widget's lines for the compositor.

        Without border, padding, outline, tint or opacity Textual's style pass would only
        re-wrap strips that already carry the widget's style and filters, at several µs a
        line: serve them directly (cropped, as that pass does).
        """
        look = self._current_look()
        plain = self._plain
        if plain is None or plain[0] != look:
            plain = self._plain = (look, self._is_plain())
            forget_rendered_lines(self)  # it may hold lines from before the change
        if not plain[1]:
            # Its filters run again over our filtered lines: they are idempotent.
            return super().render_lines(crop)
        self.fast_renders += 1
        render_line = self.render_line
        x1, x2 = crop.column_span
        if (x1, x2) == (0, look[0]):
            return [render_line(y) for y in crop.line_range]
        return [render_line(y).crop(x1, x2) for y in crop.line_range]

    def _is_plain(self) -> bool:
        """True when Textual's style pass would not change the content's strips."""
        styles = self.styles
        return (
            not any(edge for edge, _ in styles.border)
            and not any(edge for edge, _ in styles.outline)
            and not any(styles.padding)
            and styles.tint.a == 0
            and self.opacity == 1.0
            and styles.text_opacity == 1.0
            and (not styles.has_rule("hatch") or styles.hatch == "none")
            and not has_border_titles(self)
        )  # (auto_links only restyles links under the mouse: these lines hold none)

    def kept_line(self, key: object, draw: Callable[[], Strip]) -> Strip:
        """The line this build or the previous one drew for ``key``, else ``draw()``.

        ``key`` names everything the line depends on besides the widget's width, theme,
        classes and filters (those drop every kept line when they change).
        """
        strip = self._making.get(key) or self._kept.get(key)
        if strip is None:
            strip = draw()
        self._making[key] = strip
        return strip

    def finish_line(self, segments: list[Segment], width: int) -> Strip:
        """The strip of a line of ``width`` cells, with the rule appended when there is one."""
        rule = self._rule
        if rule is None:
            return Strip(segments, width)
        segments.append(rule)
        return Strip(segments, width + 1)

    def text_strip(self, line: Text, width: int) -> Strip:
        """A ``Text`` line as a finished strip of ``width`` cells (cropped or padded)."""
        base = self.base_style()
        console = self.app.console
        if line.spans or not line.style:
            segments = list(line.render(console, end=""))
        else:  # Text.render ignores the base style of a line without spans
            segments = [Segment(line.plain, console.get_style(line.style))]
        styled = list(Segment.apply_style(segments, base))
        fitted = Segment.adjust_line_length(styled, width, style=base)
        return self.finish_line(self.painted(fitted), width)

    def _to_strips(self, lines: list[Text | Strip], width: int) -> list[Strip]:
        strips = []
        for line in lines:
            if isinstance(line, Strip):
                strips.append(line)  # the subclass keeps its own through kept_line
                continue
            key = ("text", line.plain, line.style, *line.spans)
            strips.append(self.kept_line(key, partial(self.text_strip, line, width)))
        return strips


def _release(old: list[Strip], new: list[Strip]) -> None:
    """Let the strips no longer shown be freed by reference counting alone.

    A strip Textual divided holds a reference cycle that only a full collection frees, and
    the desk keeps full collections rare (``gc_policy``), so dropped lines would pile up.
    """
    kept = {id(strip) for strip in new}
    for strip in old:
        if id(strip) not in kept:
            release_strip(strip)


def _line(strips: list[Strip], y: int) -> Strip | None:
    return strips[y] if y < len(strips) else None
