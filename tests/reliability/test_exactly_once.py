"""Executions exactly once: simulator -> Feed -> RecordingDeskState -> recording + SQLite.

tests/transport/test_feed_data.py checks the tape across reconnects; here the record layer
is in the chain too. Across random drops with the last execution replayed on every
resubscribe, the recorded set equals the sent set except for prints the server queued just
before a drop, and each of those lies inside a gap the recording marks explicitly
(``connection_lost`` .. the next ``begin_sync``). Figures: sent, recorded, duplicates
suppressed, missing-in-gaps, missing-outside-gaps (must be 0).
"""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from sor_tui.core.numbers import canonical_text
from sor_tui.core.timestamps import parse_rfc3339_ns
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.reader import Entry, read_recording
from sor_tui.record.recorder import BEGIN_SYNC, CONNECTION_LOST, DB_NAME, Recorder
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.sim.server import Simulator
from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from tests.transport.feed_harness import BTC_BOOK, BTC_EXEC, ETH_EXEC, HEARTBEAT, options, simulator
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

Key = tuple[str, str, str, int]
GRACE_NS = 250_000_000  # loopback latency and queueing allowance around a marked gap


def key(market: str, price: str | Decimal, amount: str | Decimal, executed_at_ns: int) -> Key:
    """A comparable identity of one print."""
    return (market, canonical_text(Decimal(price)), canonical_text(Decimal(amount)), executed_at_ns)


async def test_recorded_executions_equal_sent_outside_marked_gaps_across_drops_with_replay(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    async with simulator(rate=60.0) as sim:
        sim.set_scenario("replay_last_execution")
        sim.set_scenario("out_of_order_executions")
        replayed = _capture_replays(sim)
        recorder = Recorder.create(tmp_path, ws_url=sim.ws_url, flush_interval=0.1)
        state = RecordingDeskState(recorder=recorder)
        tokens = TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret))
        feed = Feed(
            sim.ws_url,
            tokens,
            [BTC_BOOK, BTC_EXEC, ETH_EXEC, HEARTBEAT],
            options=options(),
            state=state,
        )
        task = asyncio.create_task(feed.run())
        drops = 5
        try:
            for index in range(drops):
                await wait_until(partial(_connections_reach, sim, index + 1), what="up")
                await asyncio.sleep(rng.uniform(0.3, 0.8))
                sim.drop_connections()
            await wait_until(lambda: sim.stats.handshakes[101] == drops + 1, what="final")
            await asyncio.sleep(0.5)
            sim.pause()
            await asyncio.sleep(0.3)  # let the last prints arrive
        finally:
            await feed.stop()
            await task
            await tokens.aclose()
            recorder.close()
        sent = replayed | {
            key(e["market"], e["price"], e["amount"], parse_rfc3339_ns(e["executed_at"]))
            for e in sim.sent_executions()
        }
    db = ExecutionsDB(tmp_path / DB_NAME)
    try:
        stored = list(db.executions())
    finally:
        db.close()
    recorded = [
        key(s.execution.market, s.execution.price, s.execution.amount, s.execution.executed_at_ns)
        for s in stored
    ]
    tape = [
        key(e.execution.market, e.execution.price, e.execution.amount, e.execution.executed_at_ns)
        for e in state.tape_view(1_000_000).entries
    ]
    recording = read_recording(recorder.path)
    gaps = _gaps(recording.entries)
    missing = sent - set(recorded)
    outside = sorted(k for k in missing if not any(lo <= k[3] <= hi for lo, hi in gaps))
    suppressed = state.tape_view(1).duplicates_suppressed
    print(
        f"\nsent={len(sent)} recorded={len(recorded)} duplicates_suppressed={suppressed} "
        f"gaps={len(gaps)} missing_in_gaps={len(missing) - len(outside)} "
        f"missing_outside_gaps={len(outside)}"
    )
    assert len(recorded) == len(set(recorded)), "an execution was recorded twice"
    # The database's UNIQUE key would hide a dedupe failure upstream: the tape must agree.
    assert sorted(tape) == sorted(set(tape)), "the tape shows an execution twice"
    assert set(tape) == set(recorded)
    assert set(recorded) <= sent, "a recorded execution was never sent"
    assert len(gaps) == drops
    assert suppressed >= 1, "no replay was suppressed: the scenario did not exercise dedupe"
    assert outside == []


def _connections_reach(sim: Simulator, count: int) -> bool:
    return sim.stats.handshakes[101] >= count


def _capture_replays(sim: Simulator) -> set[Key]:
    """Executions the simulator sends as replays on subscribe.

    ``Simulator.sent_executions`` leaves replays out, but the replayed print may have
    happened while nobody was subscribed, so the replay is its first and only delivery.
    """
    replayed: set[Key] = set()
    activate = sim.engine.activate

    def recording_activate(session: Any, channel_key: tuple[str, str | None]) -> Any:
        frames = activate(session, channel_key)
        for data, kind in frames:
            if kind == "execution":
                p = json.loads(data)["payload"]
                replayed.add(
                    key(p["market"], p["price"], p["amount"], parse_rfc3339_ns(p["executed_at"]))
                )
        return frames

    sim.engine.activate = recording_activate  # type: ignore[method-assign,assignment]
    return replayed


def _gaps(entries: list[Entry]) -> list[tuple[int, int]]:
    """(start, end) of each marked gap: a connection loss until the next resubscription."""
    gaps: list[tuple[int, int]] = []
    lost_at: int | None = None
    for entry in entries:
        mark, at = entry.mark, entry.t_ns
        if mark == CONNECTION_LOST:
            lost_at = at
        elif mark == BEGIN_SYNC and lost_at is not None:
            gaps.append((lost_at - GRACE_NS, at + GRACE_NS))
            lost_at = None
    return gaps
