"""The chart panel of the books tab: the price chart or the depth chart of the first market.

It holds the chart choice (off, candles, line, depth) and the timeframe; the desk shows it
next to the ladders on a wide terminal and instead of them on a narrow one.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from sor_tui.core.chart_data import CHART_MODES, TIMEFRAMES, ChartData
from sor_tui.core.views import BookView
from sor_tui.ui.widgets.depth_chart import DepthChart
from sor_tui.ui.widgets.price_chart import PriceChart

WIDE = 120  # from this width the chart goes next to the ladders, below it instead of them
CHART_WIDTH = 50  # what a ladder gives up to a chart beside it


class ChartPanel(Vertical):
    """The price and depth charts of the selected market (one of them shown at a time)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = "off"
        self.timeframe = "1m"

    def compose(self) -> ComposeResult:
        """One chart of each kind."""
        yield PriceChart(id="price-chart")
        yield DepthChart(id="depth-chart")

    def on_mount(self) -> None:
        """Find the charts once; the frame timer asks every frame."""
        self.price = self.query_one(PriceChart)
        self.depth = self.query_one(DepthChart)
        self.set_mode(self.mode)

    @property
    def shown(self) -> bool:
        """Whether a chart is shown at all."""
        return self.mode != "off"

    def set_mode(self, mode: str) -> None:
        """Show the chart of ``mode`` (an unknown mode means off)."""
        self.mode = mode if mode in CHART_MODES else "off"
        self.display = self.mode != "off"
        if self.is_mounted:
            self.price.display = self.mode in ("candles", "line")
            self.depth.display = self.mode == "depth"

    def next_mode(self) -> str:
        """Cycle off -> candles -> line -> depth -> off."""
        self.set_mode(CHART_MODES[(CHART_MODES.index(self.mode) + 1) % len(CHART_MODES)])
        return self.mode

    def next_timeframe(self) -> str:
        """Cycle 1s -> 1m -> 5m -> 15m -> 1s."""
        names = list(TIMEFRAMES)
        position = names.index(self.timeframe) if self.timeframe in names else 0
        self.timeframe = names[(position + 1) % len(names)]
        return self.timeframe

    def set_timeframe(self, timeframe: str) -> None:
        """Use ``timeframe`` when it is one of the known ones."""
        if timeframe in TIMEFRAMES:
            self.timeframe = timeframe

    def tick(self, data: ChartData, market: str | None, view: BookView | None, now_ns: int) -> None:
        """Per frame: the shown chart redraws only if its inputs changed."""
        if self.mode in ("candles", "line"):
            self.price.show(data, market, self.timeframe, self.mode, now_ns)
        elif self.mode == "depth":
            self.depth.show(market, view)
