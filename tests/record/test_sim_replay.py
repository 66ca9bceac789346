"""``sor-tui sim --replay``: the simulator serves a recording's frames over the protocol."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from sor_tui.record.reader import read_recording
from sor_tui.record.replay import Replay
from sor_tui.sim.config import SOR_SCOPE, SimConfig
from sor_tui.sim.replay_source import RecordingServer, read_frames
from tests.record.frames import write_sample
from tests.waiting import wait_until


async def _token(server: RecordingServer) -> str:
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        response = await http.post(
            server.oauth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": server.config.client_id,
                "client_secret": server.config.client_secret,
                "scope": SOR_SCOPE,
            },
        )
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


async def test_serves_the_recorded_frames_in_order(tmp_path: Path) -> None:
    path = write_sample(tmp_path / "s.jsonl.gz")
    expected = [e.frame for e in read_recording(path).entries if e.frame is not None]
    frames = read_frames(path)
    assert [f.data for f in frames] == expected
    # Recorded 4 s apart at most: at x100 the whole recording plays in well under a second.
    async with RecordingServer(frames, config=SimConfig(), speed=100.0) as server:
        token = await _token(server)
        headers = {"Authorization": f"Bearer {token}"}
        async with connect(server.ws_url, additional_headers=headers, open_timeout=5) as ws:
            await ws.send(json.dumps({"type": "subscription_list"}))  # read and ignored
            received = []
            async with asyncio.timeout(10):
                for _ in expected:
                    received.append(await ws.recv())
        assert received == expected
        assert server.frames_sent == len(expected)
        with pytest.raises(InvalidStatus) as rejected:
            async with connect(server.ws_url, open_timeout=5):
                pass
        assert rejected.value.response.status_code == 401


def test_reader_tolerates_a_cut_tail_and_binary_frames(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    header = json.dumps({"sor_tui_recording": 1, "started_ns": 1, "ws_url": "", "markets": []})
    body = header + '\n{"t":5,"f":"AAE=","bin":1}\n{"t":6,"m":"connection_lost"}\n{"t":7,"f":"x"}\n'
    data = gzip.compress(body.encode()) + gzip.compress(b'{"t":8,"f":"cut"}\n{"t":9,"f":"y"}')
    path.write_bytes(data[:-3])
    frames = read_frames(path)
    assert [(f.t_ns, f.data) for f in frames] == [(5, b"\x00\x01"), (7, "x"), (8, "cut")]
    (tmp_path / "bad").write_text("{}\n")
    with pytest.raises(ValueError):
        read_frames(tmp_path / "bad")


ROOT = Path(__file__).resolve().parents[2]


async def test_sim_replay_command_serves_until_terminated(tmp_path: Path) -> None:
    import signal
    import sys

    path = write_sample(tmp_path / "s.jsonl.gz")
    expected = [f.data for f in read_frames(path)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sor_tui", "sim", "--replay", str(path), "--speed", "100",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            ws_url = (await process.stdout.readline()).decode().strip().removeprefix("SOR_WS_URL=")
            oauth = (await process.stdout.readline()).decode().strip()
        assert ws_url.startswith("ws://127.0.0.1:") and oauth.startswith("SOR_OAUTH_URL=http://")
        server = RecordingServer([], config=SimConfig())  # only for its credentials
        async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
            answer = await http.post(
                oauth.removeprefix("SOR_OAUTH_URL="),
                data={
                    "grant_type": "client_credentials",
                    "client_id": server.config.client_id,
                    "client_secret": server.config.client_secret,
                    "scope": SOR_SCOPE,
                },
            )
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        async with connect(ws_url, additional_headers=headers, open_timeout=5) as ws:
            await ws.send(json.dumps({"type": "subscription_list"}))  # starts the playback
            async with asyncio.timeout(10):
                received = [await ws.recv() for _ in expected]
        assert received == expected
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_our_feed_against_a_served_recording_rebuilds_the_recorded_book(
    tmp_path: Path,
) -> None:
    from tests.record.helpers import FULL, recording_feed
    from tests.transport.feed_harness import (
        BTC_BOOK,
        BTC_EXEC,
        HEARTBEAT,
        is_live,
        running_feed,
        simulator,
    )

    path = tmp_path / "captured.jsonl.gz"
    desired = (BTC_BOOK, BTC_EXEC, HEARTBEAT)
    async with simulator(rate=80.0) as sim, recording_feed(sim, desired, path) as session:
        await wait_until(lambda: is_live(session.running, "BTCUSD"), what="live")
        await wait_until(lambda: session.state.tape.accepted >= 2, what="prints")
    frames = read_frames(path)
    recording = read_recording(path)
    replay = Replay(recording)
    replay.step(replay.total)
    expected = replay.state.book_view("BTCUSD", FULL)
    assert expected is not None

    async with RecordingServer(frames, config=SimConfig(), speed=4.0) as server:
        server_like = _SimLike(server)
        async with running_feed(server_like, desired) as run:  # type: ignore[arg-type]
            await wait_until(lambda: server.frames_sent == len(frames), what="all served")
            await wait_until(lambda: run.feed.counters.messages >= len(frames), what="all read")
            got = run.feed.state.book_view("BTCUSD", FULL)
            assert got is not None and got.status == "LIVE"
            assert _levels(got.bids) == _levels(expected.bids)
            assert _levels(got.asks) == _levels(expected.asks)
            assert run.feed.state.tape.accepted == replay.state.tape.accepted


def _levels(levels: Any) -> list[tuple[Any, Any, Any]]:
    return [(lv.price, lv.amount, lv.cumulative) for lv in levels]


class _SimLike:
    """The four attributes ``running_feed`` reads from a simulator."""

    def __init__(self, server: RecordingServer) -> None:
        self.ws_url = server.ws_url
        self.oauth_url = server.oauth_url
        self.client_id = server.config.client_id
        self.client_secret = server.config.client_secret
