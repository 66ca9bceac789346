"""The real client (session, core, ``stream``'s writer) against each field variant (§14).

Every variant is a simulator scenario that answers an open question of the protocol the
other plausible way. Each test checks what a user would see: the books equal the server's,
every print sent is kept once, one connection, and no resubscribe beyond what the variant
calls for.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from sor_tui.core.book import OrderBook
from sor_tui.core.events import Channel, Rejected
from sor_tui.core.numbers import canonical_text
from sor_tui.core.state import DeskState
from sor_tui.sim.server import Simulator
from sor_tui.transport.feed import FeedOptions
from sor_tui.transport.json_lines import JsonLinesWriter
from sor_tui.transport.status import Problem, SubscriptionAnswered
from tests.transport.feed_harness import (
    BTC_BOOK,
    BTC_EXEC,
    HEARTBEAT,
    Running,
    options,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until

BTC_TOP = Channel("market_data.top_of_book", "BTCUSD")
NOPE_BOOK = Channel("market_data", "NOPEUSD")
ALL = (BTC_BOOK, BTC_EXEC, BTC_TOP, HEARTBEAT)


@dataclass
class Client:
    """A running feed with the stream's JSON Lines writer attached."""

    sim: Simulator
    run: Running
    out: io.StringIO
    writer: JsonLinesWriter

    def lines(self) -> list[dict[str, Any]]:
        self.writer.flush()
        return [json.loads(line) for line in self.out.getvalue().splitlines()]

    def book_subscribes(self, market: str = "BTCUSD") -> int:
        return sum(
            1
            for e in self.run.of(SubscriptionAnswered)
            if e.action == "subscribe" and e.channel == Channel("market_data", market)
        )

    def prints(self) -> list[dict[str, str]]:
        return [
            {k: line[k] for k in ("market", "price", "amount", "executed_at")}
            for line in self.lines()
            if line["event"] == "execution"
        ]

    def sent_prints(self) -> list[dict[str, str]]:
        return [
            {
                "market": e["market"],
                "price": canonical_text(_decimal(e["price"])),
                "amount": canonical_text(_decimal(e["amount"])),
                "executed_at": e["executed_at"],
            }
            for e in self.sim.sent_executions("BTCUSD")
        ]


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


@asynccontextmanager
async def client(
    scenarios: Iterable[str] = (),
    desired: Iterable[Channel] = ALL,
    *,
    feed_options: FeedOptions | None = None,
    state: DeskState | None = None,
    **sim_changes: Any,
) -> AsyncIterator[Client]:
    async with simulator(scenarios=list(scenarios), **sim_changes) as sim:
        state = state or DeskState()
        out = io.StringIO()
        writer = JsonLinesWriter(out, state, ["BTCUSD"], 100_000)
        async with running_feed(
            sim,
            desired,
            feed_options=feed_options or options(),
            on_event=writer.on_event,
            state=state,
        ) as run:
            yield Client(sim, run, out, writer)


async def check_consistent(c: Client, subscribes: int = 1) -> None:
    """Books equal the server's, prints all kept once, one connection, no extra resubscribe."""
    await wait_until(lambda: c.book_subscribes() >= 1, what="subscribed")
    await settle_and_compare(c.sim, c.run, "BTCUSD")
    await asyncio.sleep(0.1)  # let the last prints arrive after the pause
    assert c.prints() == c.sent_prints()
    assert c.sim.stats.connections_opened == 1
    assert c.book_subscribes() == subscribes
    assert c.run.feed.counters.reconnects == 0


async def test_default_server() -> None:
    async with client() as c:
        await wait_until(lambda: len(c.sent_prints()) >= 3, what="prints")
        await check_consistent(c)


async def test_slow_heartbeat_is_not_a_dead_server() -> None:
    # The server beats every 0.5 s, our configured timeout is 0.3 s (a 20 s+ beat
    # against the 15 s default): one connection throughout, data kept.
    fast = options(heartbeat_timeout=0.3)
    async with client(["heartbeat_interval:seconds=0.5"], feed_options=fast) as c:
        await wait_until(lambda: c.run.feed.state.last_heartbeat_ns is not None, what="beat")
        await asyncio.sleep(1.6)
        await check_consistent(c)


async def test_malformed_heartbeats_still_count_as_beats() -> None:
    fast = options(heartbeat_timeout=0.3)
    async with client(["heartbeat_malformed"], feed_options=fast) as c:
        await wait_until(lambda: len(c.run.of(Rejected)) >= 3, what="rejected heartbeats")
        session = c.run.feed._session
        assert session is not None and session.heartbeat.beats >= 3
        await asyncio.sleep(0.5)
        await check_consistent(c)


async def test_list_without_params_keeps_the_writer_alive() -> None:
    async with client(["list_without_params", "legacy_results"]) as c:
        await wait_until(lambda: c.run.feed.registry.is_active(BTC_BOOK), what="subscribed")
        c.run.feed.refresh_subscription_list()
        c.run.feed.subscribe([Channel("market_data", "ETHUSD")])
        await wait_until(lambda: c.book_subscribes("ETHUSD") == 1, what="writer still sends")
        assert c.run.feed.counters.requests_unsent == 0
        await check_consistent(c)


@pytest.mark.parametrize("form", ["no_success", "channels_null", "bare", "type_error_code"])
async def test_refusal_shapes_are_shown(form: str) -> None:
    async with client([f"result_error_shape:form={form}"]) as c:
        await wait_until(lambda: c.run.feed.registry.is_active(BTC_BOOK), what="subscribed")
        c.run.feed.subscribe([NOPE_BOOK])
        code = "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
        await wait_until(
            lambda: (
                (entry := c.run.feed.registry.get(NOPE_BOOK)) is not None and entry.error == code
            ),
            what="refusal recorded",
        )
        assert any(p.code == code and p.market == "NOPEUSD" for p in c.run.of(Problem))
        assert any(
            line["event"] == "subscription" and line["market"] == "NOPEUSD" and not line["success"]
            for line in c.lines()
        )
        await check_consistent(c)


async def test_server_clock_six_minutes_ahead() -> None:
    async with client(["clock_offset:seconds=360"]) as c:
        await wait_until(lambda: len(c.sent_prints()) >= 3, what="prints")
        await check_consistent(c)
        clocks = [line for line in c.lines() if line["event"] == "server_clock"]
        assert clocks and abs(clocks[-1]["offset_ms"] - 360_000) < 2_000
        assert c.run.feed.state.tape.too_new == 0


async def test_identical_prints_are_two_trades() -> None:
    # A short replay window so that the steady part of the run is outside it.
    state = DeskState(replay_window_ns=0)
    async with client(["identical_prints"], state=state, rate=100.0) as c:
        await wait_until(lambda: len(c.sent_prints()) >= 6, what="prints")
        await wait_until(lambda: c.book_subscribes() >= 1, what="subscribed")
        await settle_and_compare(c.sim, c.run, "BTCUSD")
        await asyncio.sleep(0.1)
        kept, sent = c.prints(), c.sent_prints()
        # At most the twin of the very first print falls in the (zero-length) window.
        assert kept in (sent, sent[:1] + sent[2:])
        assert kept.count(kept[-1]) == 2


async def test_live_updates_at_the_snapshot_time_are_applied() -> None:
    async with client(["nonmonotonic_live_times:count=5"], rate=100.0) as c:
        await wait_until(
            lambda: c.run.feed.state.counters().get("late_updates", 0) >= 5, what="late"
        )
        await check_consistent(c)


async def test_signed_zero_removes_levels() -> None:
    async with client(["signed_zero"]) as c:
        await wait_until(lambda: len(c.sent_prints()) >= 3, what="prints")
        await check_consistent(c)
        assert not c.run.of(Rejected)


async def test_long_cross_resyncs_once_and_stays_flagged() -> None:
    def book(market: str) -> OrderBook:
        return OrderBook(market, max_crossed_updates=10)

    async with client(
        ["long_cross"], (BTC_BOOK, HEARTBEAT), state=DeskState(book_factory=book)
    ) as c:
        await wait_until(
            lambda: c.run.feed.state.counters().get("long_crosses", 0) >= 1, what="cross"
        )
        await wait_until(lambda: c.book_subscribes() == 2, what="one resync")
        await asyncio.sleep(1.0)  # the book stays crossed: no second resync
        assert c.book_subscribes() == 2
        view = c.run.feed.state.book_view("BTCUSD", 1)
        assert view is not None and "crossed for long" in view.flags


async def test_top_of_book_empty_sides_spelt_zero() -> None:
    async with client(["tob_empty_zero"], (BTC_TOP, HEARTBEAT)) as c:
        await wait_until(lambda: "BTCUSD" in c.run.feed.state.top_of_book, what="top")
        c.sim.pause()
        await asyncio.sleep(0.2)
        tops = [line for line in c.lines() if line["event"] == "top_of_book"]
        assert tops[0]["bid"] is None and tops[0]["ask"] is None
        bids, asks = c.sim.server_book("BTCUSD")
        assert tops[-1]["bid"] == {"price": bids[0][0], "amount": bids[0][1]}
        assert tops[-1]["ask"] == {"price": asks[0][0], "amount": asks[0][1]}
        assert not c.run.of(Rejected)


async def test_top_of_book_cleared_on_disconnect() -> None:
    async with client((), (BTC_TOP, HEARTBEAT)) as c:
        await wait_until(lambda: "BTCUSD" in c.run.feed.state.top_of_book, what="top")
        c.sim.drop_connections()
        await wait_until(lambda: c.run.feed.counters.reconnects >= 1, what="reconnect")
        tops = [line for line in c.lines() if line["event"] == "top_of_book"]
        cleared = [t for t in tops if t["bid"] is None and t["ask"] is None]
        assert cleared, tops[-3:]


async def test_compressed_connection() -> None:
    async with client(["compress"]) as c:
        await wait_until(lambda: c.run.feed._session is not None, what="connected")
        session = c.run.feed._session
        assert session is not None
        assert [e.name for e in session.ws.protocol.extensions] == ["permessage-deflate"]
        await wait_until(lambda: len(c.sent_prints()) >= 3, what="prints")
        await check_consistent(c)


async def test_slow_acks_do_not_time_out_snapshots() -> None:
    # The server answers each request 0.6 s late; the snapshot timeout is 0.4 s. Timed
    # from the send, every subscribe would resync; timed from the ack, none does.
    slow = options(snapshot_timeout=0.4)
    async with client(["ack_delay:seconds=0.6"], (BTC_BOOK, HEARTBEAT), feed_options=slow) as c:
        await wait_until(lambda: c.run.feed.registry.is_active(BTC_BOOK), what="subscribed")
        await asyncio.sleep(0.6)
        await settle_and_compare(c.sim, c.run, "BTCUSD")
        assert c.book_subscribes() == 1
        assert not [p for p in c.run.of(Problem) if p.code == "RESYNC"]
