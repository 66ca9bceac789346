"""Feed against the simulator: connect, subscribe, books and registry, subscription flows."""

from __future__ import annotations

from sor_tui.core.events import Channel, Heartbeat, OperationResult
from sor_tui.core.subscriptions import DataState, ServerAnswer
from sor_tui.core.views import BookStatus
from sor_tui.transport.status import (
    FeedState,
    Problem,
    SubscriptionAnswered,
    SubscriptionsChanged,
)
from tests.transport.feed_harness import (
    BTC_BOOK,
    BTC_EXEC,
    ETH_BOOK,
    ETH_EXEC,
    HEARTBEAT,
    is_live,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until


async def test_connects_subscribes_in_one_request_and_builds_the_book() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live book")
        await settle_and_compare(sim, run, "BTCUSD")
        results = run.of(OperationResult)
        assert results[0].action == "subscribe"
        assert {(r.type, r.market) for r in results[0].results} == {
            ("market_data", "BTCUSD"),
            ("execution_data", "BTCUSD"),
            ("heartbeat", None),
        }
        await wait_until(lambda: all(e.listed for e in run.feed.registry.entries()), what="listing")
        await wait_until(lambda: run.of(Heartbeat), what="a heartbeat")
        entries = {e.channel: e for e in run.feed.registry.entries()}
        assert entries[BTC_BOOK].answer is ServerAnswer.OK
        assert entries[BTC_BOOK].data is DataState.LIVE
        assert entries[HEARTBEAT].data is DataState.LIVE
        assert run.states()[:2] == [FeedState.CONNECTING, FeedState.CONNECTED]
        assert run.of(SubscriptionsChanged)
        counters = run.feed.counters
        assert counters.messages > 0 and counters.reconnects == 0
        assert "BTCUSD" in counters.lag_ns
        assert sim.stats.handshakes[101] == 1
        assert run.feed.token_expires_in() is not None


async def test_subscribe_unsubscribe_resync_flow() -> None:
    async with simulator() as sim, running_feed(sim, (BTC_BOOK, HEARTBEAT)) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="BTC live")
        assert run.feed.subscribe([Channel("market_data", "ethusd"), ETH_EXEC]) == (
            ETH_BOOK,
            ETH_EXEC,
        )
        assert run.feed.registry.get(ETH_BOOK) is not None
        await wait_until(lambda: is_live(run, "ETHUSD"), what="ETH live")
        assert run.feed.registry.is_active(ETH_EXEC)

        run.feed.unsubscribe([ETH_BOOK])
        view = run.feed.state.book_view("ETHUSD", 5)
        assert view is not None and view.status is BookStatus.IDLE
        await wait_until(lambda: run.feed.registry.get(ETH_BOOK) is None, what="ETH removed")
        answered = [
            (a.action, a.channel) for a in run.of(SubscriptionAnswered) if a.channel == ETH_BOOK
        ]
        assert answered == [("subscribe", ETH_BOOK), ("unsubscribe", ETH_BOOK)]

        statuses: list[BookStatus] = []
        before = len(run.events)
        assert run.feed.resync("btcusd")
        assert not run.feed.resync("BTCUSD")  # rate-limited: one resync per market at a time
        assert not run.feed.resync("ETHUSD")  # not a desired book any more
        view = run.feed.state.book_view("BTCUSD", 5)
        assert view is not None
        statuses.append(view.status)
        await wait_until(
            lambda: len([a for a in run.of(SubscriptionAnswered) if a.channel == BTC_BOOK]) == 3,
            what="resync answers",
        )
        await wait_until(lambda: is_live(run, "BTCUSD"), what="BTC live again")
        resync_answers = [
            a.action for a in run.events[before:] if isinstance(a, SubscriptionAnswered)
        ]
        assert resync_answers == ["unsubscribe", "subscribe"]
        assert statuses == [BookStatus.RESYNCING]
        await settle_and_compare(sim, run, "BTCUSD")


async def test_rejected_channels_reported_with_market_and_explanation() -> None:
    desired = (BTC_BOOK, Channel("market_data", "NOPEUSD"), Channel("order_book", "BTCUSD"))
    async with simulator() as sim, running_feed(sim, desired) as run:
        await wait_until(lambda: len(run.of(Problem)) >= 2, what="problems")
        problems = {(p.code, p.market) for p in run.of(Problem)}
        assert ("UNKNOWN_CHANNEL_PARAMS_CONFIGURATION", "NOPEUSD") in problems
        assert ("UNKNOWN_CHANNEL", "BTCUSD") in problems
        nope = run.feed.registry.get(Channel("market_data", "NOPEUSD"))
        assert nope is not None and nope.answer is ServerAnswer.ERROR
        assert all(p.message for p in run.of(Problem))
        await wait_until(lambda: is_live(run, "BTCUSD"), what="the good book still works")
        view = run.feed.state.book_view("NOPEUSD", 5)
        assert view is None or view.status is BookStatus.IDLE


async def test_legacy_results_matched_by_position() -> None:
    desired = (BTC_BOOK, Channel("market_data", "NOPEUSD"), ETH_BOOK, BTC_EXEC)
    async with simulator() as sim:
        sim.set_scenario("legacy_results")
        async with running_feed(sim, desired) as run:
            await wait_until(lambda: run.of(OperationResult), what="results")
            first = run.of(OperationResult)[0]
            assert all(not r.params_echoed for r in first.results)
            await wait_until(lambda: is_live(run, "ETHUSD"), what="ETH live")
            registry = run.feed.registry
            assert registry.is_active(BTC_BOOK) and registry.is_active(ETH_BOOK)
            assert registry.is_active(BTC_EXEC)
            nope = registry.get(Channel("market_data", "NOPEUSD"))
            assert nope is not None and nope.error == "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
            markets = [p.market for p in run.of(Problem)]
            assert markets == ["NOPEUSD"]


async def test_subscription_list_reconciles_a_lost_subscription() -> None:
    async with simulator() as sim, running_feed(sim, (BTC_BOOK, BTC_EXEC)) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        # The server forgets a subscription behind our back; the list reveals it.
        for session in list(sim.sessions):
            sim.engine.deactivate(session, ("execution_data", "BTCUSD"), False)
            session.subscriptions.pop(("execution_data", "BTCUSD"), None)
        run.feed.refresh_subscription_list()
        await wait_until(
            lambda: (
                sum(
                    1
                    for a in run.of(SubscriptionAnswered)
                    if a.channel == BTC_EXEC and a.action == "subscribe"
                )
                == 2
            ),
            what="resubscribe of the lost channel",
        )
        await wait_until(lambda: run.feed.registry.is_active(BTC_EXEC), what="active again")
