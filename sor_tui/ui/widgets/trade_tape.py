"""The trade tape: newest first by executed_at, tick arrows, large prints, stats, sparkline."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from sor_tui.core.number_text import (
    Column,
    exact_text,
    fit_number,
    fit_parts,
    plan_column,
)
from sor_tui.core.sanitize import sanitize
from sor_tui.core.views import TapeEntry, TapeStats, TapeView, Tick
from sor_tui.ui.format import format_clock
from sor_tui.ui.gaps import Gap
from sor_tui.ui.widgets.sparkline import sparkline
from sor_tui.ui.widgets.text_lines import TextLines

_ARROW = {Tick.UP: "▲", Tick.DOWN: "▼", Tick.ZERO: " "}
_TICK_CLASS = {Tick.UP: "up", Tick.DOWN: "down", Tick.ZERO: "zero"}
PRICE_CELLS = 11
"""The narrowest price column, so that prices of most markets line up across frames."""
STAT_CELLS = 16
"""The widest number of the stats line (a longer one is rounded and marked)."""


class TapeColumns(NamedTuple):
    """The price and amount columns of the prints shown (None: left out, too narrow)."""

    price: Column | None
    amount: Column | None


def clock_cells(show_market: bool, wide: bool) -> int:
    """Cells of a print's time (and market) part, its trailing space included."""
    if not show_market:
        return 13
    return 22 if wide else 14


class TradeTape(TextLines):
    """Executions newest first with session stats for one market and a price sparkline."""

    COMPONENT_CLASSES = {
        "trade-tape--title",
        "trade-tape--stats",
        "trade-tape--up",
        "trade-tape--down",
        "trade-tape--zero",
        "trade-tape--large",
        "trade-tape--time",
        "trade-tape--spark",
        "trade-tape--gap",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.tape: TapeView | None = None
        self.market_filter: str | None = None
        self.stats_market: str | None = None
        self.places: dict[str, int] = {}
        self.large_notional = Decimal("100000")
        self.show_sparkline = True  # off in the low-bandwidth profile
        self.gaps: tuple[Gap, ...] = ()
        self._last_columns = TapeColumns(None, None)  # the columns of the last build
        self._columns_version = 0

    def show(self, tape: TapeView) -> None:
        """Take a new tape view and redraw."""
        self.tape = tape
        self.invalidate()

    def show_gaps(self, gaps: tuple[Gap, ...]) -> None:
        """Take the connection gaps (oldest first) and redraw when they changed."""
        if gaps != self.gaps:
            self.gaps = gaps
            self.invalidate()

    def set_filter(self, market: str | None, stats_market: str | None) -> None:
        """Show one market only (None: all) and whose stats to show."""
        self.market_filter = market
        self.stats_market = market or stats_market
        self.invalidate()

    def _style(self, name: str) -> Style:
        return self.component_style(f"trade-tape--{name}")

    def build_lines(self, width: int, height: int) -> list[Text | Strip]:
        """The tape's lines for this size."""
        return self._build(width, height)

    def _build(self, width: int, height: int) -> list[Text | Strip]:
        title = f" Trades · {self.market_filter}"
        if self.market_filter is None:
            title = f" Trades · all · stats {self.stats_market or '—'}"
        lines: list[Text | Strip] = [Text(title[:width], style=self._style("title"), no_wrap=True)]
        tape = self.tape
        market = self.stats_market
        stats = tape.session.get(market) if tape is not None and market else None
        lines.extend(self._stats_lines(stats, width))
        entries = [] if tape is None else list(tape.entries)
        if self.market_filter:
            entries = [e for e in entries if e.execution.market == self.market_filter]
        spark_prices = [
            e.execution.price for e in reversed(entries) if e.execution.market == market
        ]
        spark = sparkline(spark_prices, max(0, width - 2)) if self.show_sparkline else ""
        lines.append(Text(" " + spark, style=self._style("spark"), no_wrap=True))
        show_market = self.market_filter is None
        wide = width >= 48
        room = max(0, height - len(lines))
        gaps = sorted(self.gaps, key=lambda gap: gap.start_ns, reverse=True)
        shown = entries[:room]
        columns = self._columns(shown, width, show_market, wide)
        if columns != self._last_columns:  # lines name their layout by number: cheap to hash
            self._last_columns = columns
            self._columns_version += 1
        columns = self._last_columns
        # A print's line is kept between builds, so a frame with new prints draws only those.
        large = self.large_notional
        for entry in shown:
            ex = entry.execution
            # A gap sits above the prints executed before the connection was lost.
            while gaps and gaps[0].start_ns >= ex.executed_at_ns and len(lines) < height:
                lines.append(self._gap_line(gaps.pop(0), width))
            if len(lines) >= height:
                break
            places = self.places.get(ex.market, 0)
            layout = self._columns_version
            key = (ex, entry.tick, entry.large, places, width, show_market, wide, large, layout)
            draw = partial(self._print_strip, entry, places, width, show_market, wide, columns)
            lines.append(self.kept_line(key, draw))
        while gaps and len(lines) < height:
            lines.append(self._gap_line(gaps.pop(0), width))
        return lines

    def _columns(
        self, entries: list[TapeEntry], width: int, show_market: bool, wide: bool
    ) -> TapeColumns:
        """The price and amount columns for the prints shown (decimal points in line)."""
        zero_places = max((self.places.get(e.execution.market, 0) for e in entries), default=0)
        prices = [e.execution.price for e in entries]
        price = plan_column(prices, width, zero_places=zero_places, rounding=False)
        price = price._replace(width=max(PRICE_CELLS, price.width)) if price else None
        clock = clock_cells(show_market, wide)
        room = width - clock - (price.width if price else 0) - 2  # the arrow, a space
        amount = plan_column([e.execution.amount for e in entries], room, ragged=True)
        # As wide as the room: the layout (and so every kept print line) changes only when
        # the widest fraction shown does, not with each print that scrolls in or out.
        amount = amount._replace(width=max(amount.width, room)) if amount else None
        return TapeColumns(price, amount)

    def _print_strip(
        self,
        entry: TapeEntry,
        places: int,
        width: int,
        show_market: bool,
        wide: bool,
        columns: TapeColumns,
    ) -> Strip:
        """One print as segments: time (and market), price with its tick arrow, amount."""
        ex = entry.execution
        clock = format_clock(ex.executed_at_ns)
        if show_market:
            # Narrow: the seconds and a short market code matter more than milliseconds.
            name = sanitize(ex.market if wide else ex.market.removesuffix("USD"), 8)
            clock = clock if wide else clock[:8]
            clock = f"{clock} {set_cell_size(name, 8 if wide else 4)}"
        price_column, amount_column = columns
        price = ""
        if price_column is not None:
            cell = price_column.cell(ex.price, places)
            price = f"{cell}{_ARROW[entry.tick]}"
        amount = f" {amount_column.cell(ex.amount)}" if amount_column is not None else ""
        body = f" {clock}{price}{amount}"
        if cell_len(body) > width:  # not planned for these columns: leave the numbers out
            body, price = f" {clock}", ""
        body = set_cell_size(body, width)
        start = len(clock) + 1
        end = min(len(body), start + len(price))
        large = entry.large or ex.price * ex.amount >= self.large_notional
        runs = (("time", 0, start), (_TICK_CLASS[entry.tick], start, end))
        if cell_len(body) != len(body):  # wide characters (a market name): the general path
            line = Text(body, no_wrap=True, overflow="crop")
            for name, first, last in runs:
                line.stylize(self._style(name), first, last)
            if large:
                line.stylize(self._style("large"), end, width)
            return self.text_strip(line, width)
        base = self.base_style()
        segments = [
            Segment(body[first:last], self.painted_style(base + self._style(name)))
            for name, first, last in runs
            if first < last
        ]
        if end < width:
            rest = base + self._style("large") if large else base
            segments.append(Segment(body[end:], self.painted_style(rest)))
        return self.finish_line(segments, width)

    def _gap_line(self, gap: Gap, width: int) -> Text:
        return Text(
            f" {gap.text(width - 1)}"[:width].ljust(width), style=self._style("gap"), no_wrap=True
        )

    def _stats_lines(self, stats: TapeStats | None, width: int) -> list[Text]:
        style = self._style("stats")
        if stats is None or stats.count == 0:
            return [Text(" no prints yet"[:width], style=style, no_wrap=True)]
        places = self.places.get(stats.market, 0)
        first = [(f" n {stats.count}", 0)]
        volume = fit_number(stats.volume, STAT_CELLS, max_places=8)
        if volume is not None:
            first.append((f"  vol {volume}", 1))
        # An average rarely ends: two digits past the tick, marked when rounded.
        vwap = None
        if stats.vwap is not None:
            vwap = fit_number(stats.vwap, STAT_CELLS, zero_places=places, max_places=places + 2)
        if vwap is not None:
            first.append((f"  vwap {vwap}", 2))
        second = [
            (f"  hi {exact_text(stats.high, places)}", 0) if stats.high is not None else ("", 0),
            (f"  lo {exact_text(stats.low, places)}", 0) if stats.low is not None else ("", 0),
        ]
        together = fit_parts(first + second, width)
        if len(together) == sum(len(text) for text, _ in first + second):
            return [Text(together, style=style, no_wrap=True)]
        return [
            Text(fit_parts(first, width), style=style, no_wrap=True),
            Text(fit_parts(second, width), style=style, no_wrap=True),
        ]


def last_price(tape: TapeView, market: str) -> Decimal | None:
    """The market's last print by executed_at, from the session stats."""
    stats = tape.session.get(market)
    return None if stats is None else stats.last
