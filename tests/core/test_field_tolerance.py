"""Field tolerance: spellings and choices the docs leave open, decoded and applied (issue 12)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sor_tui.core.book import OrderBook
from sor_tui.core.events import (
    BookUpdate,
    Channel,
    ChannelResult,
    Execution,
    Heartbeat,
    OperationResult,
    PriceLevel,
    ServerError,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.protocol import decode
from sor_tui.core.state import DeskState
from sor_tui.core.subscriptions import SubscriptionRegistry
from sor_tui.core.views import BookStatus
from tests.core.book_helpers import NOW_NS, snapshot, update

S = 10**9
MD = Channel("market_data", "BTCUSD")
EXE = Channel("execution_data", "BTCUSD")


def frame(channel: str, payload: dict[str, object]) -> str:
    return json.dumps({"channel": channel, "payload": payload})


# --- decoding ---------------------------------------------------------------------


@pytest.mark.parametrize("zero", ["-0", "-0.0", "-0.00000000"])
def test_signed_zero_amount_is_a_removal(zero: str) -> None:
    event = decode(
        frame(
            "market_data",
            {
                "market": "BTCUSD",
                "type": "UPDATE",
                "time": "2026-03-02T14:05:07Z",
                "bids": [{"price": "100", "amount": zero}],
            },
        )
    )
    assert isinstance(event, BookUpdate)
    assert event.bids == (PriceLevel(Decimal(100), Decimal(0)),)
    assert not event.bids[0].amount.is_signed()


@pytest.mark.parametrize("text", ["-1", "-0.5", "--0", "-", "-.0", "-0e0"])
def test_other_signed_values_stay_rejected(text: str) -> None:
    event = decode(
        frame(
            "market_data",
            {
                "market": "BTCUSD",
                "type": "UPDATE",
                "time": "2026-03-02T14:05:07Z",
                "bids": [{"price": "100", "amount": text}],
            },
        )
    )
    assert type(event).__name__ == "Rejected"


def test_top_of_book_zero_level_is_an_empty_side() -> None:
    event = decode(
        frame(
            "market_data.top_of_book",
            {
                "market": "BTCUSD",
                "type": "TOP_OF_BOOK",
                "timestamp": "2026-03-02T14:05:07Z",
                "bids": [{"price": "0", "amount": "0"}],
                "asks": [{"price": "101.5", "amount": "2"}],
            },
        )
    )
    assert isinstance(event, TopOfBook)
    assert event.bid is None
    assert event.ask == PriceLevel(Decimal("101.5"), Decimal(2))


def test_result_with_error_and_no_success_is_a_refusal() -> None:
    event = decode(
        '{"type":"subscribe","channels":[{"type":"market_data","params":{"market":"NOPE"},'
        '"error":"UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"}]}'
    )
    assert event == OperationResult(
        "subscribe",
        (ChannelResult("market_data", "NOPE", False, "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"),),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type":"subscribe","channels":null,"error":"MALFORMED_REQUEST"}', "subscribe"),
        ('{"type":"unsubscribe","channels":null,"code":"MALFORMED_REQUEST"}', "unsubscribe"),
        ('{"error":"MALFORMED_REQUEST"}', None),
        ('{"type":"error","code":"MALFORMED_REQUEST"}', None),
        ('{"type":"error","error":"MALFORMED_REQUEST","code":400}', None),
    ],
)
def test_request_level_error_spellings(text: str, expected: str | None) -> None:
    assert decode(text) == ServerError("MALFORMED_REQUEST", expected)


# --- registry ---------------------------------------------------------------------


def test_list_without_params_never_asks_for_an_unencodable_unsubscribe() -> None:
    registry = SubscriptionRegistry([MD, EXE])
    registry.record_request("subscribe", [MD, EXE])
    registry.apply_result(
        OperationResult(
            "subscribe",
            (
                ChannelResult("market_data", None, True, params_echoed=False),
                ChannelResult("execution_data", None, True, params_echoed=False),
            ),
        )
    )
    plan = registry.apply_list(
        SubscriptionList((Channel("market_data"), Channel("execution_data")))
    )
    assert plan.subscribe == () and plan.unsubscribe == ()
    assert registry.is_active(MD) and registry.is_active(EXE)


def test_request_level_error_refuses_the_open_request() -> None:
    registry = SubscriptionRegistry([MD, EXE])
    registry.record_request("subscribe", [MD, EXE])
    outcomes = registry.refuse_request("subscribe", "MALFORMED_REQUEST")
    assert [(o.channel, o.success, o.error) for o in outcomes] == [
        (MD, False, "MALFORMED_REQUEST"),
        (EXE, False, "MALFORMED_REQUEST"),
    ]
    entry = registry.get(MD)
    assert entry is not None and entry.error == "MALFORMED_REQUEST" and entry.pending == 0
    assert registry.pending_requests() == 0


# --- desk state -------------------------------------------------------------------


def desk(**options: object) -> DeskState:
    return DeskState(wall_clock_ns=lambda: NOW_NS, **options)  # type: ignore[arg-type]


def test_prints_ahead_of_a_slow_local_clock_are_kept() -> None:
    # The desk's clock is 6 minutes slow: the server's heartbeat says so.
    state = desk()
    server_now = NOW_NS + 360 * S
    state.apply(Heartbeat(server_now, "hb"), NOW_NS)
    state.apply(Execution("BTCUSD", Decimal(100), Decimal(1), server_now, "t"), NOW_NS)
    assert state.tape.accepted == 1 and state.tape.too_new == 0


def test_snapshot_ahead_of_a_slow_local_clock_does_not_resync() -> None:
    state = desk()
    state.apply(Heartbeat(NOW_NS + 360 * S, "hb"), NOW_NS)
    state.begin_sync("BTCUSD")
    state.apply(snapshot(NOW_NS + 360 * S, (("100", "1"),), (("101", "1"),)), NOW_NS)
    assert state.resync_needed() == []
    book = state.book("BTCUSD")
    assert book is not None and book.status is BookStatus.LIVE


def test_identical_prints_on_a_steady_connection_are_kept() -> None:
    state = desk()
    print_ = Execution("BTCUSD", Decimal(100), Decimal(1), NOW_NS - S, "t")
    state.apply(print_, NOW_NS)
    state.apply(print_, NOW_NS + 60 * S)  # long after (re)subscribing: another trade
    assert state.tape.accepted == 2 and state.tape.duplicates_suppressed == 0


def test_identical_prints_are_two_trades_outside_the_replay_window() -> None:
    state = desk(replay_window_ns=2 * S)
    print_ = Execution("BTCUSD", Decimal(100), Decimal(1), NOW_NS - S, "t")
    state.apply(print_, NOW_NS)
    state.apply(print_, NOW_NS + S)  # within the window after connecting: a replay
    assert state.tape.accepted == 1 and state.tape.duplicates_suppressed == 1
    state.apply(print_, NOW_NS + 3 * S)  # a steady connection: another trade
    assert state.tape.accepted == 2
    state.connection_lost()
    state.apply(print_, NOW_NS + 10 * S)  # replayed after a reconnect
    assert state.tape.accepted == 2 and state.tape.duplicates_suppressed == 2


def test_top_of_book_is_cleared_on_disconnect() -> None:
    state = desk()
    top = TopOfBook("BTCUSD", NOW_NS, "t", PriceLevel(Decimal(1), Decimal(1)), None)
    state.apply(top, NOW_NS)
    assert state.top_of_book["BTCUSD"] == top
    state.connection_lost()
    assert state.top_of_book == {}


def crossed_book(**options: object) -> OrderBook:
    book = OrderBook(
        "BTCUSD",
        wall_clock_ns=lambda: NOW_NS,
        max_crossed_updates=3,
        **options,  # type: ignore[arg-type]
    )
    book.begin_sync()
    book.apply_snapshot(snapshot(NOW_NS - S, (("100", "1"),), (("101", "1"),)))
    return book


def cross(book: OrderBook, count: int, after: int) -> None:
    for index in range(count):
        book.apply_update(update(after + index + 1, (("102", "1"),)))


def test_a_long_cross_asks_for_one_resync_per_episode() -> None:
    book = crossed_book()
    cross(book, 3, NOW_NS - S)
    assert book.needs_resync and book.long_crosses == 1
    assert "crossed for long" in book.view(1).flags
    # The resync brings a book that is still crossed (the venues really cross).
    book.begin_sync()
    book.apply_snapshot(snapshot(NOW_NS, (("102", "1"),), (("101", "1"),)))
    cross(book, 10, NOW_NS)
    assert not book.needs_resync and book.long_crosses == 1
    assert "crossed for long" in book.view(1).flags
    book.apply_update(update(NOW_NS + 100, (("102", "0"),)))  # uncrossed: episode over
    assert book.view(1).flags == ()
    cross(book, 3, NOW_NS + 100)
    assert book.needs_resync and book.long_crosses == 2


def test_a_long_cross_only_flags_when_resync_is_off() -> None:
    book = crossed_book(crossed_resync=False)
    cross(book, 5, NOW_NS - S)
    assert not book.needs_resync and book.long_crosses == 1
    assert "crossed for long" in book.view(1).flags
