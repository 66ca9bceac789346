"""Book integrity end to end: timestamp poisoning, crossed books, resync floods, a model.

The simulator's own book is the model: after every operation the client's book (through
the WebSocket, the Feed and the DeskState) must equal it. tests/core has the OrderBook
state machine against a plain model; these add the wire, reconnects and resyncs.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import pytest

from tests.reliability.frames import inject, level, now, update
from tests.transport.feed_harness import (
    is_live,
    options,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_far_future_timestamp_does_not_freeze_a_level() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        await settle_and_compare(sim, run, "BTCUSD")
        bids, _ = sim.server_book("BTCUSD")
        price, amount = bids[0]
        # A poisoned UPDATE from the far future that leaves the level as it is...
        inject(sim, update([level(price, amount)], time_text="2100-01-01T00:00:00Z"))
        # ...must not stop later, ordinary UPDATEs of that level from applying.
        inject(sim, update([level(price, "123.456")], time_text=now()))
        await wait_until(
            lambda: run.book("BTCUSD")[0][0] == (price, "123.456"), what="level changed"
        )
        inject(sim, update([level(price, amount)], time_text=now()))
        await wait_until(
            lambda: run.book("BTCUSD") == sim.server_book("BTCUSD"), what="level restored"
        )
        sim.resume()
        await asyncio.sleep(0.5)
        await settle_and_compare(sim, run, "BTCUSD")
        view = run.feed.state.book_view("BTCUSD", 1)
        assert view is not None
        print(f"\nfar-future time: level followed later updates; flags={view.flags}")
        assert any("far-future" in flag for flag in view.flags), "the poisoned time went unseen"


async def test_persistently_crossed_book_is_resynced_to_the_servers() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        await settle_and_compare(sim, run, "BTCUSD")
        _, asks = sim.server_book("BTCUSD")
        crossing = str(int(float(asks[0][0]) * 2))  # a bid far above the best ask
        snapshots = sim.stats.frames_sent["SNAPSHOT"]
        inject(sim, update([level(crossing, "1")], time_text=now()))
        await wait_until(
            lambda: run.feed.state.book_view("BTCUSD", 1).crossed,  # type: ignore[union-attr]
            what="crossed",
        )
        sim.resume()  # the cross persists under the server's ordinary updates
        await wait_until(
            lambda: sim.stats.frames_sent["SNAPSHOT"] > snapshots, within=15, what="a resync"
        )
        await settle_and_compare(sim, run, "BTCUSD")
    print(f"\ncrossed book: resynced ({sim.stats.frames_sent['SNAPSHOT'] - snapshots} snapshot)")


async def test_a_flood_of_rejected_book_frames_resyncs_at_most_once_per_interval() -> None:
    interval, seconds = 0.5, 3.0
    async with simulator() as sim:
        opts = options(resync_interval=interval)
        async with running_feed(sim, feed_options=opts) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            snapshots = sim.stats.frames_sent["SNAPSHOT"]
            bad = update([level("1.01", "7"), level("2", "-1")], time_text=now())
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                inject(sim, bad)  # ~100 rejected BTCUSD book frames per second
                await asyncio.sleep(0.01)
            resyncs = sim.stats.frames_sent["SNAPSHOT"] - snapshots
            await settle_and_compare(sim, run, "BTCUSD")
    print(f"\n{seconds:g} s of rejected book frames: {resyncs} resyncs (limit 1 per {interval} s)")
    assert 1 <= resyncs <= seconds / interval + 1


async def test_model_based_random_operations_client_book_always_equals_the_servers() -> None:
    """The simulator's book is the model; random operations, an equality check after each."""
    rng = random.Random(2024)
    operations = ("step", "step", "step", "drop", "resync", "duplicate", "delete_restore")
    done: Counter[str] = Counter()
    async with (
        simulator() as sim,
        running_feed(sim, feed_options=options(resync_interval=0.0)) as run,
    ):
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        sim.pause()
        for _ in range(30):
            operation = rng.choice(operations)
            done[operation] += 1
            lost, snapshots = run.feed.counters.reconnects, sim.stats.frames_sent["SNAPSHOT"]
            bids, _ = sim.server_book("BTCUSD")
            price, amount = bids[rng.randrange(len(bids))]
            if operation == "step":
                sim.step(rng.randint(1, 20), "BTCUSD")
            elif operation == "drop":
                sim.drop_connections()
                await wait_until(lambda: run.feed.counters.reconnects > lost, what="loss")  # noqa: B023 - awaited at once
            elif operation == "resync":
                await wait_until(lambda: run.feed.resync("BTCUSD"), what="resync accepted")
                await wait_until(
                    lambda: sim.stats.frames_sent["SNAPSHOT"] > snapshots,  # noqa: B023 - awaited at once
                    what="snapshot",
                )
            elif operation == "duplicate":  # the level as the server has it, sent again
                inject(sim, update([level(price, amount)], time_text=now()))
            else:  # a delete, then the level back: the book must end where the server is
                inject(sim, update([level(price, "0")], time_text=now()))
                inject(sim, update([level(price, amount)], time_text=now()))
            await wait_until(
                lambda: is_live(run, "BTCUSD") and run.book("BTCUSD") == sim.server_book("BTCUSD"),
                what=f"equality after {operation}",
            )
    print(f"\nmodel-based: {sum(done.values())} operations {dict(done)}, divergence 0 after each")
