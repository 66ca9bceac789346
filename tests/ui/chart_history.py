"""Seeded market history for chart pictures: 45 minutes of prints with a disconnect."""

from __future__ import annotations

import random
from decimal import Decimal

from sor_tui.core.events import Execution
from sor_tui.core.markets import market as market_info
from sor_tui.core.state import DeskState
from sor_tui.runtime.clock import FrozenClock
from sor_tui.transport.status import FeedState, FeedStatus, StatusChanged

_CLOCK = FrozenClock()
MINUTES = 45
GAP_MINUTES = (15, 12)  # the connection was lost from 15 to 12 minutes before "now"


def add_history(state: DeskState, market: str = "BTCUSD", seed: int = 11) -> None:
    """A random walk of prints, several a minute, none while the connection was lost."""
    rng = random.Random(seed)
    info = market_info(market)
    assert info is not None
    price, tick = info.reference_price, info.tick
    now = _CLOCK.wall
    lost, back = (now - m * 60_000_000_000 for m in GAP_MINUTES)
    start = now - MINUTES * 60_000_000_000
    at = start
    while at < now - 10_000_000_000:
        at += rng.randint(5, 40) * 1_000_000_000
        price += tick * rng.choice((-40, -15, -5, 0, 5, 15, 40))
        if lost <= at < back:
            continue
        amount = Decimal(rng.randint(1, 200_000_000)) / Decimal(100_000_000)
        state.apply(Execution(market, price, amount, at, ""), at + 1_000_000)


def gap_script() -> tuple[StatusChanged, ...]:
    """The status changes of that disconnect, timed on the frozen clock."""
    lost, back = (_CLOCK.mono - m * 60 for m in GAP_MINUTES)
    return (
        StatusChanged(FeedStatus(FeedState.RECONNECTING, "connection lost (1006)", since=lost)),
        StatusChanged(FeedStatus(FeedState.CONNECTED, "connected", since=back)),
    )
