"""Feed data integrity against the simulator: garbage frames, huge snapshots, executions."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sor_tui.core.events import Execution, Rejected
from sor_tui.core.numbers import canonical_text
from sor_tui.core.timestamps import parse_rfc3339_ns
from sor_tui.core.views import BookStatus
from sor_tui.sim.garbage import DEFAULT_KINDS
from sor_tui.transport.status import Problem, SubscriptionAnswered
from tests.transport.feed_harness import (
    BTC_BOOK,
    BTC_EXEC,
    ETH_BOOK,
    ETH_EXEC,
    HEARTBEAT,
    Running,
    is_live,
    options,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until


async def test_garbage_frames_counted_and_book_unaffected() -> None:
    async with simulator() as sim:
        sim.set_scenario("garbage_frames", every=5)
        async with running_feed(sim) as run:
            # One full cycle of the simulator's garbage kinds.
            cycle = len(DEFAULT_KINDS) - 2  # two kinds are well-formed (server error, result)
            await wait_until(lambda: run.feed.counters.frames_dropped >= cycle, what="garbage")
            sim.set_scenario("garbage_frames", enabled=False)
            counters = run.feed.counters
            assert sum(counters.rejects_by_reason.values()) == counters.frames_dropped
            assert len(counters.rejects_by_reason) >= 2
            assert counters.reconnects == 0  # garbage never costs the connection
            frame_problems = [p for p in run.of(Problem) if p.source == "frame"]
            assert len(frame_problems) == len(run.of(Rejected))
            for problem in frame_problems:
                assert "\x1b" not in problem.message and "\x00" not in problem.message
            # A rejected market_data frame is a lost update: the core asks for a resync, and
            # the feed performs it (rate-limited per market).
            resyncs = [p for p in run.of(Problem) if p.code == "RESYNC"]
            assert resyncs and {p.market for p in resyncs} == {"BTCUSD"}
            # A forged subscribe failure for a live channel is ignored, not obeyed.
            assert any(p.code == "UNSOLICITED_RESULT" for p in run.of(Problem))
            assert run.feed.registry.is_active(BTC_BOOK)
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

            def caught_up() -> bool:
                received = {_key(_wire(e)) for e in run.of(Execution)}
                return received >= {_key(e) for e in sim.sent_executions()}

            for reconnects in (1, 2):
                await wait_until(
                    lambda n=reconnects: len(sim.sent_executions()) >= 3 * n,  # type: ignore[misc]
                    what="prints",
                )
                # Quiet the market so the replay on resubscribe is of a print we already have.
                sim.pause()
                await wait_until(caught_up, what="caught up")
                sim.drop_connections()
                await wait_until(
                    lambda n=reconnects: run.feed.counters.reconnects == n,  # type: ignore[misc]
                    what="loss",
                )
                await wait_until(lambda: is_live(run, "ETHUSD"), what="live again")
                sim.resume()
            await wait_until(lambda: len(sim.sent_executions()) > 12, what="new prints")
            sim.pause()
            await wait_until(caught_up, what="all in")
            received = _keys([_wire(e) for e in run.of(Execution)])
            accepted = _keys([_wire(e) for e in run.feed.state.drain_new_executions()])
            sent = _keys(sim.sent_executions())
            assert len(received) > len(set(received))  # replays did arrive twice ...
            assert len(accepted) == len(set(accepted))  # ... yet each print counts once
            assert set(sent) <= set(accepted)
            # The only print we may have beyond the sent ones: the replay, on the very first
            # subscribe, of a print made before we subscribed (one per market at most).
            extras = sorted(set(accepted) - set(sent))
            assert len(extras) <= 2
            for market, executed_at, _, _ in extras:
                first_sent = min(parse_rfc3339_ns(s[1]) for s in sent if s[0] == market)
                assert parse_rfc3339_ns(executed_at) < first_sent
            assert len({market for market, *_ in extras}) == len(extras)
            assert tape_duplicates(run) == len(received) - len(accepted)


def tape_duplicates(run: Running) -> int:
    return run.feed.state.tape.duplicates_suppressed


def _key(item: dict[str, str]) -> tuple[str, str, str, str]:
    return _keys([item])[0]


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


async def test_snapshot_timeout_resyncs_the_market() -> None:
    async with simulator(snapshot_delay=30.0) as sim:
        feed_options = options(snapshot_timeout=0.3, resync_interval=0.2)
        async with running_feed(sim, (BTC_BOOK,), feed_options=feed_options) as run:
            await wait_until(
                lambda: any(p.code == "RESYNC" for p in run.of(Problem)), what="a resync"
            )
            resync = next(p for p in run.of(Problem) if p.code == "RESYNC")
            assert resync.market == "BTCUSD" and "no snapshot" in resync.message
            await wait_until(
                lambda: (
                    [a.action for a in run.of(SubscriptionAnswered)][:3]
                    == ["subscribe", "unsubscribe", "subscribe"]
                ),
                what="unsubscribe + subscribe",
            )
            view = run.feed.state.book_view("BTCUSD", 1)
            assert view is not None and view.status in (BookStatus.SYNCING, BookStatus.RESYNCING)
            assert run.feed.counters.reconnects == 0
            # It keeps trying, but never faster than the snapshot timeout allows.
            first = len([p for p in run.of(Problem) if p.code == "RESYNC"])
            await asyncio.sleep(1.0)
            later = len([p for p in run.of(Problem) if p.code == "RESYNC"]) - first
            assert 1 <= later <= 1.0 / 0.3 + 1


async def test_on_frame_sees_every_raw_frame_in_order() -> None:
    frames: list[tuple[str | bytes, int]] = []
    async with simulator() as sim:
        sim.set_scenario("garbage_frames", every=5)  # binary frames take websockets' path
        async with running_feed(sim, on_frame=lambda f, ns: frames.append((f, ns))) as run:
            await wait_until(lambda: run.feed.counters.frames_dropped >= 6, what="garbage")
            await wait_until(lambda: is_live(run, "BTCUSD"), what="book live")
            sim.set_scenario("garbage_frames", enabled=False)
            await asyncio.sleep(0.2)
            counted = run.feed.counters.messages
            seen = len(frames)
    assert seen >= counted > 0  # the hook runs before the frame is counted as handled
    times = [ns for _, ns in frames]
    assert times == sorted(times)
    texts = [f for f, _ in frames if isinstance(f, str)]
    assert any('"SNAPSHOT"' in t for t in texts)
    assert any(isinstance(f, bytes) for f, _ in frames), "binary frames reach the hook too"
