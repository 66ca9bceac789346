"""Exact running statistics of executions (count, volume, notional, VWAP, last, high, low)."""

from __future__ import annotations

from decimal import Context, Decimal

from sortedcontainers import SortedList

from sor_tui.core.events import Execution
from sor_tui.core.views import TapeStats

EXACT = Context(prec=100)
"""Sums of products of exact decimals never need rounding at this precision."""

_ZERO = Decimal(0)


class Accumulator:
    """Running exact sums for one market; windowed accumulators also support removal."""

    __slots__ = (
        "count",
        "high",
        "last",
        "last_key",
        "low",
        "market",
        "notional",
        "prices",
        "volume",
    )

    def __init__(self, market: str) -> None:
        self.market = market
        self.count = 0
        self.volume = _ZERO
        self.notional = _ZERO
        self.last: Decimal | None = None
        self.last_key: tuple[int, int] | None = None
        self.high: Decimal | None = None
        self.low: Decimal | None = None
        self.prices: SortedList | None = None

    def add(self, item: tuple[int, int, Execution], *, track_extremes: bool) -> None:
        """Count one print; ``track_extremes`` keeps all prices so that removal stays exact."""
        executed_ns, sequence, execution = item
        price = execution.price
        amount = execution.amount
        self.count += 1
        self.volume = EXACT.add(self.volume, amount)
        self.notional = EXACT.add(self.notional, EXACT.multiply(price, amount))
        key = (executed_ns, sequence)
        if self.last_key is None or key > self.last_key:
            self.last_key = key
            self.last = price
        if track_extremes:
            if self.prices is None:
                self.prices = SortedList()
            self.prices.add(price)
        else:
            if self.high is None or price > self.high:
                self.high = price
            if self.low is None or price < self.low:
                self.low = price

    def remove(self, item: tuple[int, int, Execution]) -> None:
        """Take out a print that leaves the window (always its oldest one)."""
        execution = item[2]
        self.count -= 1
        self.volume = EXACT.subtract(self.volume, execution.amount)
        self.notional = EXACT.subtract(
            self.notional, EXACT.multiply(execution.price, execution.amount)
        )
        if self.prices is not None:
            self.prices.remove(execution.price)
        if self.count == 0:
            self.volume = _ZERO
            self.notional = _ZERO
            self.last = None
            self.last_key = None

    def stats(self, vwap_context: Context) -> TapeStats:
        """A frozen snapshot of the statistics; VWAP is rounded only by ``vwap_context``."""
        if self.count == 0:
            return TapeStats(self.market)
        high, low = self.high, self.low
        if self.prices is not None:
            high, low = self.prices[-1], self.prices[0]
        vwap = vwap_context.divide(self.notional, self.volume) if self.volume else None
        return TapeStats(
            market=self.market,
            count=self.count,
            volume=self.volume,
            notional=self.notional,
            vwap=vwap,
            last=self.last,
            high=high,
            low=low,
        )
