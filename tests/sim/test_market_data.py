"""market_data, top of book, executions, heartbeats: consistent with the server's book."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sor_tui.sim.config import DEFAULT_MARKETS
from sor_tui.sim.markets import MARKETS
from tests.sim.conftest import (
    TIME_RE,
    BookApplier,
    SimFactory,
    canon,
    channel,
    is_kind,
    md,
    open_ws,
    parse_ns,
)


def times_in(frame: Any) -> list[str]:
    payload = frame.get("payload", {}) if isinstance(frame, dict) else {}
    return [payload[k] for k in ("time", "timestamp", "executed_at") if k in payload]


async def test_updates_precede_the_one_snapshot_with_times_before_equal_after(
    make_sim: SimFactory,
) -> None:
    sim = await make_sim(clock="fixed", rate=100.0, snapshot_delay=0.1, snapshot_lag_updates=3)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
    applier = BookApplier("BTCUSD")
    for frame in await reader.until(is_kind("SNAPSHOT")):
        applier.feed(frame)
    assert applier.buffered_before["before"] >= 1
    assert applier.buffered_before["equal"] == 1
    assert applier.buffered_before["after"] == 3
    for frame in await reader.until(is_kind("UPDATE")):
        applier.feed(frame)
    sim.pause()
    for frame in await reader.sync():
        applier.feed(frame)
    assert applier.snapshots == 1
    assert applier.book() == sim.server_book("BTCUSD")


async def test_all_markets_books_match_and_respect_ticks(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=50.0, snapshot_delay=0.05)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md(m) for m in DEFAULT_MARKETS]})
    snapshotted: set[str] = set()

    def all_snapshotted(frame: Any) -> bool:
        if is_kind("SNAPSHOT")(frame):
            snapshotted.add(frame["payload"]["market"])
        return len(snapshotted) == len(DEFAULT_MARKETS)

    await reader.until(all_snapshotted)
    await reader.until(is_kind("UPDATE"))
    sim.pause()
    await reader.sync()
    appliers = {m: BookApplier(m) for m in DEFAULT_MARKETS}
    for frame in reader.frames:
        for applier in appliers.values():
            applier.feed(frame)
    zero_seen = False
    for market, applier in appliers.items():
        assert applier.book() == sim.server_book(market), market
        spec = MARKETS[market]
        tick = Decimal(spec.tick).scaleb(-spec.price_decimals)
        bids, asks = applier.book()
        assert len(bids) > 100 and len(asks) > 100
        assert Decimal(bids[0][0]) < Decimal(asks[0][0])  # not crossed by default
        for price, amount in bids + asks:
            assert Decimal(price) % tick == 0, (market, price)
            assert -Decimal(amount).as_tuple().exponent <= 8  # type: ignore[operator]
    for frame in reader.frames:
        for t in times_in(frame):
            assert TIME_RE.match(t), t
        payload = frame.get("payload", {})
        if payload.get("type") == "SNAPSHOT":
            prices = [Decimal(lv["price"]) for lv in payload["bids"]]
            assert prices == sorted(prices, reverse=True)
            prices = [Decimal(lv["price"]) for lv in payload["asks"]]
            assert prices == sorted(prices)
        if payload.get("type") == "UPDATE":
            zero_seen |= any(Decimal(lv["amount"]) == 0 for lv in payload["bids"] + payload["asks"])
    assert zero_seen


async def test_executions_and_top_of_book_are_consistent_with_the_book(
    make_sim: SimFactory,
) -> None:
    sim = await make_sim(rate=200.0, snapshot_delay=0.0)
    reader = await open_ws(sim)
    market = "ETHUSD"
    channels = [
        md(market),
        channel("execution_data", market),
        channel("market_data.top_of_book", market),
    ]
    await reader.send({"type": "subscribe", "channels": channels})
    await reader.until(
        lambda f: len([x for x in reader.frames if is_kind("execution_data")(x)]) >= 40, within=10
    )
    sim.pause()
    await reader.sync()
    applier = BookApplier(market)
    before: tuple[dict[str, Decimal], dict[str, Decimal]] = ({}, {})
    taken: dict[str, Decimal] = defaultdict(Decimal)
    update_time = None
    received = []
    tops = 0
    for frame in reader.frames:
        if is_kind("UPDATE")(frame) and applier.snapshots:
            before = (dict(applier.bids), dict(applier.asks))
            taken.clear()
            update_time = frame["payload"]["time"]
        applier.feed(frame)
        if is_kind("execution_data")(frame):
            payload = frame["payload"]
            received.append(payload)
            if not applier.snapshots or update_time is None:
                continue
            price, amount = canon(payload["price"]), Decimal(payload["amount"])
            level = before[0].get(price) or before[1].get(price)
            assert level is not None, f"execution at {price} which was not a level"
            taken[price] += amount
            assert 0 < taken[price] <= level
            assert payload["executed_at"] == update_time
        if is_kind("market_data.top_of_book")(frame) and applier.snapshots:
            bids, asks = applier.book()
            top = frame["payload"]
            assert [(canon(lv["price"]), canon(lv["amount"])) for lv in top["bids"]] == bids[:1]
            assert [(canon(lv["price"]), canon(lv["amount"])) for lv in top["asks"]] == asks[:1]
            tops += 1
    assert tops > 5
    assert received == sim.sent_executions(market)
    assert applier.book() == sim.server_book(market)


async def test_top_of_book_is_sent_on_subscribe(make_sim: SimFactory) -> None:
    sim = await make_sim()
    sim.pause()
    reader = await open_ws(sim)
    await reader.send(
        {"type": "subscribe", "channels": [channel("market_data.top_of_book", "SOLUSD")]}
    )
    await reader.next()
    top = (await reader.next())["payload"]
    bids, asks = sim.server_book("SOLUSD")
    assert top["type"] == "TOP_OF_BOOK"
    assert (canon(top["bids"][0]["price"]), canon(top["bids"][0]["amount"])) == bids[0]
    assert (canon(top["asks"][0]["price"]), canon(top["asks"][0]["amount"])) == asks[0]


async def test_heartbeats_at_the_configured_interval(make_sim: SimFactory) -> None:
    sim = await make_sim(heartbeat_interval=0.05)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [{"type": "heartbeat"}]})
    beats: list[int] = []
    while len(beats) < 3:
        frame = await reader.next(within=2)
        if frame.get("channel") == "heartbeat":
            beats.append(parse_ns(frame["payload"]["timestamp"]))
    assert beats == sorted(beats)


async def record(make_sim: SimFactory, seed: int) -> list[Any]:
    sim = await make_sim(clock="fixed", seed=seed, snapshot_delay=0.0)
    sim.pause()
    reader = await open_ws(sim)
    channels = [
        md("BTCUSD"),
        channel("execution_data", "BTCUSD"),
        channel("market_data.top_of_book", "BTCUSD"),
    ]
    await reader.send({"type": "subscribe", "channels": channels})
    await reader.sync()
    sim.step(200)
    await reader.sync()
    await reader.ws.close()
    return reader.frames


async def test_same_seed_same_frames(make_sim: SimFactory) -> None:
    first = await record(make_sim, seed=7)
    second = await record(make_sim, seed=7)
    other = await record(make_sim, seed=8)
    assert len(first) > 300
    assert first == second
    assert first != other
    fractions = {len(t.partition(".")[2]) for f in first for t in times_in(f)}
    assert len(fractions) >= 3  # Go-style trimming gives varying fraction lengths


async def test_update_times_strictly_increase_by_default(make_sim: SimFactory) -> None:
    for clock in ("fixed", "wall"):
        sim = await make_sim(clock=clock, rate=500.0, markets=("BTCUSD",))
        reader = await open_ws(sim)
        await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
        count = 0

        def enough(frame: Any) -> bool:
            nonlocal count
            count += is_kind("UPDATE")(frame)
            return count >= 200

        await reader.until(enough)
        times = [parse_ns(f["payload"]["time"]) for f in reader.frames if is_kind("UPDATE")(f)]
        assert all(a < b for a, b in itertools.pairwise(times)), clock
        await reader.ws.close()


async def test_fixed_clock_streams_do_not_depend_on_when_clients_join(
    make_sim: SimFactory,
) -> None:
    async def updates(delay: float) -> list[Any]:
        sim = await make_sim(clock="fixed", seed=11, rate=400.0, markets=("ETHUSD",))
        await asyncio.sleep(delay)  # join the running stream at a different point
        reader = await open_ws(sim)
        await reader.send({"type": "subscribe", "channels": [md("ETHUSD")]})
        count = 0

        def enough(frame: Any) -> bool:
            nonlocal count
            count += is_kind("UPDATE")(frame)
            return count >= 250

        await reader.until(enough)
        await reader.ws.close()
        return [f["payload"] for f in reader.frames if is_kind("UPDATE")(f)]

    early, late = await updates(0.0), await updates(0.15)
    start = max(parse_ns(early[0]["time"]), parse_ns(late[0]["time"]))
    early = [p for p in early if parse_ns(p["time"]) >= start]
    late = [p for p in late if parse_ns(p["time"]) >= start]
    common = min(len(early), len(late))
    assert common > 50
    assert early[:common] == late[:common]


async def _updates(sim: Any, channels: list[Any], updates: int) -> Any:
    """A reader subscribed to ``channels`` that got ``updates`` UPDATEs, the simulator paused."""
    reader = await open_ws(sim, max_queue=1024)
    await reader.send({"type": "subscribe", "channels": channels})
    count = 0

    def enough(frame: Any) -> bool:
        nonlocal count
        count += is_kind("UPDATE")(frame)
        return count >= updates

    await reader.until(enough, within=20)
    sim.pause()
    await reader.sync()
    return reader


async def test_firehose_keeps_the_book_consistent(make_sim: SimFactory) -> None:
    sim = await make_sim(firehose=True, markets=("BTCUSD",), snapshot_delay=0.0)
    channels = [md("BTCUSD"), channel("market_data.top_of_book", "BTCUSD")]
    reader = await _updates(sim, channels, 3000)
    applier = BookApplier("BTCUSD")
    for frame in reader.frames:
        applier.feed(frame)
        if is_kind("market_data.top_of_book")(frame) and applier.snapshots:
            bids, asks = applier.book()
            top = frame["payload"]
            assert [(canon(lv["price"]), canon(lv["amount"])) for lv in top["bids"]] == bids[:1]
            assert [(canon(lv["price"]), canon(lv["amount"])) for lv in top["asks"]] == asks[:1]
    assert applier.book() == sim.server_book("BTCUSD")
    assert sim.stats.frames_sent["UPDATE"] >= 3000


async def test_paced_fast_steps_keep_the_book_consistent(make_sim: SimFactory) -> None:
    sim = await make_sim(fast_steps=True, rate=4000, markets=("BTCUSD",), snapshot_delay=0.0)
    reader = await _updates(sim, [md("BTCUSD"), channel("execution_data", "BTCUSD")], 2000)
    applier = BookApplier("BTCUSD")
    for frame in reader.frames:
        applier.feed(frame)
    assert applier.book() == sim.server_book("BTCUSD")
    one_level = [
        f
        for f in reader.frames
        if is_kind("UPDATE")(f) and len(f["payload"]["bids"]) + len(f["payload"]["asks"]) == 1
    ]
    updates = [f for f in reader.frames if is_kind("UPDATE")(f)]
    assert len(one_level) > len(updates) // 2  # mostly the cheap single-level changes
    assert any(is_kind("execution_data")(f) for f in reader.frames)  # trades too


async def test_a_slow_market_still_gets_its_snapshot_promptly(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=0.5, markets=("PAXGUSD",), snapshot_delay=0.1)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("PAXGUSD")]})
    frames = await reader.until(is_kind("SNAPSHOT"), within=5)
    assert sum(is_kind("UPDATE")(f) for f in frames) <= 1  # not held back by the 2 s event gap
    applier = BookApplier("PAXGUSD")
    for frame in frames:
        applier.feed(frame)
    sim.pause()
    for frame in await reader.sync():
        applier.feed(frame)
    assert applier.book() == sim.server_book("PAXGUSD")
