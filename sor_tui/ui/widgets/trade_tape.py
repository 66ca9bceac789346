"""The trade tape: newest first by executed_at, tick arrows, large prints, stats, sparkline."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from sor_tui.core.sanitize import sanitize
from sor_tui.core.views import TapeEntry, TapeStats, TapeView, Tick
from sor_tui.ui.format import format_amount, format_amount_fit, format_clock, format_price
from sor_tui.ui.gaps import Gap
from sor_tui.ui.widgets.sparkline import sparkline
from sor_tui.ui.widgets.text_lines import TextLines

_ARROW = {Tick.UP: "▲", Tick.DOWN: "▼", Tick.ZERO: " "}
_TICK_CLASS = {Tick.UP: "up", Tick.DOWN: "down", Tick.ZERO: "zero"}


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
        # A print's line is kept between builds, so a frame with new prints draws only those.
        large = self.large_notional
        for entry in entries[:room]:
            ex = entry.execution
            # A gap sits above the prints executed before the connection was lost.
            while gaps and gaps[0].start_ns >= ex.executed_at_ns and len(lines) < height:
                lines.append(self._gap_line(gaps.pop(0), width))
            if len(lines) >= height:
                break
            places = self.places.get(ex.market)
            key = (ex, entry.tick, entry.large, places, show_market, wide, large)
            draw = partial(self._print_strip, entry, places, width, show_market, wide)
            lines.append(self.kept_line(key, draw))
        while gaps and len(lines) < height:
            lines.append(self._gap_line(gaps.pop(0), width))
        return lines

    def _print_strip(
        self, entry: TapeEntry, places: int | None, width: int, show_market: bool, wide: bool
    ) -> Strip:
        """One print as segments: time (and market), price with its tick arrow, amount."""
        ex = entry.execution
        clock = format_clock(ex.executed_at_ns)
        if show_market:
            # Narrow: the seconds and a short market code matter more than milliseconds.
            name = sanitize(ex.market if wide else ex.market.removesuffix("USD"), 8)
            clock = clock if wide else clock[:8]
            clock = f"{clock} {name:<{8 if wide else 4}}"
        price = f"{format_price(ex.price, places):>11}{_ARROW[entry.tick]}"
        amount_width = max(6, width - len(clock) - len(price) - 2)
        amount = format_amount_fit(ex.amount, amount_width - 1)
        body = f" {clock}{price}{amount:>{amount_width}}"[:width].ljust(width)
        start = len(clock) + 1
        end = min(width, start + len(price))
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
            return [Text(" no prints yet", style=style, no_wrap=True)]
        places = self.places.get(stats.market)
        first = f" n {stats.count}  vol {format_amount(stats.volume, 10)}"
        first += f"  vwap {format_price(stats.vwap, places)}"
        second = f"  hi {format_price(stats.high, places)}  lo {format_price(stats.low, places)}"
        if len(first) + len(second) <= width:
            return [Text(first + second, style=style, no_wrap=True)]
        return [
            Text(first[:width], style=style, no_wrap=True),
            Text(second[:width], style=style, no_wrap=True),
        ]


def last_price(tape: TapeView, market: str) -> Decimal | None:
    """The market's last print by executed_at, from the session stats."""
    stats = tape.session.get(market)
    return None if stats is None else stats.last
