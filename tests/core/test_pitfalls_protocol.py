"""One test per vendor-sample pitfall of protocol §13 that lives in the protocol layer.

Each test is built so that repeating the sample's mistake would make it fail.
Pitfall 14 (websockets header keyword) belongs to the transport tests.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sor_tui.core.events import (
    BookSnapshot,
    BookUpdate,
    ChannelResult,
    Execution,
    OperationResult,
    ServerError,
)
from sor_tui.core.protocol import decode


def update(time: str, bids: list[tuple[str, str]], kind: str = "UPDATE") -> str:
    """A compact market_data frame for BTCUSD."""
    return json.dumps(
        {
            "channel": "market_data",
            "payload": {
                "market": "BTCUSD",
                "type": kind,
                "time": time,
                "bids": [{"price": p, "amount": a} for p, a in bids],
            },
        },
        separators=(",", ":"),
    )


def book_event(text: str) -> BookUpdate | BookSnapshot:
    event = decode(text)
    assert isinstance(event, BookUpdate | BookSnapshot), event
    return event


@pytest.mark.parametrize(
    ("snapshot_time", "update_time"),
    [
        ("2026-03-02T14:05:00.1Z", "2026-03-02T14:05:00.123Z"),
        ("2026-03-02T14:05:00Z", "2026-03-02T14:05:00.5Z"),
    ],
)
def test_pitfall_1_times_compare_as_numbers_not_strings(
    snapshot_time: str, update_time: str
) -> None:
    snapshot = book_event(update(snapshot_time, [], "SNAPSHOT"))
    later = book_event(update(update_time, [("1", "1")]))
    # The sample's test `update.time > snapshot.time` on strings says "not later"...
    assert not later.time_text > snapshot.time_text
    # ...but the update is later, and must survive the "apply if time > T" rule.
    assert later.time_ns > snapshot.time_ns


def test_pitfall_1_nanoseconds_are_not_truncated() -> None:
    snapshot = book_event(update("2026-03-02T14:05:00.123456789Z", [], "SNAPSHOT"))
    later = book_event(update("2026-03-02T14:05:00.12345679Z", [("1", "1")]))
    assert later.time_ns - snapshot.time_ns == 1  # equal at micro- or milliseconds


@pytest.mark.parametrize("zero", ["0", "0.0", "0.00000000", "000", "0."])
def test_pitfall_2_every_zero_spelling_deletes(zero: str) -> None:
    event = book_event(update("2026-03-02T14:05:00Z", [("50000", zero)]))
    amount = event.bids[0].amount
    assert isinstance(amount, Decimal)
    assert amount == 0 and not amount  # numeric zero, whatever the spelling


def test_pitfall_3_price_spellings_are_one_level() -> None:
    event = book_event(
        update(
            "2026-03-02T14:05:00Z",
            [("50000", "1"), ("50000.0", "2"), ("50000.00", "3"), ("050000.000", "0")],
        )
    )
    book: dict[Decimal, Decimal] = {}
    for level in event.bids:  # last occurrence wins, as the book applies it
        book[level.price] = level.amount
    assert len(book) == 1
    assert book[Decimal("50000")] == 0  # the delete in one spelling hit the others


def test_pitfall_6_snapshot_without_arrays_is_an_empty_book() -> None:
    text = json.dumps(
        {
            "channel": "market_data",
            "payload": {"market": "BTCUSD", "type": "SNAPSHOT", "time": "2026-03-02T14:05:00Z"},
        }
    )
    event = decode(text)
    assert isinstance(event, BookSnapshot)
    assert event.bids == () and event.asks == ()


def test_pitfalls_8_and_9_every_result_is_attributed_to_its_market() -> None:
    text = json.dumps(
        {
            "type": "subscribe",
            "channels": [
                {"type": "market_data", "params": {"market": "BTCUSD"}, "success": True},
                {
                    "type": "market_data",
                    "params": {"market": "NOPEUSD"},
                    "success": False,
                    "error": "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
                },
                {"type": "market_data", "params": {"market": "ETHUSD"}, "success": True},
            ],
        }
    )
    event = decode(text)
    assert isinstance(event, OperationResult)
    assert len(event.results) == 3  # not only channels[0]
    failed = [r for r in event.results if not r.success]
    assert [(r.type, r.market, r.error) for r in failed] == [
        ("market_data", "NOPEUSD", "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION")
    ]
    assert {r.market for r in event.results if r.success} == {"BTCUSD", "ETHUSD"}


def test_pitfall_9_legacy_results_without_params_say_so() -> None:
    text = (
        '{"type":"subscribe","channels":[{"type":"market_data","success":true},'
        '{"type":"market_data","success":false,"error":"UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"}]}'
    )
    event = decode(text)
    assert isinstance(event, OperationResult)
    assert all(r.market is None and not r.params_echoed for r in event.results)


ERROR_CODES = [
    "UNKNOWN_ACTION",
    "MALFORMED_REQUEST",
    "UNKNOWN_CHANNEL",
    "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
    "NO_EFFECT_ACTION",
    "INTERNAL_SERVER_ERROR",
    "A_CODE_FROM_THE_FUTURE",
]


@pytest.mark.parametrize("code", ERROR_CODES)
def test_pitfall_10_every_code_top_level_shape(code: str) -> None:
    assert decode(json.dumps({"type": "error", "error": code})) == ServerError(code)


@pytest.mark.parametrize("code", ERROR_CODES)
@pytest.mark.parametrize("action", ["subscribe", "unsubscribe"])
def test_pitfall_10_every_code_per_channel_shape(code: str, action: str) -> None:
    text = json.dumps(
        {
            "type": action,
            "channels": [
                {"type": "heartbeat", "success": True},
                {
                    "type": "market_data",
                    "params": {"market": "LTCUSD"},
                    "success": False,
                    "error": code,
                },
            ],
        }
    )
    assert decode(text) == OperationResult(
        action,
        (
            ChannelResult("heartbeat", None, True, params_echoed=False),
            ChannelResult("market_data", "LTCUSD", False, code),
        ),
    )


def test_pitfall_11_money_is_exact_decimal() -> None:
    text = json.dumps(
        {
            "channel": "execution_data",
            "payload": {
                "market": "ETHUSD",
                "price": "0.1",
                "amount": "3",
                "executed_at": "2026-03-02T14:05:07Z",
            },
        }
    )
    event = decode(text)
    assert isinstance(event, Execution)
    assert event.price * event.amount == Decimal("0.3")  # 0.1 * 3 != 0.3 in floats


def test_pitfall_13_prices_sort_numerically() -> None:
    event = book_event(update("2026-03-02T14:05:00Z", [("9999.5", "1"), ("10000", "1")]))
    prices = sorted((level.price for level in event.bids), reverse=True)
    assert prices == [Decimal("10000"), Decimal("9999.5")]  # as strings "9999.5" > "10000"
