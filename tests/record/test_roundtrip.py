"""A recorded simulator session replays into identical book views and tapes."""

from __future__ import annotations

from pathlib import Path

from sor_tui.record.export import executions_of
from sor_tui.record.reader import read_recording
from sor_tui.record.replay import Replay
from tests.record.helpers import FULL, recording_feed
from tests.transport.feed_harness import (
    BTC_BOOK,
    BTC_EXEC,
    ETH_BOOK,
    ETH_EXEC,
    HEARTBEAT,
    is_live,
    simulator,
)
from tests.waiting import wait_until

MARKETS = ("BTCUSD", "ETHUSD")


async def test_recorded_session_replays_to_identical_views(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl.gz"
    desired = (BTC_BOOK, BTC_EXEC, ETH_BOOK, ETH_EXEC, HEARTBEAT)
    async with simulator(rate=80.0) as sim, recording_feed(sim, desired, path) as session:
        run = session.running
        await wait_until(lambda: all(is_live(run, m) for m in MARKETS), what="books live")
        session.checkpoint(MARKETS)
        await wait_until(lambda: session.state.tape.accepted >= 3, what="prints")
        session.checkpoint(MARKETS)
        # A resync and a lost connection exercise the lifecycle marks.
        assert run.feed.resync("BTCUSD")
        await wait_until(lambda: session.state.book("BTCUSD") is not None, what="resync")
        session.checkpoint(MARKETS)
        sim.drop_connections()
        await wait_until(lambda: run.feed.counters.reconnects >= 1, what="loss")
        session.checkpoint(MARKETS)
        await wait_until(lambda: all(is_live(run, m) for m in MARKETS), what="live again")
        await wait_until(lambda: session.state.tape.accepted >= 6, what="more prints")
        session.checkpoint(MARKETS)
        checkpoints = session.checkpoints

    recording = read_recording(path)
    assert not recording.truncated and recording.skipped == 0
    assert recording.header.ws_url == sim.ws_url
    assert any(entry.mark == "connection_lost" for entry in recording.entries)
    assert any(entry.mark == "resyncing" for entry in recording.entries)
    replay = Replay(recording)
    for point in checkpoints:
        replay.seek_position(point.entries)
        for market in MARKETS:
            assert replay.state.book_view(market, FULL) == point.books[market], market
        assert replay.state.tape_view(500).entries == point.tape.entries
        assert replay.state.tape_view(500).session == point.tape.session
    # Seeking back rebuilds the same state from the start (views taken in the same order,
    # since change marks compare against the previous view of a book).
    replay.seek_position(0)
    assert replay.rebuilds == 1
    for point in checkpoints[:2]:
        replay.seek_position(point.entries)
        assert replay.state.book_view("BTCUSD", FULL) == point.books["BTCUSD"]
    assert len(checkpoints[1].tape.entries) >= 3
    # Export gives the prints the live tape held, oldest first, each once.
    exported = executions_of(path)
    keys = [e.dedupe_key for e in exported]
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys, key=lambda k: (k[3], k[0]))
    assert {entry.execution for entry in checkpoints[-1].tape.entries} <= set(exported)
