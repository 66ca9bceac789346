"""Field variants on the wire: each other plausible answer to an open question (§14)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sor_tui.sim.server import Simulator
from tests.sim.conftest import SimFactory, channel, is_kind, md, open_ws, parse_ns


async def test_list_without_params(sim: Simulator) -> None:
    sim.set_scenario("list_without_params")
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md(), channel("heartbeat", None)]})
    listing = (await reader.sync())[-1]
    assert sorted(c["type"] for c in listing["channels"]) == ["heartbeat", "market_data"]
    assert all("params" not in c for c in listing["channels"])


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("no_success", None),
        ("channels_null", {"type": "subscribe", "channels": None, "error": "CODE"}),
        ("bare", {"error": "CODE"}),
        ("type_error_code", {"type": "error", "code": "CODE"}),
    ],
)
async def test_result_error_shape(sim: Simulator, form: str, expected: Any) -> None:
    sim.set_scenario("result_error_shape", form=form)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("NOPEUSD")]})
    answer = await reader.next()
    code = "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
    if expected is None:
        assert answer == {
            "type": "subscribe",
            "channels": [{"type": "market_data", "params": {"market": "NOPEUSD"}, "error": code}],
        }
    else:
        assert answer == {k: code if v == "CODE" else v for k, v in expected.items()}


async def test_compress_negotiates_permessage_deflate(sim: Simulator) -> None:
    plain = await open_ws(sim)
    assert plain.ws.protocol.extensions == []
    sim.set_scenario("compress")
    reader = await open_ws(sim)
    assert [e.name for e in reader.ws.protocol.extensions] == ["permessage-deflate"]
    await reader.send({"type": "subscribe", "channels": [md()]})
    await reader.until(is_kind("SNAPSHOT"))


async def test_heartbeat_interval_and_malformed(make_sim: SimFactory) -> None:
    sim = await make_sim(heartbeat_interval=5.0)
    sim.set_scenario("heartbeat_interval", seconds=0.1)
    sim.set_scenario("heartbeat_malformed")
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [channel("heartbeat", None)]})
    beat = (await reader.until(lambda f: f.get("channel") == "heartbeat", within=2.0))[-1]
    assert "timestamp" not in beat["payload"] and "time" in beat["payload"]


async def test_clock_offset(sim: Simulator) -> None:
    sim.set_scenario("clock_offset", seconds=360)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md(), channel("heartbeat", None)]})
    snap = (await reader.until(is_kind("SNAPSHOT")))[-1]
    beat = (await reader.until(lambda f: f.get("channel") == "heartbeat"))[-1]
    for text in (snap["payload"]["time"], beat["payload"]["timestamp"]):
        assert abs(parse_ns(text) - time.time_ns() - 360 * 10**9) < 5 * 10**9


async def test_identical_prints_come_in_pairs(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=200.0)
    sim.set_scenario("identical_prints")
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [channel("execution_data")]})
    frames = await reader.until(lambda f: f.get("channel") == "execution_data")
    frames.append(await reader.next())
    assert frames[-1] == frames[-2]
    sent = sim.sent_executions("BTCUSD")
    assert sent[0] == sent[1]


async def test_signed_zero_and_late_live_times(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=200.0)
    sim.set_scenario("signed_zero")
    sim.set_scenario("nonmonotonic_live_times", count=2)
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md()]})
    snap = (await reader.until(is_kind("SNAPSHOT")))[-1]
    after = [await reader.next() for _ in range(3)]
    times = [f["payload"]["time"] for f in after if f.get("channel") == "market_data"]
    assert times[:2] == [snap["payload"]["time"]] * 2
    zeros = await reader.until(
        lambda f: (
            any(lv["amount"] == "-0" for lv in f.get("payload", {}).get("bids", []))
            or any(lv["amount"] == "-0" for lv in f.get("payload", {}).get("asks", []))
        ),
        within=5.0,
    )
    assert zeros


async def test_tob_empty_zero_then_the_real_top(sim: Simulator) -> None:
    sim.set_scenario("tob_empty_zero")
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [channel("market_data.top_of_book")]})
    first = (await reader.until(is_kind("TOP_OF_BOOK")))[-1]
    assert first["payload"]["bids"] == [{"price": "0", "amount": "0"}]
    assert first["payload"]["asks"] == [{"price": "0", "amount": "0"}]
    real = await reader.next()
    assert real["payload"]["bids"][0]["price"] != "0"


async def test_long_cross_stays_crossed(make_sim: SimFactory) -> None:
    sim = await make_sim(rate=200.0, markets=("BTCUSD",))
    sim.set_scenario("long_cross")
    sim.pause()
    sim.step(200)
    bids, asks = sim.server_book("BTCUSD")
    assert float(bids[0][0]) > float(asks[0][0])


async def test_ack_delay_answers_late(sim: Simulator) -> None:
    sim.set_scenario("ack_delay", seconds=0.3)
    reader = await open_ws(sim)
    started = time.monotonic()
    await reader.send({"type": "subscribe", "channels": [md()]})
    await reader.until(lambda f: f.get("type") == "subscribe")
    assert time.monotonic() - started >= 0.3
