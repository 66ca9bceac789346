"""A seeded, consolidated order book per market that random-walks and trades.

Prices are integer units of ``10**-price_decimals``; amounts are integer units of 1e-8.
Every change to the book is reported in a ``MarketEvent`` so that the frames sent to
clients always describe exactly the server's book.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sortedcontainers import SortedDict

from sor_tui.sim.markets import MarketSpec

_PRECISION_STEPS = (1, 1, 1, 1, 100, 100, 10_000, 10_000, 1_000_000, 100_000_000)
"""Amount rounding steps in 1e-8 units: most amounts use 8 decimals, some are rounder."""

_TIME_TRUNCATION = (1, 1, 1, 1, 1, 1, 1_000, 1_000, 1_000_000, 1_000_000_000)
"""Time precision per event: venues report ns, µs, ms or whole seconds (trimmed RFC3339Nano)."""


@dataclass(slots=True)
class Execution:
    """One trade print: price and amount in integer units, time in epoch ns."""

    price: int
    amount: int
    time_ns: int


@dataclass(slots=True)
class MarketEvent:
    """The changes one generator step made: level totals (0 = removed) and trades."""

    time_ns: int
    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)
    top_changed: bool = False


def market_seed(seed: int, market: str) -> int:
    """Derive a per-market seed that does not depend on the order of the market list."""
    return (seed * 1_000_003) ^ zlib.crc32(market.encode())


class MarketGenerator:
    """The book of one market and its deterministic random evolution."""

    def __init__(
        self,
        spec: MarketSpec,
        seed: int,
        depth: int,
        clock: Callable[[], int] | None,
        epoch_ns: int,
        rate: float,
    ) -> None:
        self.spec = spec
        self.rng = random.Random(market_seed(seed, spec.name))
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.target_depth = depth
        self.crossed = False
        self.long_cross = False  # scenario long_cross: a crossing quote that stays
        self.out_of_order = False
        self.unordered_times = False
        self.time_floor = 0
        """UPDATE times must stay above this (the last SNAPSHOT time + 1)."""
        self._clock = clock  # None = fixed clock advanced per event
        self._mean_step_ns = max(1, int(1e9 / max(rate, 1.0)))
        self.time_ns = epoch_ns
        self._last_event_ns = epoch_ns
        self.mid = spec.start_price
        self._held: list[Execution] = []
        self._crossed_levels: dict[int, int] = {}
        self.last_execution: Execution | None = None
        self._build()
        self._amount_pool = [self._amount() for _ in range(128)]

    # -- helpers -----------------------------------------------------------------------

    def _amount(self, scale: float = 1.0) -> int:
        rng = self.rng
        raw = int(self.spec.typical_amount * scale * (0.02 + rng.random() * rng.random() * 3))
        step = rng.choice(_PRECISION_STEPS)
        return max(step, raw - raw % step)

    def _gap(self) -> int:
        return self.spec.tick * (1 + int(self.rng.random() ** 3 * 4))

    def _build(self) -> None:
        tick = self.spec.tick
        price = self.mid - tick
        for depth in range(self.target_depth):
            if price <= tick:
                break
            self.bids[price] = self._amount(1 + depth / 50)
            price -= self._gap()
        price = self.mid + tick
        for depth in range(self.target_depth):
            self.asks[price] = self._amount(1 + depth / 50)
            price += self._gap()

    def _next_time(self) -> int:
        if self._clock is None:
            raw = self.time_ns + 1 + self.rng.randrange(2 * self._mean_step_ns)
        else:
            raw = self._clock()
        coarse = raw - raw % self.rng.choice(_TIME_TRUNCATION)
        # Strictly increasing by default (§14 #11); a coarse venue time that would repeat the
        # previous one falls back to full precision.
        self.time_ns = coarse if coarse > self.time_ns else max(raw, self.time_ns + 1)
        return self.time_ns

    def _event_time(self) -> int:
        """The next event time; with ``unordered_times`` some repeat or regress slightly."""
        now = self._next_time()
        if not self.unordered_times:
            self._last_event_ns = now
            return now
        roll = self.rng.random()
        if roll < 0.2:
            now = self._last_event_ns
        elif roll < 0.4:
            now = self._last_event_ns - 1 - self.rng.randrange(1_000_000)
        # Never at or before a SNAPSHOT already captured: such UPDATEs would be dropped (§8.1).
        self._last_event_ns = max(now, self.time_floor)
        return self._last_event_ns

    def best_bid(self) -> tuple[int, int] | None:
        """Return the best bid (price, amount) or None."""
        return self.bids.peekitem(-1) if self.bids else None  # type: ignore[no-any-return]

    def best_ask(self) -> tuple[int, int] | None:
        """Return the best ask (price, amount) or None."""
        return self.asks.peekitem(0) if self.asks else None  # type: ignore[no-any-return]

    def _set(self, side: SortedDict, changes: dict[int, int], price: int, amount: int) -> None:
        if amount <= 0:
            side.pop(price, None)
            changes[price] = 0
        else:
            side[price] = amount
            changes[price] = amount

    def _trade(
        self, event: MarketEvent, side: SortedDict, changes: dict[int, int], price: int, amount: int
    ) -> None:
        level = side[price]
        amount = min(amount, level)
        self._set(side, changes, price, level - amount)
        event.executions.append(Execution(price, amount, event.time_ns))

    # -- the step ----------------------------------------------------------------------

    def step(self) -> MarketEvent:
        """Advance the market by one event and return every change it made."""
        rng = self.rng
        tick = self.spec.tick
        top_before = (self.best_bid(), self.best_ask())
        event = MarketEvent(self._event_time())
        bids, asks = self.bids, self.asks
        if self._held:
            event.executions.extend(self._held)
            self._held.clear()
        # The fair value random-walks; the book follows it through trades and requotes.
        if rng.random() < 0.3:
            self.mid += tick * rng.choice((-2, -1, -1, 1, 1, 2))
        roll = rng.random()
        if roll < 0.04:
            self._sweep(event, buy=rng.random() < 0.5, levels=2 + rng.randrange(5))
        elif roll < 0.22:
            buy = rng.random() < 0.5
            side, changes = (asks, event.asks) if buy else (bids, event.bids)
            if side:
                price, level = side.peekitem(0 if buy else -1)
                amount = level if rng.random() < 0.25 else max(1, int(level * rng.random()))
                self._trade(event, side, changes, price, amount)
        else:
            for _ in range(1 + rng.randrange(3)):
                self._requote(event)
        # Quotes the fair value has moved through are taken out (sweeps consistent with it).
        while (
            asks
            and asks.peekitem(0)[0] <= self.mid
            and asks.peekitem(0)[0] not in self._crossed_levels
        ):
            price, level = asks.peekitem(0)
            self._trade(event, asks, event.asks, price, level)
        while (
            bids
            and bids.peekitem(-1)[0] >= self.mid
            and bids.peekitem(-1)[0] not in self._crossed_levels
        ):
            price, level = bids.peekitem(-1)
            self._trade(event, bids, event.bids, price, level)
        self._refill(event)
        self._maintain_depth(event)
        if self.crossed or self.long_cross or self._crossed_levels:
            self._cross(event)
        if self.out_of_order and len(event.executions) > 1:
            self._disorder(event)
        if event.executions:
            self.last_execution = event.executions[-1]
        event.top_changed = (self.best_bid(), self.best_ask()) != top_before
        return event

    def _sweep(self, event: MarketEvent, buy: bool, levels: int) -> None:
        side, changes = (self.asks, event.asks) if buy else (self.bids, event.bids)
        for index in range(levels):
            if not side:
                break
            price, level = side.peekitem(0 if buy else -1)
            last = index == levels - 1
            amount = max(1, int(level * self.rng.random())) if last else level
            self._trade(event, side, changes, price, amount)
        best = self.best_ask() if buy else self.best_bid()
        if best is not None:
            # The fair value moves to where the sweep left the book.
            self.mid = best[0] - self.spec.tick if buy else best[0] + self.spec.tick

    def _requote(self, event: MarketEvent) -> None:
        rng = self.rng
        tick = self.spec.tick
        is_bid = rng.random() < 0.5
        side, changes = (self.bids, event.bids) if is_bid else (self.asks, event.asks)
        if not side:
            return
        index = min(int(rng.expovariate(0.25)), len(side) - 1)
        price, _level = side.peekitem(-1 - index if is_bid else index)
        action = rng.random()
        if action < 0.5:
            self._set(side, changes, price, self._amount())
        elif action < 0.7:
            self._set(side, changes, price, 0)
        else:
            offset = tick * (1 + int(rng.expovariate(0.5)))
            new = self.mid - offset if is_bid else self.mid + offset
            best_other = self.best_ask() if is_bid else self.best_bid()
            crosses = best_other is not None and (
                new >= best_other[0] if is_bid else new <= best_other[0]
            )
            if new > 0 and not crosses:
                self._set(side, changes, new, self._amount())

    def _refill(self, event: MarketEvent) -> None:
        """Keep a quote near the fair value on both sides so the spread stays realistic."""
        tick = self.spec.tick
        best_bid, best_ask = self.best_bid(), self.best_ask()
        if (best_bid is None or best_bid[0] < self.mid - 6 * tick) and self.mid - tick > 0:
            price = self.mid - tick
            if best_ask is None or price < best_ask[0]:
                self._set(self.bids, event.bids, price, self._amount())
        best_bid = self.best_bid()
        if best_ask is None or best_ask[0] > self.mid + 6 * tick:
            price = self.mid + tick
            if best_bid is None or price > best_bid[0]:
                self._set(self.asks, event.asks, price, self._amount())

    def _maintain_depth(self, event: MarketEvent) -> None:
        target = self.target_depth
        tick = self.spec.tick
        while len(self.bids) < target:
            price = self.bids.peekitem(0)[0] - self._gap() if self.bids else self.mid - tick
            if price <= tick:
                break
            self._set(self.bids, event.bids, price, self._amount(1 + len(self.bids) / 50))
        while len(self.asks) < target:
            price = self.asks.peekitem(-1)[0] + self._gap() if self.asks else self.mid + tick
            self._set(self.asks, event.asks, price, self._amount(1 + len(self.asks) / 50))
        while len(self.bids) > target + 10:
            self._set(self.bids, event.bids, self.bids.peekitem(0)[0], 0)
        while len(self.asks) > target + 10:
            self._set(self.asks, event.asks, self.asks.peekitem(-1)[0], 0)

    def _cross(self, event: MarketEvent) -> None:
        """Scenarios ``crossed_book`` (a stale venue quote crosses the book for a few events)
        and ``long_cross`` (one crossing quote is kept above the best ask for good)."""
        best_ask = self.best_ask()
        for price in list(self._crossed_levels):
            self._crossed_levels[price] -= 1
            lost = self.long_cross and (
                price not in self.bids or best_ask is None or price <= best_ask[0]
            )
            if self._crossed_levels[price] <= 0 or lost:
                del self._crossed_levels[price]
                if price in self.bids:
                    self._set(self.bids, event.bids, price, 0)
        start = 1.0 if self.long_cross else 0.2
        crossing = self.crossed or self.long_cross
        if crossing and not self._crossed_levels and best_ask and self.rng.random() < start:
            price = best_ask[0] + self.spec.tick * (1 + self.rng.randrange(3))
            self._crossed_levels[price] = 10**9 if self.long_cross else 3 + self.rng.randrange(5)
            self._set(self.bids, event.bids, price, self._amount())

    def _disorder(self, event: MarketEvent) -> None:
        """Scenario ``out_of_order_executions``: shuffle, back-date and hold back some prints."""
        rng = self.rng
        executions = event.executions
        for execution in executions:
            execution.time_ns = max(0, execution.time_ns - rng.randrange(50_000_000))
        rng.shuffle(executions)
        if len(executions) > 2:
            self._held.append(executions.pop())

    def resize(self, depth: int) -> MarketEvent:
        """Change the target depth now; the event holds the levels added or removed."""
        self.target_depth = depth
        event = MarketEvent(self._next_time())
        self._maintain_depth(event)
        return event

    def fast_change(self) -> tuple[bool, int, int, bool] | None:
        """A cheap firehose event: one amount change near the top, as (is_bid, price, amount,
        top_changed); None (1 in 16) when the caller should run a full ``step`` instead."""
        rng = self.rng
        bits = rng.getrandbits(16)
        is_bid = bool(bits & 1)
        side = self.bids if is_bid else self.asks
        index = (bits >> 1) & 15
        if bits >> 12 == 0 or index >= len(side):
            return None  # trades, sweeps, requotes and depth upkeep happen in full steps
        if self._clock is None:
            self.time_ns += 1 + rng.getrandbits(20)
        else:
            self.time_ns = max(self.time_ns + 1, self._clock())
        self._last_event_ns = self.time_ns
        keys = side.keys()
        price = keys[-1 - index] if is_bid else keys[index]
        amount = self._amount_pool[(bits >> 5) & 127]
        side[price] = amount
        return is_bid, price, amount, index == 0

    def fast_step(self) -> MarketEvent:
        """``fast_change`` as a MarketEvent (or a full step)."""
        change = self.fast_change()
        if change is None:
            return self.step()
        is_bid, price, amount, top_changed = change
        event = MarketEvent(self.time_ns, top_changed=top_changed)
        (event.bids if is_bid else event.asks)[price] = amount
        return event
