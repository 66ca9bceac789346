"""Each fault scenario, switched on and off while the simulator runs."""

from __future__ import annotations

import asyncio
import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from sor_tui.sim.garbage import DEFAULT_KINDS, GARBAGE
from sor_tui.sim.server import Simulator
from tests.sim.conftest import (
    BookApplier,
    Reader,
    SimFactory,
    channel,
    get_token,
    is_kind,
    md,
    open_ws,
    parse_ns,
)
from tests.waiting import wait_until


async def closed_code(reader: Reader, within: float = 5.0) -> int | None:
    """Read until the connection ends; return the close code received (None = no close frame)."""
    async with asyncio.timeout(within):
        try:
            while True:
                await reader.ws.recv()
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None


async def test_drop_then_recover(sim: Simulator) -> None:
    reader = await open_ws(sim)
    await sim.wait_for_connections(1)
    sim.set_scenario("drop")
    assert await closed_code(reader) is None  # abrupt: no close frame
    again = await open_ws(sim)
    assert await closed_code(again) is None  # new connections are dropped too
    sim.set_scenario("drop", False)
    recovered = await open_ws(sim)
    await recovered.send({"type": "subscribe", "channels": [md()]})
    await recovered.until(is_kind("SNAPSHOT"))


async def test_drop_after_n_frames(sim: Simulator) -> None:
    sim.set_scenario("drop", after_frames=5)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md()]})
    data = 0
    with pytest.raises(ConnectionClosedError):
        while True:
            if "channel" in await reader.next():
                data += 1
    assert data <= 5


async def test_drop_every_interval(sim: Simulator) -> None:
    sim.set_scenario("drop", every=0.1)
    first = await open_ws(sim)
    assert await closed_code(first) is None
    second = await open_ws(sim)
    assert await closed_code(second) is None
    assert sim.stats.connections_opened == 2


async def test_close_with_code_now_and_after_frames(sim: Simulator) -> None:
    reader = await open_ws(sim)
    await sim.wait_for_connections(1)
    sim.set_scenario("close", code=4000, reason="bye")
    assert await closed_code(reader) == 4000
    sim.set_scenario("close", code=1012, after_frames=3)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md()]})
    assert await closed_code(reader) == 1012
    sim.set_scenario("close", False)
    reader = await open_ws(sim)
    await reader.sync()
    sim.close_connections(1001, "going away")
    assert await closed_code(reader) == 1001


async def test_accept_then_close(sim: Simulator) -> None:
    sim.set_scenario("accept_then_close", code=1011)
    reader = await open_ws(sim)
    assert await closed_code(reader) == 1011
    assert sim.stats.handshakes[101] == 1
    assert sim.stats.connections_opened == 1


async def test_token_expiry_keeps_open_by_default_or_closes(sim: Simulator) -> None:
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [{"type": "heartbeat"}]})
    sim.expire_tokens()
    await reader.until(is_kind("heartbeat"))  # still streaming after expiry
    sim.set_scenario("close_at_token_expiry", code=1008)
    fresh = await open_ws(sim)
    await fresh.sync()
    sim.expire_tokens()
    assert await closed_code(fresh) == 1008
    assert await closed_code(reader) == 1008


async def test_close_at_natural_token_expiry(make_sim: SimFactory) -> None:
    sim = await make_sim(token_ttl=1, scenarios={"close_at_token_expiry": {}})
    reader = await open_ws(sim)
    assert await closed_code(reader, within=5) == 1008


def book_checked(sim: Simulator, frames: list[Any], market: str) -> BookApplier:
    applier = BookApplier(market)
    for frame in frames:
        applier.feed(frame)
    assert applier.book() == sim.server_book(market)
    return applier


async def run_book(sim: Simulator, market: str, updates: int = 60) -> Reader:
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md(market)]})
    await reader.until(is_kind("SNAPSHOT"))
    count = 0

    def enough(frame: Any) -> bool:
        nonlocal count
        count += is_kind("UPDATE")(frame)
        return count >= updates

    await reader.until(enough, within=10)
    sim.pause()
    await reader.sync()
    return reader


async def test_mixed_decimals(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=1000.0, markets=("BTCUSD",), scenarios={"mixed_decimals": {}})
    reader = await run_book(sim, "BTCUSD")
    book_checked(sim, reader.frames, "BTCUSD")
    texts = [
        lv[k]
        for f in reader.frames
        if is_kind("market_data")(f)
        for side in ("bids", "asks")
        for lv in f["payload"].get(side, [])
        for k in lv
    ]
    assert any("." not in t for t in texts)
    assert any(t.endswith("00") and "." in t for t in texts)
    zeros = {t for t in texts if Decimal(t) == 0}
    assert len(zeros) >= 2  # "0", "0.0", "0.00", "0.00000000"


async def test_omit_empty_arrays(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=1000.0, markets=("LTCUSD",), scenarios={"omit_empty_arrays": {}})
    reader = await run_book(sim, "LTCUSD", updates=150)
    book_checked(sim, reader.frames, "LTCUSD")
    updates = [f["payload"] for f in reader.frames if is_kind("UPDATE")(f)]
    assert any("bids" not in p or "asks" not in p for p in updates)
    assert all(p.get("bids") != [] and p.get("asks") != [] for p in updates)


async def test_crossed_book(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=1000.0, markets=("ETHUSD",), scenarios={"crossed_book": {}})
    reader = await run_book(sim, "ETHUSD", updates=300)
    applier = BookApplier("ETHUSD")
    crossed = False
    for frame in reader.frames:
        applier.feed(frame)
        if applier.snapshots and applier.bids and applier.asks:
            crossed |= max(map(Decimal, applier.bids)) >= min(map(Decimal, applier.asks))
    assert crossed
    assert applier.book() == sim.server_book("ETHUSD")


async def test_huge_snapshot(make_sim: SimFactory) -> None:
    sim = await make_sim(markets=("BTCUSD",), scenarios={"huge_snapshot": {"levels": 20_000}})
    sim.pause()
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
    await reader.next()
    raw = await reader.ws.recv()
    assert len(raw) > 1_500_000
    payload = json.loads(raw)["payload"]
    assert payload["type"] == "SNAPSHOT"
    assert len(payload["bids"]) >= 20_000 and len(payload["asks"]) >= 20_000


async def test_out_of_order_executions(make_sim: SimFactory) -> None:
    sim = await make_sim(
        rate=1000.0, markets=("BTCUSD",), scenarios={"out_of_order_executions": {}}
    )
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [channel("execution_data", "BTCUSD")]})
    got: list[int] = []

    def collect(frame: Any) -> bool:
        if is_kind("execution_data")(frame):
            got.append(parse_ns(frame["payload"]["executed_at"]))
        return len(got) >= 60

    await reader.until(collect, within=10)
    assert got != sorted(got)


async def test_replay_last_execution_on_subscribe(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=300.0)
    first = await open_ws(sim)
    await first.send({"type": "subscribe", "channels": [channel("execution_data", "SOLUSD")]})
    await first.next()
    sim.set_scenario("replay_last_execution")  # only the second subscriber gets a replay
    await first.until(is_kind("execution_data"), within=10)
    sim.pause()
    await first.sync()
    last = [f for f in first.frames if is_kind("execution_data")(f)][-1]
    second = await open_ws(sim)
    await second.send({"type": "subscribe", "channels": [channel("execution_data", "SOLUSD")]})
    assert (await second.next())["type"] == "subscribe"
    assert await second.next() == last
    assert len(sim.sent_executions("SOLUSD")) == len(
        [f for f in first.frames if is_kind("execution_data")(f)]
    )


async def test_stall_heartbeat_keeps_the_socket_open(make_sim: SimFactory) -> None:
    sim = await make_sim(heartbeat_interval=0.03)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [{"type": "heartbeat"}]})
    await reader.until(is_kind("heartbeat"))
    sim.set_scenario("stall_heartbeat")
    await reader.sync()
    await asyncio.sleep(0.2)
    latency = await (await reader.ws.ping())  # the transport is alive
    assert latency >= 0
    assert not any(is_kind("heartbeat")(f) for f in await reader.sync())
    sim.set_scenario("stall_heartbeat", False)
    await reader.until(is_kind("heartbeat"))


async def test_garbage_frames_mixed_into_the_stream(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=300.0, scenarios={"garbage_frames": {"every": 2}})
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
    expected = {g.data: g.kind for g in GARBAGE}
    seen: set[str] = set()
    async with asyncio.timeout(10):
        while seen != set(DEFAULT_KINDS):
            raw = await reader.ws.recv()
            data = raw if isinstance(raw, bytes) else raw.encode()
            if data in expected:
                seen.add(expected[data])
    assert "invalid_utf8" not in seen


async def test_garbage_invalid_utf8_makes_a_client_close_1007(make_sim: SimFactory) -> None:
    sim = await make_sim(
        rate=300.0, scenarios={"garbage_frames": {"every": 1, "kinds": "invalid_utf8"}}
    )
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
    with pytest.raises(ConnectionClosedError) as info:
        async with asyncio.timeout(5):
            while True:
                await reader.ws.recv()
    assert info.value.sent is not None and info.value.sent.code == 1007


async def test_slow_consumer_is_closed_with_1008(make_sim: SimFactory) -> None:
    sim = await make_sim(
        close_timeout=5.0,
        scenarios={"slow_consumer": {"threshold": 500_000}, "huge_snapshot": {"levels": 5000}},
    )
    sim.pause()
    reader = await open_ws(sim, max_queue=4)
    markets = ["BTCUSD", "ETHUSD", "BCHUSD", "PAXGUSD", "SOLUSD", "AAVEUSD"]
    await reader.send({"type": "subscribe", "channels": [md(m) for m in markets]})
    await wait_until(lambda: sim.stats.frames_sent["SNAPSHOT"] >= 1)
    await asyncio.sleep(0.2)  # do not read: let the server's queue overflow
    assert await closed_code(reader, within=10) == 1008


async def test_update_before_ack(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=100.0, scenarios={"update_before_ack": {}})
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
    first = await reader.next()
    assert is_kind("UPDATE")(first)
    await reader.until(lambda f: f.get("type") == "subscribe")


async def test_leak_after_unsubscribe(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=100.0, scenarios={"leak_after_unsubscribe": {}})
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
    await reader.until(is_kind("SNAPSHOT"))
    await reader.send({"type": "unsubscribe", "channels": [md("BTCUSD")]})
    await reader.until(lambda f: f.get("type") == "unsubscribe")
    leaked = (await reader.until(is_kind("market_data")))[-1]
    assert leaked["payload"]["type"] == "UPDATE"
    await asyncio.sleep(0.1)
    assert not any(is_kind("market_data")(f) for f in await reader.sync())


async def test_unknown_scenario_is_rejected(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.set_scenario("no_such_thing")
    with pytest.raises(ValueError):
        sim.set_scenario("drop", nope=1)


async def test_token_helper_still_works_after_scenarios(sim: Simulator) -> None:
    assert await get_token(sim)


async def test_unordered_times_repeat_and_regress_but_never_before_the_snapshot(
    make_sim: SimFactory,
) -> None:
    sim = await make_sim(clock="fixed", markets=("BTCUSD",), scenarios={"unordered_times": {}})
    sim.pause()  # stepped by hand: the book is compared after every single event
    reader = await open_ws(sim)
    applier = BookApplier("BTCUSD")
    for _ in range(3):  # resubscribing captures new snapshots at new times
        await reader.send({"type": "subscribe", "channels": [md("BTCUSD")]})
        for _ in range(40):
            sim.step(1)
            for frame in await reader.sync():
                applier.feed(frame)
            assert applier.book() == sim.server_book("BTCUSD")
        await reader.send({"type": "unsubscribe", "channels": [md("BTCUSD")]})
        await reader.sync()
        applier = BookApplier("BTCUSD")
    times = [parse_ns(f["payload"]["time"]) for f in reader.frames if is_kind("UPDATE")(f)]
    pairs = list(itertools.pairwise(times))
    assert any(a == b for a, b in pairs)
    assert any(b < a for a, b in pairs)


async def test_subscribe_rate_limit_delays_data_silently(sim: Simulator) -> None:
    sim.pause()  # snapshots are immediate once a subscription is active
    sim.set_scenario("subscribe_rate_limit", delay=0.5)
    reader = await open_ws(sim)
    markets = ["BTCUSD", "ETHUSD", "LTCUSD"]
    await reader.send({"type": "subscribe", "channels": [md(m) for m in markets]})
    ack = await reader.next()
    assert [c["success"] for c in ack["channels"]] == [True, True, True]
    await reader.sync()
    snapshots = [f["payload"]["market"] for f in reader.frames if is_kind("SNAPSHOT")(f)]
    assert snapshots == ["BTCUSD"]  # the others are held back, not rejected
    seen = set(snapshots)

    def all_arrived(frame: Any) -> bool:
        if is_kind("SNAPSHOT")(frame):
            seen.add(frame["payload"]["market"])
        return seen == set(markets)

    await reader.until(all_arrived, within=5)


def test_every_scenario_is_exercised_by_a_test() -> None:
    from pathlib import Path

    from sor_tui.sim.scenarios import SCENARIOS

    here = Path(__file__).parent
    sources = "".join(
        p.read_text() for p in here.glob("test_*.py") if p.name != Path(__file__).name
    )
    sources += Path(__file__).read_text().split("def test_every_scenario_is_exercised")[0]
    missing = [name for name in SCENARIOS if f'"{name}"' not in sources]
    assert missing == []


async def test_config_scenarios_as_names(make_sim: SimFactory) -> None:
    sim = await make_sim(scenarios=["legacy_results", "garbage_frames:every=7"])
    assert sim.scenarios.enabled() == {
        "legacy_results": {},
        "garbage_frames": {"every": 7, "kinds": None},
    }
