"""Feed data integrity against the simulator: garbage frames, huge snapshots, executions."""

from __future__ import annotations

from decimal import Decimal

from sor_tui.core.events import Execution, Rejected
from sor_tui.core.numbers import canonical_text
from sor_tui.transport.status import Problem
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
    wait_until,
)


async def test_garbage_frames_counted_and_book_unaffected() -> None:
    async with simulator() as sim:
        sim.set_scenario("garbage_frames", every=5)
        async with running_feed(sim) as run:
            await wait_until(lambda: run.feed.counters.frames_dropped >= 5, what="garbage")
            sim.set_scenario("garbage_frames", enabled=False)
            counters = run.feed.counters
            assert sum(counters.rejects_by_reason.values()) == counters.frames_dropped
            assert len(counters.rejects_by_reason) >= 2
            assert counters.reconnects == 0  # garbage never costs the connection
            frame_problems = [p for p in run.of(Problem) if p.source == "frame"]
            assert len(frame_problems) == len(run.of(Rejected))
            for problem in frame_problems:
                assert "\x1b" not in problem.message and "\x00" not in problem.message
            await settle_and_compare(sim, run, "BTCUSD")


async def test_huge_snapshot_over_one_mib_accepted() -> None:
    async with simulator() as sim:
        sim.set_scenario("huge_snapshot", levels=20_000)
        async with running_feed(sim, (BTC_BOOK,)) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), within=10, what="huge book live")
            view = run.feed.state.book_view("BTCUSD", 1)
            assert view is not None and view.bid_levels + view.ask_levels >= 20_000
            assert run.feed.counters.frames_dropped == 0
            await settle_and_compare(sim, run, "BTCUSD")


async def test_executions_exactly_once_across_reconnects_with_replay() -> None:
    async with simulator(rate=80.0) as sim:
        sim.set_scenario("replay_last_execution")
        desired = (BTC_BOOK, BTC_EXEC, ETH_BOOK, ETH_EXEC, HEARTBEAT)
        async with running_feed(sim, desired) as run:
            tape = run.feed.state.tape
            for reconnects in (1, 2):
                await wait_until(
                    lambda n=reconnects: len(sim.sent_executions()) >= 3 * n,  # type: ignore[misc]
                    what="prints",
                )
                # Quiet the market so the replay on resubscribe is of a print we already have.
                sim.pause()
                await wait_until(
                    lambda: tape.accepted == len(sim.sent_executions()), what="caught up"
                )
                sim.drop_connections()
                await wait_until(
                    lambda n=reconnects: run.feed.counters.reconnects == n,  # type: ignore[misc]
                    what="loss",
                )
                await wait_until(lambda: is_live(run, "ETHUSD"), what="live again")
                sim.resume()
            await wait_until(lambda: len(sim.sent_executions()) > tape.accepted, what="new prints")
            sim.pause()
            await wait_until(lambda: tape.accepted == len(sim.sent_executions()), what="all in")
            received = _keys([_wire(e) for e in run.of(Execution)])
            accepted = _keys([_wire(e) for e in run.feed.state.drain_new_executions()])
            assert len(received) > len(set(received))  # replays did arrive twice ...
            assert accepted == _keys(sim.sent_executions())  # ... yet each print counts once
            assert tape.duplicates_suppressed == len(received) - len(accepted)


def _wire(e: Execution) -> dict[str, str]:
    return {
        "market": e.market,
        "price": canonical_text(e.price),
        "amount": canonical_text(e.amount),
        "executed_at": e.executed_at,
    }


def _keys(items: list[dict[str, str]]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (
            i["market"],
            i["executed_at"],
            canonical_text(Decimal(i["price"])),
            canonical_text(Decimal(i["amount"])),
        )
        for i in items
    )
