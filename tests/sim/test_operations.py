"""subscribe / unsubscribe / subscription_list: results echo params; every error code (§6, §9)."""

from __future__ import annotations

from typing import Any

import pytest

from sor_tui.sim.server import Simulator
from tests.sim.conftest import Reader, channel, md, open_ws


def is_op(action: str) -> Any:
    return lambda f: isinstance(f, dict) and f.get("type") == action


async def request(reader: Reader, message: Any, action: str) -> Any:
    await reader.send(message)
    return (await reader.until(is_op(action)))[-1]


@pytest.fixture
async def reader(sim: Simulator) -> Reader:
    return await open_ws(sim)


async def test_subscribe_results_echo_params_in_order(reader: Reader) -> None:
    channels = [
        md("ETHUSD"),
        channel("execution_data", "ETHUSD"),
        channel("market_data.top_of_book", "ETHUSD"),
        {"type": "heartbeat"},
        md("NOPEUSD"),
        {"type": "order_book", "params": {"market": "ETHUSD"}},
    ]
    answer = await request(reader, {"type": "subscribe", "channels": channels}, "subscribe")
    assert answer["channels"] == [
        {**md("ETHUSD"), "success": True},
        {**channel("execution_data", "ETHUSD"), "success": True},
        {**channel("market_data.top_of_book", "ETHUSD"), "success": True},
        {"type": "heartbeat", "success": True},
        {**md("NOPEUSD"), "success": False, "error": "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"},
        {
            "type": "order_book",
            "params": {"market": "ETHUSD"},
            "success": False,
            "error": "UNKNOWN_CHANNEL",
        },
    ]


async def test_first_frame_after_subscribe_is_the_ack(reader: Reader) -> None:
    await reader.send({"type": "subscribe", "channels": [channel("market_data.top_of_book")]})
    assert (await reader.next())["type"] == "subscribe"
    assert (await reader.next())["channel"] == "market_data.top_of_book"


@pytest.mark.parametrize(
    "descriptor",
    [
        {"type": "market_data"},
        {"type": "market_data", "params": {}},
        {"type": "market_data", "params": {"market": "BTCUSD", "depth": 10}},
        {"type": "market_data", "params": {"market": "btcusd"}},
        {"type": "market_data", "params": {"market": 42}},
        {"type": "execution_data", "params": {"symbol": "BTCUSD"}},
    ],
)
async def test_bad_params_are_unknown_channel_params_configuration(
    reader: Reader, descriptor: dict[str, Any]
) -> None:
    answer = await request(reader, {"type": "subscribe", "channels": [descriptor]}, "subscribe")
    assert answer["channels"] == [
        {**descriptor, "success": False, "error": "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"}
    ]


async def test_duplicates_and_inactive_unsubscribe_are_no_effect(reader: Reader) -> None:
    sub = {"type": "subscribe", "channels": [md("LTCUSD"), md("LTCUSD")]}
    answer = await request(reader, sub, "subscribe")
    assert [c["success"] for c in answer["channels"]] == [True, False]
    assert answer["channels"][1]["error"] == "NO_EFFECT_ACTION"
    again = await request(reader, {"type": "subscribe", "channels": [md("LTCUSD")]}, "subscribe")
    assert again["channels"][0]["error"] == "NO_EFFECT_ACTION"
    unsub = {"type": "unsubscribe", "channels": [md("LTCUSD"), channel("execution_data", "LTCUSD")]}
    answer = await request(reader, unsub, "unsubscribe")
    assert answer["channels"] == [
        {**md("LTCUSD"), "success": True},
        {**channel("execution_data", "LTCUSD"), "success": False, "error": "NO_EFFECT_ACTION"},
    ]
    frames = await reader.sync()
    assert frames[-1] == {"type": "subscription_list", "channels": []}


async def test_duplicate_subscribe_sends_no_second_snapshot(sim: Simulator, reader: Reader) -> None:
    sim.pause()  # while paused the snapshot is immediate, so the count is exact
    await request(reader, {"type": "subscribe", "channels": [md()]}, "subscribe")
    await request(reader, {"type": "subscribe", "channels": [md()]}, "subscribe")
    await reader.sync()
    snapshots = [f for f in reader.frames if f.get("payload", {}).get("type") == "SNAPSHOT"]
    assert len(snapshots) == 1
    await request(reader, {"type": "unsubscribe", "channels": [md()]}, "unsubscribe")
    await request(reader, {"type": "subscribe", "channels": [md()]}, "subscribe")
    await reader.sync()
    snapshots = [f for f in reader.frames if f.get("payload", {}).get("type") == "SNAPSHOT"]
    assert len(snapshots) == 2  # resubscribe is a resync path


async def test_subscription_list(reader: Reader) -> None:
    assert (await reader.sync())[-1] == {"type": "subscription_list", "channels": []}
    channels = [{"type": "heartbeat"}, md("ETHUSD"), channel("execution_data", "ETHUSD")]
    await request(reader, {"type": "subscribe", "channels": channels}, "subscribe")
    assert (await reader.sync())[-1] == {"type": "subscription_list", "channels": channels}


async def test_empty_channels_is_an_empty_success(reader: Reader) -> None:
    answer = await request(reader, {"type": "subscribe", "channels": []}, "subscribe")
    assert answer == {"type": "subscribe", "channels": []}


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '"subscribe"',
        "null",
        '{"type": 5}',
        '{"channels": []}',
        '{"type": "subscribe"}',
        '{"type": "subscribe", "channels": {"type": "heartbeat"}}',
        '{"type": "subscribe", "channels": ["heartbeat"]}',
        '{"type": "subscribe", "channels": [{"type": 1}]}',
        '{"type": "unsubscribe", "channels": [{"type": "market_data", "params": "BTCUSD"}]}',
        b"\x00binary",
    ],
)
async def test_malformed_requests_get_a_top_level_error(reader: Reader, message: Any) -> None:
    if isinstance(message, bytes):
        await reader.ws.send(message)
    else:
        await reader.send(message)
    assert await reader.next() == {"type": "error", "error": "MALFORMED_REQUEST"}


@pytest.mark.parametrize("action", ["ping", "auth", "SUBSCRIBE", "list"])
async def test_unknown_action(reader: Reader, action: str) -> None:
    await reader.send({"type": action})
    assert await reader.next() == {"type": "error", "error": "UNKNOWN_ACTION"}


async def test_legacy_results_omit_params(sim: Simulator, reader: Reader) -> None:
    sim.set_scenario("legacy_results")
    sub = {"type": "subscribe", "channels": [md(), md("NOPEUSD"), {"type": "heartbeat"}]}
    answer = await request(reader, sub, "subscribe")
    assert answer["channels"] == [
        {"type": "market_data", "success": True},
        {"type": "market_data", "success": False, "error": "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"},
        {"type": "heartbeat", "success": True},
    ]


async def test_internal_error_top_level_and_per_channel(sim: Simulator, reader: Reader) -> None:
    await reader.sync()  # connected and registered
    sim.set_scenario("internal_error")
    assert await reader.next() == {"type": "error", "error": "INTERNAL_SERVER_ERROR"}
    await reader.send({"type": "subscribe", "channels": [md()]})
    assert await reader.next() == {"type": "error", "error": "INTERNAL_SERVER_ERROR"}
    sim.set_scenario("internal_error", per_channel=True)
    assert await reader.next() == {"type": "error", "error": "INTERNAL_SERVER_ERROR"}
    answer = await request(reader, {"type": "subscribe", "channels": [md()]}, "subscribe")
    assert answer["channels"] == [{**md(), "success": False, "error": "INTERNAL_SERVER_ERROR"}]
    sim.set_scenario("internal_error", False)
    answer = await request(reader, {"type": "subscribe", "channels": [md()]}, "subscribe")
    assert answer["channels"] == [{**md(), "success": True}]


async def test_heartbeat_params_are_ignored_and_echoed(reader: Reader) -> None:
    descriptor = {"type": "heartbeat", "params": {"market": "BTCUSD"}}
    answer = await request(reader, {"type": "subscribe", "channels": [descriptor]}, "subscribe")
    assert answer["channels"] == [{**descriptor, "success": True}]
    assert (await reader.sync())[-1]["channels"] == [{"type": "heartbeat"}]
