"""A hostile server cannot grow the desk's per-market tables: markets not desired are dropped
and counted, and every table keyed by a server string is bounded."""

from __future__ import annotations

from decimal import Decimal

from sor_tui.core.events import (
    BookUpdate,
    Channel,
    ChannelType,
    Execution,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.state import MAX_MARKETS, OTHER, DeskState
from sor_tui.core.subscriptions import MAX_UNDESIRED_LISTED, SubscriptionRegistry
from sor_tui.core.timestamps import format_rfc3339_ns
from tests.core.book_helpers import NOW_NS

T = NOW_NS - 10**9


def execution(market: str, at: int = T) -> Execution:
    return Execution(market, Decimal("100.5"), Decimal("0.1"), at, format_rfc3339_ns(at))


def top(market: str) -> TopOfBook:
    return TopOfBook(market, T, "t", None, None)


def test_prints_and_top_of_book_of_undesired_markets_are_dropped_and_counted() -> None:
    state = DeskState(wall_clock_ns=lambda: NOW_NS)
    state.set_desired_markets({"BTCUSD"})
    state.apply(execution("BTCUSD"), NOW_NS)
    state.apply(execution("ETHUSD"), NOW_NS)
    state.apply(top("ETHUSD"), NOW_NS)
    assert [e.market for e in state.drain_new_executions()] == ["BTCUSD"]
    assert state.dropped_undesired == {"ETHUSD": 2}
    assert "ETHUSD" not in state.top_of_book
    assert state.counters()["dropped_undesired"] == 2


def test_without_a_desired_set_at_most_max_markets_are_tracked() -> None:
    state = DeskState(wall_clock_ns=lambda: NOW_NS)
    for number in range(MAX_MARKETS + 500):
        state.apply(execution(f"M{number}", T + number), NOW_NS)
        state.apply(top(f"M{number}"), NOW_NS)
    assert len(state.executions_by_market) == MAX_MARKETS
    assert len(state.top_of_book) == MAX_MARKETS
    assert len(state.dropped_undesired) == MAX_MARKETS + 1  # the rest under OTHER
    assert sum(state.dropped_undesired.values()) == 2 * 500


def test_book_data_of_unknown_markets_leaves_bounded_counters() -> None:
    state = DeskState(wall_clock_ns=lambda: NOW_NS)
    for number in range(MAX_MARKETS * 4):
        state.apply(BookUpdate(f"X{number}", T, "t", (), ()), NOW_NS)
    assert len(state.dropped_book_data) == MAX_MARKETS + 1
    assert state.dropped_book_data[OTHER] == MAX_MARKETS * 3


def test_books_are_bounded_by_evicting_idle_ones() -> None:
    state = DeskState(wall_clock_ns=lambda: NOW_NS)
    for number in range(MAX_MARKETS + 10):
        state.begin_sync(f"B{number}")
        state.end_sync(f"B{number}")
    assert len(state.markets) <= MAX_MARKETS


def test_a_listing_of_endless_channels_is_bounded() -> None:
    registry = SubscriptionRegistry([Channel(ChannelType.MARKET_DATA, "BTCUSD")])
    listing = SubscriptionList(
        tuple(Channel(ChannelType.MARKET_DATA, f"M{n}") for n in range(5 * MAX_UNDESIRED_LISTED))
    )
    plan = registry.apply_list(listing)
    assert len(plan.unsubscribe) == MAX_UNDESIRED_LISTED
    assert registry.listed_ignored == 4 * MAX_UNDESIRED_LISTED
