"""Golden frames of the protocol reference, classification, encoding and the hot path."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sor_tui.core.events import (
    BookSnapshot,
    BookUpdate,
    Channel,
    ChannelResult,
    Execution,
    Heartbeat,
    Ignored,
    OperationResult,
    PriceLevel,
    Rejected,
    ServerError,
    ServerEvent,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.frozen import twin
from sor_tui.core.numbers import parse_decimal
from sor_tui.core.protocol import (
    decode,
    decoder,
    encode_subscribe,
    encode_subscription_list,
    encode_unsubscribe,
    values,
)
from sor_tui.core.timestamps import parse_rfc3339_ns

FRAMES = Path(__file__).parent.parent / "data" / "frames"


def frame(name: str) -> str:
    """The text of one golden frame, exactly as the protocol reference prints it."""
    return (FRAMES / f"{name}.json").read_text(encoding="utf-8")


def level(price: str, amount: str) -> PriceLevel:
    return PriceLevel(Decimal(price), Decimal(amount))


def ns(text: str) -> int:
    return parse_rfc3339_ns(text)


ETH = "ETHUSD"
SNAP_T = "2026-03-02T14:05:07.310004Z"
UPD_T = "2026-03-02T14:05:07.412118903Z"

GOLDEN: dict[str, ServerEvent] = {
    "subscribe_response": OperationResult(
        "subscribe",
        (
            ChannelResult("market_data", ETH, True),
            ChannelResult("execution_data", ETH, True),
            ChannelResult("heartbeat", None, True, params_echoed=False),
        ),
    ),
    "subscribe_partial_failure": OperationResult(
        "subscribe",
        (
            ChannelResult("market_data", ETH, True),
            ChannelResult("market_data", "NOPEUSD", False, "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"),
        ),
    ),
    "subscribe_unknown_channel": OperationResult(
        "subscribe", (ChannelResult("order_book", ETH, False, "UNKNOWN_CHANNEL"),)
    ),
    "unsubscribe_no_effect": OperationResult(
        "unsubscribe", (ChannelResult("market_data", "LTCUSD", False, "NO_EFFECT_ACTION"),)
    ),
    "subscription_list": SubscriptionList(
        (Channel("heartbeat"), Channel("market_data", ETH), Channel("execution_data", ETH))
    ),
    "error_top_level": ServerError("MALFORMED_REQUEST"),
    "market_data_snapshot": BookSnapshot(
        ETH,
        ns(SNAP_T),
        SNAP_T,
        (level("3150.05", "4.2"), level("3150.00", "12.75")),
        (level("3150.10", "0.8"), level("3150.25", "3.0")),
    ),
    "market_data_update": BookUpdate(
        ETH, ns(UPD_T), UPD_T, (level("3150.00", "0"),), (level("3150.20", "1.5"),)
    ),
    "top_of_book": TopOfBook(
        ETH, ns(UPD_T), UPD_T, level("3150.05", "4.2"), level("3150.10", "0.8")
    ),
    "execution": Execution(
        ETH,
        Decimal("3150.10"),
        Decimal("0.25"),
        ns("2026-03-02T14:05:07.298765Z"),
        "2026-03-02T14:05:07.298765Z",
    ),
    "heartbeat": Heartbeat(ns("2026-03-02T14:05:10.000125Z"), "2026-03-02T14:05:10.000125Z"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_frame_decodes_to_expected_event(name: str) -> None:
    assert decode(frame(name)) == GOLDEN[name]


@pytest.mark.parametrize("name", sorted(GOLDEN))
@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_compact_forms_decode_the_same(name: str, separators: tuple[str, str]) -> None:
    """Compact forms take the hot path for market_data; results must not differ."""
    compact = json.dumps(json.loads(frame(name)), separators=separators)
    assert decode(compact) == GOLDEN[name]


def test_hot_path_is_taken_for_compact_market_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the test above: it really compares the hot path with the general one."""
    seen: list[str] = []
    real = decoder._book_event

    def spy(*args: Any) -> Any:
        seen.append("hot")
        return real(*args)

    monkeypatch.setattr(decoder, "_book_event", spy)
    monkeypatch.setattr(decoder, "_book", lambda *a: pytest.fail("general path taken"))
    text = json.dumps(json.loads(frame("market_data_update")), separators=(",", ":"))
    assert isinstance(decode(text), BookUpdate)
    assert seen == ["hot"]


def test_every_golden_frame_file_is_covered() -> None:
    on_disk = {p.stem for p in FRAMES.glob("*.json") if not p.stem.startswith("request_")}
    assert on_disk == set(GOLDEN)


def test_golden_times_are_integer_nanoseconds() -> None:
    update = GOLDEN["market_data_update"]
    assert isinstance(update, BookUpdate)
    assert update.time_ns == 1_772_460_307_412_118_903


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        (
            "request_subscribe",
            encode_subscribe(
                [
                    Channel("market_data", ETH),
                    Channel("execution_data", ETH),
                    Channel("heartbeat"),
                ]
            ),
        ),
        ("request_unsubscribe", encode_unsubscribe([Channel("market_data", ETH)])),
        ("request_subscription_list", encode_subscription_list()),
    ],
)
def test_requests_match_golden_frames(name: str, encoded: str) -> None:
    assert json.loads(encoded) == json.loads(frame(name))
    assert " " not in encoded  # compact


def test_heartbeat_descriptor_never_has_params() -> None:
    encoded = json.loads(encode_subscribe([Channel("heartbeat", "BTCUSD")]))
    assert encoded == {"type": "subscribe", "channels": [{"type": "heartbeat"}]}


def test_market_channel_without_market_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs a market"):
        encode_subscribe([Channel("market_data")])


def test_encoder_escapes_hostile_market_into_valid_json() -> None:
    encoded = encode_subscribe([Channel("market_data", 'X"}],"type":"unsubscribe')])
    assert json.loads(encoded)["channels"][0]["params"]["market"] == 'X"}],"type":"unsubscribe'


# --- classification (§4) ------------------------------------------------------------


def test_channel_wins_over_type() -> None:
    text = (
        '{"channel":"heartbeat","type":"subscribe","payload":{"timestamp":"2026-01-01T00:00:00Z"}}'
    )
    assert isinstance(decode(text), Heartbeat)


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ('{"channel":"market_data.l3","payload":{}}', "channel:market_data.l3", "unknown_channel"),
        ('{"type":"pong"}', "type:pong", "unknown_type"),
        ('{"hello":1}', "object", "unclassified"),
        (
            '{"channel":"market_data","payload":{"market":"X","type":"DELTA"}}',
            "market_data:DELTA",
            "unknown_payload_type",
        ),
        (
            '{"channel":"market_data","payload":{"market":"X","type":"DELTA","time":"t"}}',
            "market_data:DELTA",
            "unknown_payload_type",
        ),
        (
            '{"channel":"market_data.top_of_book","payload":{"market":"X","type":"NEW",'
            '"timestamp":"2026-01-01T00:00:00Z"}}',
            "top_of_book:NEW",
            "unknown_payload_type",
        ),
    ],
)
def test_unknown_things_are_ignored_not_rejected(text: str, kind: str, reason: str) -> None:
    assert decode(text) == Ignored(kind, reason)


def test_unknown_fields_are_ignored() -> None:
    text = (
        '{"channel":"execution_data","v":2,"payload":{"market":"BTCUSD","price":"1",'
        '"amount":"2","executed_at":"2026-01-01T00:00:00Z","side":"BUY","venue":{"a":[1]}}}'
    )
    event = decode(text)
    assert isinstance(event, Execution)
    assert event.price == 1


def test_top_level_keys_of_other_shapes_do_not_spoil_a_streaming_frame() -> None:
    text = (
        '{"channel":"heartbeat","type":{"v":2},"error":[1],'
        '"payload":{"timestamp":"2026-01-01T00:00:00Z"}}'
    )
    assert isinstance(decode(text), Heartbeat)


@pytest.mark.parametrize(
    "text",
    [
        '{"type":5}',
        '{"type":["subscribe"]}',
        '{"type":"error","error":{"code":"X"}}',
        '{"type":"subscribe","error":5}',
        '{"channel":{"name":"market_data"}}',
    ],
)
def test_wrong_type_where_the_field_is_used(text: str) -> None:
    event = decode(text)
    assert isinstance(event, Rejected)
    assert event.reason == "wrong_type"


def test_missing_sides_are_empty_in_snapshot_and_update() -> None:
    for kind in ("SNAPSHOT", "UPDATE"):
        text = (
            f'{{"channel":"market_data","payload":{{"market":"BTCUSD","type":"{kind}",'
            '"time":"2026-01-01T00:00:00Z"}}'
        )
        event = decode(text)
        assert isinstance(event, BookSnapshot | BookUpdate)
        assert (event.bids, event.asks) == ((), ())


@pytest.mark.parametrize("asks", ["[]", "null", None])
def test_top_of_book_empty_side_is_none(asks: str | None) -> None:
    side = "" if asks is None else f',"asks":{asks}'
    text = (
        '{"channel":"market_data.top_of_book","payload":{"market":"BTCUSD",'
        '"type":"TOP_OF_BOOK","timestamp":"2026-01-01T00:00:00Z",'
        f'"bids":[{{"price":"10","amount":"1"}}]{side}}}}}'
    )
    event = decode(text)
    assert isinstance(event, TopOfBook)
    assert event.bid == level("10", "1")
    assert event.ask is None


def test_top_of_book_zero_amount_side_is_none() -> None:
    text = (
        '{"channel":"market_data.top_of_book","payload":{"market":"BTCUSD",'
        '"type":"TOP_OF_BOOK","timestamp":"2026-01-01T00:00:00Z",'
        '"bids":[{"price":"10","amount":"0.000"}],"asks":[{"price":"11","amount":"2"}]}}'
    )
    event = decode(text)
    assert isinstance(event, TopOfBook)
    assert event.bid is None
    assert event.ask == level("11", "2")


def test_duplicate_prices_in_one_update_are_kept_in_order() -> None:
    text = (
        '{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE",'
        '"time":"2026-01-01T00:00:00Z","bids":[{"price":"10","amount":"1"},'
        '{"price":"10.0","amount":"0"},{"price":"10.00","amount":"3"}]}}'
    )
    event = decode(text)
    assert isinstance(event, BookUpdate)
    assert event.bids == (level("10", "1"), level("10", "0"), level("10", "3"))


def test_operation_error_without_channels_is_a_server_error() -> None:
    assert decode('{"type":"subscribe","error":"INTERNAL_SERVER_ERROR"}') == ServerError(
        "INTERNAL_SERVER_ERROR", "subscribe"
    )


def test_empty_subscription_list() -> None:
    assert decode('{"type":"subscription_list","channels":[]}') == SubscriptionList(())


def test_rejected_market_data_names_market_and_channel() -> None:
    text = (
        '{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE",'
        '"time":"2026-01-01T00:00:00Z","bids":[{"price":"1e3","amount":"1"}]}}'
    )
    event = decode(text)
    assert isinstance(event, Rejected)
    assert (event.reason, event.market, event.channel) == ("bad_number", "BTCUSD", "market_data")
    assert "bids[0].price" in event.detail


# --- the hot path must agree with the general path ----------------------------------


def test_levels_built_through_twins_are_plain_frozen_levels() -> None:
    event = decode(frame("market_data_update"))
    assert event == GOLDEN["market_data_update"]
    assert type(event) is BookUpdate
    assert isinstance(event, BookUpdate)
    for built in (*event.bids, *event.asks):
        assert type(built) is PriceLevel
        assert built == PriceLevel(built.price, built.amount)
        assert hash(built) == hash(PriceLevel(built.price, built.amount))
        with pytest.raises(AttributeError):
            built.price = Decimal(1)  # type: ignore[misc]  # frozen like any PriceLevel


def test_a_class_that_cannot_take_a_twin_fails_loudly() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        price: Decimal

    with pytest.raises(TypeError):
        twin(NoSlots)


def test_fast_constructors_equal_normal_construction() -> None:
    built = values.book_update("M", 1, "t", (level("1", "2"),), ())
    assert built == BookUpdate("M", 1, "t", (level("1", "2"),), ())
    assert hash(built) == hash(BookUpdate("M", 1, "t", (level("1", "2"),), ()))


@pytest.mark.parametrize(
    "text", ["0", "0.0", "00012.3400", "5.", ".5", "1e5", "-1", "\u0661", "1_0", " 1", "", "9" * 41]
)
def test_inlined_decimal_parser_agrees_with_numbers(text: str) -> None:
    try:
        expected: Decimal | None = parse_decimal(text)
    except ValueError:
        expected = None
    try:
        got: Decimal | None = values.parse_cached(text)
    except ValueError:
        got = None
    assert got == expected
    if expected is not None:
        assert str(got) == str(expected)


def test_duplicate_channel_key_is_not_taken_by_the_hot_path() -> None:
    text = (
        '{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE",'
        '"time":"2026-01-01T00:00:00Z"},"channel":"other"}'
    )
    assert decode(text) == Ignored("channel:other", "unknown_channel")


def test_caches_stay_bounded() -> None:
    for index in range(values.CACHE_MAX + 10):
        values.parse_cached(f"{index}.5")
    assert len(values.DECIMALS) <= values.CACHE_MAX
    for index in range(values.AMOUNTS_MAX + 10):
        decode(
            '{"channel":"market_data","payload":{"market":"M","type":"UPDATE",'
            f'"time":"2026-01-01T00:00:00Z","bids":[{{"price":"1","amount":"{index}.25"}}]}}}}'
        )
    assert 0 < len(values.AMOUNTS) <= values.AMOUNTS_MAX


@pytest.mark.parametrize(
    ("price", "amount"),
    [("100.5", "0"), ("100.50", "1.25"), ("0", "1"), ("0.0", "0"), ("7", "-1"), ("1e3", "2")],
)
def test_one_level_shortcut_agrees_with_the_loop(price: str, amount: str) -> None:
    text = json.dumps(
        {
            "channel": "market_data",
            "payload": {
                "market": "BTCUSD",
                "type": "UPDATE",
                "time": "2025-01-02T03:04:05.123456789Z",
                "bids": [{"price": price, "amount": amount}],
                "asks": [],
            },
        }
    )
    # With cold caches the loop decodes (and fills the caches the shortcut then reads).
    values.DECIMALS.clear()
    values.AMOUNTS.clear()
    loop = decode(text)
    assert values.DECIMALS.get(price) is not None or isinstance(loop, Rejected)
    shortcut = [decode(text), decode(text)]
    assert shortcut == [loop, loop]
