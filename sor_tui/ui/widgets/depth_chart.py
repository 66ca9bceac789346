"""The depth chart: cumulative bid and ask size around the mid of the selected market.

Bars in eighths of a row scaled to the deepest column; the axis shows the exact edge prices
and mid and the exact peak size. Redrawn only when the book view changed.
"""

from __future__ import annotations

from decimal import Decimal

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from sor_tui.core.depth_curve import depth_curve
from sor_tui.core.number_text import exact_text, fit_number
from sor_tui.core.views import BookView
from sor_tui.ui.widgets.price_chart import volume_bar
from sor_tui.ui.widgets.text_lines import TextLines


class DepthChart(TextLines):
    """Cumulative depth: bids on the left, asks on the right, mid in the middle."""

    COMPONENT_CLASSES = {
        "depth-chart--title",
        "depth-chart--axis",
        "depth-chart--bid",
        "depth-chart--ask",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.market: str | None = None
        self.view: BookView | None = None

    def show(self, market: str | None, view: BookView | None) -> None:
        """Take the selected market's latest view; redraws only when it changed."""
        if view is not None and view.market != market:
            view = None
        old = self.view
        same = old is view or (
            old is not None
            and view is not None
            and (old.version, old.status) == (view.version, view.status)
        )
        if market == self.market and same:
            return
        self.market, self.view = market, view
        self.invalidate()

    def _style(self, name: str) -> Style:
        return self.component_style(f"depth-chart--{name}")

    def build_lines(self, width: int, height: int) -> list[Text | Strip]:
        """The chart's lines for this size."""
        view = self.view
        curve = depth_curve(view, width) if view is not None and height >= 4 else None
        title = f" Depth · {self.market or '—'}"
        if curve is not None:
            peak = fit_number(curve.peak, 40) or ""
            title += f" · peak {peak}" if peak and len(title) + len(peak) + 8 <= width else ""
        lines: list[Text | Strip] = [Text(title[:width], style=self._style("title"))]
        if curve is None:
            lines.append(Text(" no two-sided book yet", style=self._style("axis")))
            return lines
        rows = height - 2
        columns = [*curve.bids, *curve.asks]
        cells = [volume_bar(size, curve.peak, rows) for size in columns]
        bid, ask = self._style("bid"), self._style("ask")
        half = len(curve.bids)
        bid_rows = ["".join(row) for row in zip(*cells[:half], strict=True)]
        ask_rows = ["".join(row) for row in zip(*cells[half:], strict=True)]
        for bid_row, ask_row in zip(bid_rows, ask_rows, strict=True):
            line = Text(no_wrap=True)
            line.append(bid_row, bid)
            line.append(ask_row, ask)
            lines.append(line)
        lines.append(self._axis(curve.low, curve.mid, curve.high, width))
        return lines

    def _axis(self, low: Decimal, mid: Decimal, high: Decimal, width: int) -> Text:
        left, centre, right = exact_text(low), exact_text(mid), exact_text(high)
        if len(left) + len(centre) + len(right) + 2 > width:
            centre = ""  # an exact label or none: never a cropped one
        if len(left) + len(right) + 1 > width:
            return Text("", style=self._style("axis"))
        gap = width - len(left) - len(right) - len(centre)
        text = left + " " * (gap // 2) + centre + " " * (gap - gap // 2) + right
        return Text(text, style=self._style("axis"))
