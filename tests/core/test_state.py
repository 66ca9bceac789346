"""DeskState: routing events to books, tape and counters; the subscription lifecycle."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.book import OrderBook
from sor_tui.core.events import (
    BookSnapshot,
    BookUpdate,
    ChannelResult,
    Execution,
    Heartbeat,
    Ignored,
    OperationResult,
    PriceLevel,
    Rejected,
    ServerError,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.state import DeskState
from sor_tui.core.tape import ExecutionTape
from sor_tui.core.views import BookStatus
from tests.core.book_helpers import NOW_NS, snapshot, update

T = NOW_NS - 10**9


def desk(**options: object) -> DeskState:
    """A desk state on a frozen wall clock."""
    return DeskState(wall_clock_ns=lambda: NOW_NS, **options)  # type: ignore[arg-type]


def live(state: DeskState, market: str = "BTCUSD") -> None:
    """Subscribe and snapshot ``market``."""
    state.begin_sync(market)
    state.apply(snapshot(T, (("100", "1"),), (("101", "1"),), market=market), NOW_NS)


def test_book_flow_and_views() -> None:
    state = desk()
    assert state.book_view("BTCUSD", 5) is None
    state.begin_sync("BTCUSD")
    state.apply(update(T + 1, (("99", "2"),)), NOW_NS)
    view = state.book_view("BTCUSD", 5)
    assert view is not None and view.status is BookStatus.SYNCING and view.bids == ()
    state.apply(snapshot(T, (("100", "1"),), (("101", "1"),)), NOW_NS)
    view = state.book_view("BTCUSD", 5)
    assert view is not None and view.status is BookStatus.LIVE
    assert [level.price for level in view.bids] == [Decimal(100), Decimal(99)]
    grouped = state.book_view("BTCUSD", 5, Decimal(10))
    assert grouped is not None and [level.price for level in grouped.bids] == [
        Decimal(100),
        Decimal(90),
    ]
    assert state.markets == ("BTCUSD",)


def test_book_data_for_unsubscribed_markets_is_dropped_and_counted() -> None:
    state = desk()
    state.apply(snapshot(T, (("100", "1"),), market="ETHUSD"), NOW_NS)
    live(state)
    state.end_sync("BTCUSD")
    state.apply(update(T + 5, (("100", "0"),)), NOW_NS)  # in flight after the unsubscribe
    assert state.dropped_book_data == {"ETHUSD": 1, "BTCUSD": 1}
    view = state.book_view("BTCUSD", 5)
    assert view is not None and view.status is BookStatus.IDLE and view.bids == ()
    assert state.book_view("ETHUSD", 5) is None
    assert state.counters()["dropped_book_data"] == 2


def test_connection_lost_marks_every_book_stale_and_clears_buffers() -> None:
    state = desk()
    live(state, "BTCUSD")
    state.begin_sync("ETHUSD")
    state.apply(update(T + 1, (("5", "1"),), market="ETHUSD"), NOW_NS)
    state.connection_lost()
    btc = state.book("BTCUSD")
    eth = state.book("ETHUSD")
    assert btc is not None and eth is not None
    assert btc.status is BookStatus.STALE and eth.status is BookStatus.STALE
    assert eth.buffered == 0
    view = state.book_view("BTCUSD", 5)
    assert view is not None and len(view.bids) == 1  # kept for display
    state.apply(update(T + 2, (("100", "0"),)), NOW_NS)  # not routed to a STALE book
    assert state.dropped_book_data["BTCUSD"] == 1


def test_resync_needed_is_reported_once_until_begin_sync() -> None:
    state = DeskState(
        book_factory=lambda market: OrderBook(market, max_buffer=1, wall_clock_ns=lambda: NOW_NS)
    )
    state.begin_sync("BTCUSD")
    state.apply(update(T + 1, (("1", "1"),)), NOW_NS)
    state.apply(update(T + 2, (("1", "1"),)), NOW_NS)
    needed = state.resync_needed()
    assert len(needed) == 1 and needed[0][0] == "BTCUSD" and "updates" in needed[0][1]
    assert state.resync_needed() == []
    assert [market for market, _ in state.books_needing_resync()] == ["BTCUSD"]
    state.mark_resyncing("BTCUSD")
    book = state.book("BTCUSD")
    assert book is not None and book.status is BookStatus.RESYNCING
    state.begin_sync("BTCUSD")
    state.apply(update(T + 1, (("1", "1"),)), NOW_NS)
    state.apply(update(T + 2, (("1", "1"),)), NOW_NS)
    assert [market for market, _ in state.resync_needed()] == ["BTCUSD"]


def test_rejected_book_frame_triggers_resync_but_other_rejects_do_not() -> None:
    state = desk()
    live(state)
    state.apply(Rejected("BAD_DECIMAL", "...", "BTCUSD", "execution_data"), NOW_NS)
    state.apply(Rejected("BAD_JSON", "..."), NOW_NS)
    assert state.resync_needed() == []
    state.apply(Rejected("BAD_DECIMAL", "...", "BTCUSD", "market_data"), NOW_NS)
    assert [market for market, _ in state.resync_needed()] == ["BTCUSD"]
    assert state.rejects_by_reason == {"BAD_DECIMAL": 2, "BAD_JSON": 1}


def test_top_of_book_heartbeat_ignored_and_session_messages() -> None:
    state = desk()
    top = TopOfBook("BTCUSD", T, "t", PriceLevel(Decimal(1), Decimal(2)), None)
    state.apply(top, NOW_NS)
    state.apply(Heartbeat(T, "t"), NOW_NS + 5)
    state.apply(Ignored("weird", "unknown channel"), NOW_NS)
    state.apply(OperationResult("subscribe", (ChannelResult("heartbeat", None, True),)), NOW_NS)
    state.apply(SubscriptionList(()), NOW_NS)
    state.apply(ServerError("INTERNAL_SERVER_ERROR"), NOW_NS)
    assert state.top_of_book == {"BTCUSD": top}
    assert state.last_heartbeat_ns == NOW_NS + 5
    assert state.last_heartbeat_server_ns == T
    assert state.ignored == 1
    assert state.session_messages == 3
    assert state.counters()["events"] == 6


def test_executions_go_to_the_tape_with_counts() -> None:
    state = desk(tape=ExecutionTape(max_entries=10))
    first = Execution("BTCUSD", Decimal("100"), Decimal("1"), T, "t")
    state.apply(first, NOW_NS)
    state.apply(first, NOW_NS)  # replay
    state.apply(Execution("ETHUSD", Decimal("5"), Decimal("2"), T + 1, "t"), NOW_NS)
    assert state.executions_by_market == {"BTCUSD": 1, "ETHUSD": 1}
    assert len(state.drain_new_executions()) == 2
    assert state.drain_new_executions() == []
    view = state.tape_view(10)
    assert view.duplicates_suppressed == 1
    assert len(state.tape_view(10, "ETHUSD").entries) == 1
    assert state.counters()["duplicates_suppressed"] == 1


def test_version_changes_on_any_change() -> None:
    state = desk()
    versions = [state.version]
    state.begin_sync("BTCUSD")
    versions.append(state.version)
    state.apply(Heartbeat(T, "t"), NOW_NS)
    versions.append(state.version)
    state.mark_resyncing("BTCUSD")
    versions.append(state.version)
    state.connection_lost()
    versions.append(state.version)
    state.end_sync("BTCUSD")
    versions.append(state.version)
    assert len(set(versions)) == len(versions)


wild_decimals = st.one_of(
    st.decimals(min_value=-(10**12), max_value=10**12, places=None),
    st.sampled_from(["NaN", "sNaN", "Infinity", "-Infinity", "-0", "0E-60", "1E-45"]).map(Decimal),
)
wild_levels = st.lists(st.builds(PriceLevel, wild_decimals, wild_decimals), max_size=4).map(tuple)
wild_times = st.integers(-(2**63), 2**63 - 1)
wild_events = st.one_of(
    st.builds(BookUpdate, st.just("BTCUSD"), wild_times, st.just("t"), wild_levels, wild_levels),
    st.builds(BookSnapshot, st.just("BTCUSD"), wild_times, st.just("t"), wild_levels, wild_levels),
    st.builds(Execution, st.just("BTCUSD"), wild_decimals, wild_decimals, wild_times, st.just("t")),
    st.builds(TopOfBook, st.just("BTCUSD"), wild_times, st.just("t"), st.none(), st.none()),
)
lifecycle = st.sampled_from(["begin_sync", "end_sync", "connection_lost", "mark_resyncing"])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.one_of(wild_events, lifecycle), max_size=25))
def test_apply_never_raises_and_views_stay_buildable(steps: list[object]) -> None:
    state = desk()
    for step in steps:
        if step == "connection_lost":
            state.connection_lost()
        elif isinstance(step, str):
            getattr(state, step)("BTCUSD")
        else:
            state.apply(step, NOW_NS)  # type: ignore[arg-type]
        state.book_view("BTCUSD", 10)
        state.book_view("BTCUSD", 10, Decimal("0.5"))
        state.tape_view(10)
    state.resync_needed()
    state.drain_new_executions()
