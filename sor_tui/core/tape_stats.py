"""Exact running statistics of executions (count, volume, notional, VWAP, last, high, low)."""

from __future__ import annotations

from decimal import Context, Decimal

from sor_tui.core.events import Execution
from sor_tui.core.views import TapeStats

EXACT = Context(prec=100)
"""Sums of products of wire decimals never need rounding at this precision."""

VWAP_CONTEXT = Context(prec=28)
"""VWAP is the one quotient: 28 significant digits, exact whenever the quotient fits."""

_ZERO = Decimal(0)


class Accumulator:
    """Running exact sums for one market; window accumulators also support removal.

    Removal keeps count, volume and notional exact by subtraction; when the removed price
    was the high or the low, the extremes are marked stale and recomputed by the tape from
    the prints still in the window (rare, and only when a view asks).
    """

    __slots__ = (
        "count",
        "extremes_stale",
        "high",
        "last",
        "last_key",
        "low",
        "market",
        "notional",
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
        self.extremes_stale = False

    def add(self, executed_ns: int, sequence: int, execution: Execution) -> None:
        """Count one print."""
        price = execution.price
        amount = execution.amount
        self.count += 1
        self.volume = EXACT.add(self.volume, amount)
        self.notional = EXACT.add(self.notional, EXACT.multiply(price, amount))
        key = (executed_ns, sequence)
        if self.last_key is None or key > self.last_key:
            self.last_key = key
            self.last = price
        if self.high is None or price > self.high:
            self.high = price
        if self.low is None or price < self.low:
            self.low = price

    def remove(self, execution: Execution) -> None:
        """Take out a print that leaves the window (always its oldest one)."""
        self.count -= 1
        if self.count == 0:
            self.volume = self.notional = _ZERO
            self.last = self.last_key = self.high = self.low = None
            self.extremes_stale = False
            return
        price = execution.price
        self.volume = EXACT.subtract(self.volume, execution.amount)
        self.notional = EXACT.subtract(self.notional, EXACT.multiply(price, execution.amount))
        if price == self.high or price == self.low:
            self.extremes_stale = True

    def set_extremes(self, high: Decimal | None, low: Decimal | None) -> None:
        """Replace stale extremes with values recomputed from the window."""
        self.high = high
        self.low = low
        self.extremes_stale = False

    def stats(self) -> TapeStats:
        """A frozen snapshot of the statistics."""
        if self.count == 0:
            return TapeStats(self.market)
        vwap = VWAP_CONTEXT.divide(self.notional, self.volume) if self.volume else None
        return TapeStats(
            market=self.market,
            count=self.count,
            volume=self.volume,
            notional=self.notional,
            vwap=vwap,
            last=self.last,
            high=self.high,
            low=self.low,
        )
