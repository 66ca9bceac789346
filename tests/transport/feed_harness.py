"""Shared helpers for the feed integration tests: a simulator, a running feed, polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from sor_tui.core.events import Channel
from sor_tui.core.numbers import canonical_text
from sor_tui.core.state import DeskState
from sor_tui.sim.config import SimConfig
from sor_tui.sim.server import Simulator
from sor_tui.transport.feed import Feed, FeedOptions
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.reader import StateLock
from sor_tui.transport.status import FeedEvent, FeedState, StatusChanged
from tests.waiting import wait_until

BTC_BOOK = Channel("market_data", "BTCUSD")
ETH_BOOK = Channel("market_data", "ETHUSD")
BTC_EXEC = Channel("execution_data", "BTCUSD")
ETH_EXEC = Channel("execution_data", "ETHUSD")
HEARTBEAT = Channel("heartbeat")

FAST = FeedOptions(
    backoff_floor=0.05,
    backoff_cap=0.2,
    heartbeat_timeout=3.0,
    ping_interval=None,
    ping_timeout=None,
    open_timeout=1.0,
    snapshot_timeout=3.0,
    request_spacing=0.05,
    resync_interval=0.2,
    healthy_after=0.3,
    close_timeout=0.5,
    tick=0.02,
)

SIM = SimConfig(
    markets=("BTCUSD", "ETHUSD"),
    rate=40.0,
    heartbeat_interval=0.1,
    snapshot_delay=0.02,
    depth=40,
)


def options(**changes: Any) -> FeedOptions:
    """The fast test options with some fields changed."""
    return replace(FAST, **changes)


@asynccontextmanager
async def simulator(**changes: Any) -> AsyncIterator[Simulator]:
    """A running simulator on loopback with the small test configuration."""
    async with Simulator(replace(SIM, **changes)) as sim:
        yield sim


@dataclass
class Running:
    """A feed running in a task, with every event it emitted."""

    feed: Feed
    tokens: TokenProvider
    task: asyncio.Task[None]
    events: list[FeedEvent] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        """Events of one type, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[FeedState]:
        """Every status the feed went through."""
        return [e.status.state for e in self.of(StatusChanged)]

    def book(self, market: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The client's full book, in the simulator's ``server_book`` form."""
        view = self.feed.state.book_view(market, 100_000)
        assert view is not None, f"no book for {market}"
        return _levels(view.bids), _levels(view.asks)


def _levels(levels: Iterable[Any]) -> list[tuple[str, str]]:
    return [(canonical_text(lv.price), canonical_text(lv.amount)) for lv in levels]


@asynccontextmanager
async def running_feed(
    sim: Simulator,
    desired: Iterable[Channel] = (BTC_BOOK, BTC_EXEC, HEARTBEAT),
    *,
    feed_options: FeedOptions = FAST,
    client_id: str | None = None,
    client_secret: str | None = None,
    on_event: Callable[[FeedEvent], None] | None = None,
    on_frame: Callable[[str | bytes, int], None] | None = None,
    state: DeskState | None = None,
    lock: StateLock | None = None,
) -> AsyncIterator[Running]:
    """Run a feed against the simulator; stop it (and check it stopped cleanly) on exit."""
    tokens = TokenProvider(
        sim.oauth_url,
        client_id or sim.client_id,
        SecretStr(client_secret or sim.client_secret),
        deadline=3.0,
        backoff_base=0.02,
        backoff_cap=0.1,
    )
    feed = Feed(
        sim.ws_url,
        tokens,
        desired,
        options=feed_options,
        on_frame=on_frame,
        state=state,
        lock=lock,
    )
    events: list[FeedEvent] = []

    def collect(event: FeedEvent) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    task = asyncio.create_task(feed.run(collect))
    running = Running(feed, tokens, task, events)
    try:
        yield running
    finally:
        await asyncio.wait_for(feed.stop(), 3)
        await asyncio.wait({task}, timeout=3)
        assert task.done(), "feed did not stop"
        if not task.cancelled():
            task.result()  # a feed that crashed fails the test here
        await tokens.aclose()


def is_live(running: Running, market: str) -> bool:
    """Whether the client's book of ``market`` is LIVE."""
    view = running.feed.state.book_view(market, 1)
    return view is not None and view.status == "LIVE"


async def settle_and_compare(sim: Simulator, running: Running, market: str) -> None:
    """Pause the simulator and wait until the client's book equals the server's."""
    sim.pause()
    await wait_until(
        lambda: is_live(running, market) and running.book(market) == sim.server_book(market),
        what=f"{market} book to equal the server's",
    )


def total(levels: list[tuple[str, str]]) -> Decimal:
    """Sum of amounts (a cheap fingerprint for assertion messages)."""
    return sum((Decimal(a) for _, a in levels), Decimal(0))
