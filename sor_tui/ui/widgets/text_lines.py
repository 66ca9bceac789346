"""A widget drawn line by line from a cached rich ``Text`` (Textual's line API).

Converting a large styled ``Text`` through Textual's content pipeline on every refresh
dominated frame time (measured: ~24 ms per ladder at 160x48); turning it into strips
once per change and serving ``render_line`` from that cache is far cheaper.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget


class TextLines(Widget):
    """Subclasses implement ``build_text()`` and call ``invalidate()`` when it would change."""

    def build_text(self, width: int, height: int) -> Text:
        """The widget's full text for this size."""
        raise NotImplementedError

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._generation = 0
        self._strips: list[Strip] = []
        self._strips_of: tuple[int, int, int, str] | None = None
        self._style_memo: dict[str, Style] = {}

    def invalidate(self) -> None:
        """The text changed: rebuild it on the next paint."""
        self._generation += 1
        self.refresh()

    def component_style(self, name: str) -> Style:
        """A component class's style, looked up once per build."""
        style = self._style_memo.get(name)
        if style is None:
            style = self._style_memo[name] = self.get_component_rich_style(name, partial=True)
        return style

    def render_line(self, y: int) -> Strip:
        """One line of the cached text as a strip of the widget's width."""
        width, height = self.size
        key = (self._generation, width, height, self.app.theme)
        if key != self._strips_of:
            self._style_memo.clear()
            self._strips = self._to_strips(self.build_text(width, height), width)
            self._strips_of = key
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)

    def _to_strips(self, text: Text, width: int) -> list[Strip]:
        console = self.app.console
        base = self.rich_style
        strips = []
        for line in text.split("\n", allow_blank=True):
            segments = list(line.render(console, end=""))
            strip = Strip(Segment.apply_style(segments, base), line.cell_len)
            strips.append(strip.crop_extend(0, width, base))
        return strips
