"""The simulator's batched firehose UPDATEs are byte-for-byte the frames ``send`` builds."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from bench import sim_throughput as throughput
from sor_tui.sim.session import Session, ws_frame
from tests.sim.conftest import SimFactory


def make_session() -> tuple[Session, Counter[str]]:
    """A session without a connection (nothing here touches it)."""
    counter: Counter[str] = Counter()
    connection: Any = None
    return Session(connection, None, counter, max_queue_bytes=1 << 30), counter


async def test_batched_updates_equal_one_frame_per_send_in_call_order() -> None:
    payloads = [b"x" * size for size in (0, 1, 125, 126, 127, 300, 65535, 65536, 70000)]
    batched, counter = make_session()
    for payload in payloads:
        batched.send_update(payload)
    batched.send(b'{"hb":1}', "heartbeat")  # flushes the held UPDATEs first
    batched.send_update(b"after")
    batched.flush()
    expected = [ws_frame(p) for p in payloads] + [ws_frame(b'{"hb":1}'), ws_frame(b"after")]
    assert b"".join(batched._queue) == b"".join(expected)
    assert counter == Counter({"UPDATE": len(payloads) + 1, "heartbeat": 1})
    assert batched.data_frames == len(payloads) + 2
    assert batched.queued_bytes == sum(map(len, expected))


async def test_frame_faults_still_count_every_update() -> None:
    session, counter = make_session()
    session.garbage_every = 2
    session.garbage = []  # armed but empty: only the per-frame path is taken
    session.send_update(b"a" * 200)
    assert session._updates == [] and counter["UPDATE"] == 1


async def test_raw_counter_sees_the_firehose(make_sim: SimFactory) -> None:
    sim = await make_sim(firehose=True, markets=("BTCUSD",), snapshot_delay=0.0)
    token = await asyncio.to_thread(throughput._token, sim.oauth_url)
    count, elapsed = await throughput.measure_raw(sim.ws_url, token, ["BTCUSD"], 0.2)
    assert 0 < count <= sim.stats.frames_sent["UPDATE"]
    assert elapsed >= 0.2
