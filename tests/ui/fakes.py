"""Deterministic stand-ins for the feed: a real DeskState filled from seeded frames.

Snapshot tests need pixels that never change; the flow tests use the live simulator.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sor_tui.core.events import BookSnapshot, BookUpdate, Channel, Execution, PriceLevel
from sor_tui.core.markets import market as market_info
from sor_tui.core.state import DeskState
from sor_tui.core.subscriptions import DataState, ServerAnswer, SubscriptionEntry
from sor_tui.runtime.clock import FrozenClock
from sor_tui.transport.status import (
    FeedCounters,
    FeedState,
    FeedStatus,
    Problem,
    StatusChanged,
)

EPOCH_NS = FrozenClock().wall - 3_000_000_000  # frames are three seconds old on the clock
MARKETS = ("BTCUSD", "ETHUSD", "SOLUSD", "LTCUSD")


def _levels(rng: random.Random, best: Decimal, tick: Decimal, side: int) -> tuple[PriceLevel, ...]:
    levels = []
    price = best
    for _ in range(40):
        amount = Decimal(rng.randint(1, 400_000_000)) / Decimal(100_000_000)
        levels.append(PriceLevel(price, amount))
        price += side * tick * rng.randint(1, 3)
    return tuple(levels)


def build_state(seed: int = 7, markets: Iterable[str] = MARKETS) -> DeskState:
    """A desk state with a snapshot, a few updates and prints per market, all seeded."""
    rng = random.Random(seed)
    clock = FrozenClock()
    state = DeskState(wall_clock_ns=clock.wall_ns)
    for index, name in enumerate(markets):
        info = market_info(name)
        assert info is not None
        tick, ref = info.tick, info.reference_price
        t = EPOCH_NS + index * 1000
        state.begin_sync(name)
        bid, ask = ref - tick, ref + tick
        snapshot = BookSnapshot(
            name, t, "", _levels(rng, bid, tick, -1), _levels(rng, ask, tick, 1)
        )
        state.apply(snapshot, t + 2_000_000)
        state.book_view(name, 25)  # the baseline for change marks
        update = BookUpdate(
            name,
            t + 10,
            "",
            (PriceLevel(bid, Decimal("9.5")), PriceLevel(bid - tick * 2, Decimal(0))),
            (PriceLevel(ask + tick, Decimal("0.01")),),
        )
        state.apply(update, t + 3_000_000)
        price = ref
        for n in range(12):
            price += tick * rng.choice((-2, -1, 0, 1, 2))
            amount = Decimal(rng.randint(1, 300_000_000)) / Decimal(100_000_000)
            if n == 5:
                amount = Decimal(250_000) / ref  # one large print
            ex_ns = t + 100 + n * 50_000_000
            state.apply(Execution(name, price, amount, ex_ns, ""), ex_ns + 1_000_000)
    return state


def entries(error_market: str | None = None) -> tuple[SubscriptionEntry, ...]:
    """Subscription entries as the registry would report them."""
    rows = []
    for name in MARKETS:
        for kind in ("market_data", "execution_data"):
            rows.append(
                SubscriptionEntry(
                    Channel(kind, name), True, ServerAnswer.OK, None, True, DataState.LIVE
                )
            )
    rows.append(SubscriptionEntry(Channel("heartbeat"), True, ServerAnswer.OK, None, True))
    if error_market:
        rows.append(
            SubscriptionEntry(
                Channel("market_data", error_market),
                True,
                ServerAnswer.ERROR,
                "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
                False,
                DataState.ERROR,
            )
        )
    return tuple(rows)


@dataclass
class FakeFeed:
    """A feed with a fixed state and a scripted event list; records what it is asked."""

    state: DeskState = field(default_factory=build_state)
    status: FeedStatus = field(
        default_factory=lambda: FeedStatus(FeedState.CONNECTED, "connected", since=0.0)
    )
    counters: FeedCounters = field(
        default_factory=lambda: FeedCounters(
            messages=12345, messages_per_second=842, lag_ns={"BTCUSD": 4_000_000}
        )
    )
    script: list[Any] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    expires_in: float | None = 3540.0
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)

    async def run(self, on_event: Callable[[Any], None] | None = None) -> None:
        """Deliver the script, then idle until stopped."""
        assert on_event is not None
        on_event(StatusChanged(self.status))
        for event in self.script:
            if isinstance(event, StatusChanged):
                self.status = event.status
            on_event(event)
        await self.stopped.wait()

    def subscribe(self, channels: Iterable[Channel]) -> tuple[Channel, ...]:
        """Record the request."""
        self.calls.append(("subscribe", tuple(channels)))
        return ()

    def unsubscribe(self, channels: Iterable[Channel]) -> tuple[Channel, ...]:
        """Record the request."""
        self.calls.append(("unsubscribe", tuple(channels)))
        return ()

    def resync(self, market: str) -> bool:
        """Record the request."""
        self.calls.append(("resync", market))
        return True

    def refresh_subscription_list(self) -> None:
        """Record the request."""
        self.calls.append(("list", None))

    async def stop(self) -> None:
        """Stop run()."""
        self.stopped.set()

    def token_expires_in(self) -> float | None:
        """A fixed countdown."""
        return self.expires_in


@dataclass
class FakeSource:
    """Hands out one FakeFeed."""

    feed: FakeFeed
    environment: str = "demo"
    closed: bool = False

    async def open(self) -> FakeFeed:
        """The fake feed."""
        return self.feed

    async def close(self) -> None:
        """Remember that close was called."""
        self.closed = True


def problems() -> list[Problem]:
    """One problem of every kind the error pane shows."""
    return [
        Problem(
            "channel",
            "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
            "subscribe market_data NOPEUSD refused",
            "NOPEUSD",
        ),
        Problem("server", "INTERNAL_SERVER_ERROR", "top-level error from the server"),
        Problem("frame", "bad_number", 'price "1e5" in market_data', "ETHUSD"),
        Problem("handshake", "HTTP 401", "token rejected at the handshake; refreshing once"),
        Problem("frame", "not_json", "\x1b[31m[bold]evil[/bold]\x1b]0;title\x07 text"),
    ]
