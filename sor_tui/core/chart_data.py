"""Chart data per market: candles with volume from the tape, a mid series, connection gaps.

Pure and bounded: a ring buffer per market and timeframe, a cap on markets (the oldest
market seen is forgotten first). Prices and volumes are exact Decimals. A bucket without
prints has no candle, and a disconnect is kept as a gap interval and a break in the mid
series: nothing is ever interpolated across either.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from decimal import Decimal

from sor_tui.core.events import Execution

SECOND_NS = 1_000_000_000
TIMEFRAMES: dict[str, int] = {
    "1s": SECOND_NS,
    "1m": 60 * SECOND_NS,
    "5m": 300 * SECOND_NS,
    "15m": 900 * SECOND_NS,
}
CHART_MODES = ("off", "candles", "line", "depth")
"""What the chart panel can show (the workspace stores one of them)."""
CANDLES_KEPT = 360  # per market and timeframe: wider than a chart, and 6 min of 1 s
MIDS_KEPT = 2_000  # mid samples per market
GAPS_KEPT = 64
MAX_MARKETS = 64


@dataclass(frozen=True, slots=True)
class Candle:
    """One bucket's open, high, low, close and volume (exact), and its print count.

    Open and close are the prints with the earliest and latest executed_at (the later
    arrival wins a tie), so prints arriving out of order still give the right candle.
    """

    start_ns: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    prints: int = 1
    open_ns: int = 0
    close_ns: int = 0

    def with_print(self, price: Decimal, amount: Decimal, at_ns: int) -> Candle:
        """This candle with one more print executed at ``at_ns``."""
        first = at_ns < self.open_ns
        last = at_ns >= self.close_ns
        return Candle(
            self.start_ns,
            price if first else self.open,
            max(self.high, price),
            min(self.low, price),
            price if last else self.close,
            self.volume + amount,
            self.prints + 1,
            at_ns if first else self.open_ns,
            at_ns if last else self.close_ns,
        )


@dataclass(frozen=True, slots=True)
class MidPoint:
    """One mid sample; ``mid`` None marks a break (a gap) in the series."""

    time_ns: int
    mid: Decimal | None


@dataclass
class MarketSeries:
    """One market's candles per timeframe and its mid series (ring buffers)."""

    candles: dict[str, deque[Candle]] = field(
        default_factory=lambda: {name: deque(maxlen=CANDLES_KEPT) for name in TIMEFRAMES}
    )
    mids: deque[MidPoint] = field(default_factory=lambda: deque(maxlen=MIDS_KEPT))
    late_prints: int = 0  # prints older than a full buffer's oldest candle (not shown)


class ChartData:
    """Every market's chart series; fed on the UI thread from frames, read by the charts."""

    def __init__(self, *, max_markets: int = MAX_MARKETS) -> None:
        self.max_markets = max_markets
        self._markets: OrderedDict[str, MarketSeries] = OrderedDict()
        self.gaps: deque[tuple[int, int | None]] = deque(maxlen=GAPS_KEPT)
        self.version = 0  # changes whenever any series changes
        self._versions: dict[str, int] = {}  # any change
        self._print_versions: dict[str, int] = {}  # prints and gaps only (not mids)

    def series(self, market: str) -> MarketSeries | None:
        """The market's series, or None when nothing was seen for it."""
        return self._markets.get(market)

    def market_version(self, market: str, *, prints_only: bool = False) -> int:
        """Changes whenever the market's series (or the gaps) change; or, with
        ``prints_only``, its candles or the gaps (what a candle chart shows)."""
        versions = self._print_versions if prints_only else self._versions
        return versions.get(market, 0)

    def _series_for(self, market: str) -> MarketSeries:
        series = self._markets.get(market)
        if series is None:
            if len(self._markets) >= self.max_markets:
                old, _ = self._markets.popitem(last=False)
                self._versions.pop(old, None)
                self._print_versions.pop(old, None)
            series = self._markets[market] = MarketSeries()
        return series

    def _touch(self, market: str, *, prints: bool = True) -> None:
        self.version += 1
        self._versions[market] = self.version
        if prints:
            self._print_versions[market] = self.version

    def add_executions(self, executions: list[Execution] | tuple[Execution, ...]) -> None:
        """Fold prints into every timeframe's candles, by the print's executed_at."""
        for execution in executions:
            series = self._series_for(execution.market)
            for name, width in TIMEFRAMES.items():
                self._fold(series, name, width, execution)
            self._touch(execution.market)

    def _fold(self, series: MarketSeries, name: str, width: int, execution: Execution) -> None:
        candles = series.candles[name]
        at = execution.executed_at_ns
        start = at - at % width
        price, amount = execution.price, execution.amount
        if candles and candles[-1].start_ns == start:  # the common case: the newest bucket
            candles[-1] = candles[-1].with_print(price, amount, at)
            return
        if not candles or candles[-1].start_ns < start:
            candles.append(Candle(start, price, price, price, price, amount, 1, at, at))
            return
        # An out-of-order print: into its own bucket, or dropped (counted) if that bucket
        # is older than everything a full buffer still holds.
        index = bisect.bisect_left(candles, start, key=lambda candle: candle.start_ns)
        if index < len(candles) and candles[index].start_ns == start:
            candles[index] = candles[index].with_print(price, amount, at)
        elif index == 0 and len(candles) == candles.maxlen:
            series.late_prints += 1
        else:
            candles.insert(index, Candle(start, price, price, price, price, amount, 1, at, at))

    def add_mid(self, market: str, time_ns: int, mid: Decimal | None) -> None:
        """Record a mid sample (None when the book has no two sides); repeats are skipped."""
        series = self._series_for(market)
        mids = series.mids
        if mids and mids[-1].mid == mid:
            return
        if mids and time_ns < mids[-1].time_ns:
            return  # a clock step back: keep the series in time order
        mids.append(MidPoint(time_ns, mid))
        self._touch(market, prints=False)

    def connection_lost(self, time_ns: int) -> None:
        """Open a gap: every mid series breaks here."""
        if self.gaps and self.gaps[-1][1] is None:
            return
        self.gaps.append((time_ns, None))
        for market, series in self._markets.items():
            if series.mids and series.mids[-1].mid is not None:
                series.mids.append(MidPoint(time_ns, None))
            self._touch(market)

    def connection_restored(self, time_ns: int) -> None:
        """Close the open gap, if any."""
        if self.gaps and self.gaps[-1][1] is None:
            self.gaps[-1] = (self.gaps[-1][0], time_ns)
            for market in self._markets:
                self._touch(market)

    def candles(self, market: str, timeframe: str) -> tuple[Candle, ...]:
        """The market's candles in one timeframe, oldest first."""
        series = self._markets.get(market)
        return tuple(series.candles[timeframe]) if series is not None else ()

    def mids(self, market: str) -> tuple[MidPoint, ...]:
        """The market's mid samples, oldest first."""
        series = self._markets.get(market)
        return tuple(series.mids) if series is not None else ()

    def change(self, market: str, since_ns: int) -> tuple[Decimal | None, Decimal]:
        """Last price minus the first price at or after ``since_ns``, and the volume since.

        From the 1 s candles; (None, volume) when no print falls in the window.
        """
        series = self._markets.get(market)
        if series is None:
            return None, Decimal(0)
        recent = [c for c in series.candles["1s"] if c.start_ns >= since_ns]
        if not recent:
            return None, Decimal(0)
        volume = sum((c.volume for c in recent), Decimal(0))
        return recent[-1].close - recent[0].open, volume

    def in_gap(self, start_ns: int, end_ns: int) -> bool:
        """Whether [start_ns, end_ns) overlaps a connection gap."""
        for gap_start, gap_end in self.gaps:
            if gap_start < end_ns and (gap_end is None or gap_end > start_ns):
                return True
        return False
