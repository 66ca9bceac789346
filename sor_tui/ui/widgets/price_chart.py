"""The price chart: candles with volume bars, or last trade and mid as a line, per timeframe.

Drawn with block and box characters from exact chart data; the axis shows only exact
prices (the visible high and low, and the last close), never rounded ticks. One column is
one bucket of the timeframe, the newest on the right; a bucket without prints stays empty
and a bucket inside a connection gap is shaded, never filled in.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from sor_tui.core.chart_data import TIMEFRAMES, Candle, ChartData, MidPoint
from sor_tui.core.number_text import exact_text, fit_number, fraction_digits
from sor_tui.ui.format import format_clock
from sor_tui.ui.widgets.text_lines import TextLines

BARS = " ▁▂▃▄▅▆▇█"
CHART_STYLES = ("candles", "line")


def row_of(price: Decimal, high: Decimal, span: Decimal, rows: int) -> int:
    """The row (0 at the top) a price falls in, for a price range of ``span`` below ``high``."""
    if span <= 0 or rows <= 1:
        return rows // 2
    return min(rows - 1, max(0, int((high - price) * (rows - 1) / span + Decimal("0.5"))))


def volume_bar(volume: Decimal, peak: Decimal, rows: int) -> str:
    """One column of a bar chart, top row first, in eighths of a row (at least one eighth)."""
    if peak <= 0 or volume <= 0 or rows <= 0:
        return " " * max(rows, 0)
    eighths = min(rows * 8, max(1, int(volume * rows * 8 / peak)))
    full, part = divmod(eighths, 8)
    top = BARS[part] if part else ""
    return " " * (rows - full - len(top)) + top + "█" * full


class PriceChart(TextLines):
    """One market's candles (or line) and volume; redrawn only when its data changed."""

    COMPONENT_CLASSES = {
        "price-chart--title",
        "price-chart--axis",
        "price-chart--up",
        "price-chart--down",
        "price-chart--mid",
        "price-chart--gap",
        "price-chart--volume",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: ChartData | None = None
        self.market: str | None = None
        self.timeframe = "1m"
        self.style_name = "candles"
        self.now_ns = 0
        self._key: tuple[object, ...] | None = None

    def show(
        self, data: ChartData, market: str | None, timeframe: str, style: str, now_ns: int
    ) -> None:
        """Take the chart's inputs; redraws only when one of them or the market's data changed."""
        width = TIMEFRAMES[timeframe]
        bucket = now_ns - now_ns % width
        # Candles show no mids: a moving mid alone does not redraw them.
        prints_only = style == "candles"
        version = data.market_version(market, prints_only=prints_only) if market else 0
        key = (id(data), market, timeframe, style, bucket, version)
        self.data, self.market, self.timeframe, self.style_name = data, market, timeframe, style
        self.now_ns = now_ns
        if key != self._key:
            self._key = key
            self.invalidate()

    def _style(self, name: str) -> Style:
        return self.component_style(f"price-chart--{name}")

    def build_lines(self, width: int, height: int) -> list[Text | Strip]:
        """The chart's lines for this size."""
        title = f" {self.market or '—'} · {self.style_name} {self.timeframe}"
        lines: list[Text | Strip] = [Text(title[:width], style=self._style("title"))]
        data, market = self.data, self.market
        if data is None or market is None or height < 6 or width < 20:
            return lines
        candles = data.candles(market, self.timeframe)
        step = TIMEFRAMES[self.timeframe]
        newest = self.now_ns - self.now_ns % step
        if candles:
            newest = max(newest, candles[-1].start_ns)
        volume_rows = 2 if height < 30 else 4
        price_rows = height - volume_rows - 2
        visible = [c for c in candles if c.start_ns > newest - step * (width - 12)]
        mids = [m for m in data.mids(market) if m.time_ns > newest - step * (width - 12)]
        prices = [c.high for c in visible] + [c.low for c in visible]
        if self.style_name == "line":
            prices += [m.mid for m in mids if m.mid is not None]
        if not prices:
            lines.append(Text(" no prints or book yet", style=self._style("axis")))
            return lines
        high, low = max(prices), min(prices)
        last = visible[-1].close if visible else None
        # Exact labels, padded to one fraction length so their decimal points line up.
        places = max(fraction_digits(p) for p in (high, low, last) if p is not None)
        labels = {0: exact_text(high, places), price_rows - 1: exact_text(low, places)}
        span = high - low
        if last is not None:
            labels[row_of(last, high, span, price_rows)] = exact_text(last, places)
        label_width = max(len(text) for text in labels.values()) + 1
        columns = max(1, width - label_width)
        first = newest - step * (columns - 1)
        grid = self._grid(data, visible, mids, first, step, columns, price_rows, high, span)
        for row in range(price_rows):
            line = Text(no_wrap=True)
            # One append per run of equally styled cells: a chart row is mostly blank.
            for style, run in groupby(grid[row], key=itemgetter(1)):
                line.append("".join(char for char, _ in run), style)
            label = labels.get(row, "")
            line.append(" " + label.rjust(label_width - 1), self._style("axis"))
            lines.append(line)
        lines.extend(self._volume(visible, first, step, columns, volume_rows, label_width))
        start, end = format_clock(first)[:8], format_clock(newest)[:8]
        axis = start + " " * max(1, columns - len(start) - len(end)) + end
        lines.append(Text(axis[:width], style=self._style("axis")))
        return lines

    def _grid(
        self,
        data: ChartData,
        visible: list[Candle],
        mids: list[MidPoint],
        first: int,
        step: int,
        columns: int,
        rows: int,
        high: Decimal,
        span: Decimal,
    ) -> list[list[tuple[str, Style]]]:
        blank = Style()
        grid = [[(" ", blank)] * columns for _ in range(rows)]
        gap = self._style("gap")
        for column in range(columns):
            start = first + column * step
            if data.in_gap(start, start + step):
                for row in range(rows):
                    grid[row][column] = ("░", gap)
        if self.style_name == "line":
            mid_style = self._style("mid")
            for point in mids:
                column = (point.time_ns - first) // step
                if point.mid is not None and 0 <= column < columns:
                    grid[row_of(point.mid, high, span, rows)][column] = ("·", mid_style)
        for candle in visible:
            column = (candle.start_ns - first) // step
            if not 0 <= column < columns:
                continue
            style = self._style("up" if candle.close >= candle.open else "down")
            if self.style_name == "line":
                grid[row_of(candle.close, high, span, rows)][column] = ("•", style)
                continue
            top, bottom = (
                row_of(candle.high, high, span, rows),
                row_of(candle.low, high, span, rows),
            )
            body_top = row_of(max(candle.open, candle.close), high, span, rows)
            body_bottom = row_of(min(candle.open, candle.close), high, span, rows)
            for row in range(top, bottom + 1):
                grid[row][column] = ("█" if body_top <= row <= body_bottom else "│", style)
        return grid

    def _volume(
        self, visible: list[Candle], first: int, step: int, columns: int, rows: int, label: int
    ) -> list[Text | Strip]:
        by_column = {(c.start_ns - first) // step: c.volume for c in visible}
        peak = max(by_column.values(), default=Decimal(0))
        cells = [
            volume_bar(by_column.get(column, Decimal(0)), peak, rows) for column in range(columns)
        ]
        style = self._style("volume")
        lines: list[Text | Strip] = []
        for row, chars in enumerate(zip(*cells, strict=True)):
            line = Text("".join(chars), style=style)
            peak_text = fit_number(peak, 40) if row == 0 and peak > 0 else None
            tail = f"v {peak_text}" if peak_text else ""
            if len(tail) > label - 1:
                tail = ""  # an exact peak or none: never a cropped number
            line.append(" " + tail.rjust(label - 1), self._style("axis"))
            lines.append(line)
        return lines
