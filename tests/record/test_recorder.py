"""Recorder and reader: format, truncation tolerance, crash safety, no secrets."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sor_tui.record.reader import RecordingError, read_recording
from sor_tui.record.recorder import Recorder, public_url
from tests.record.helpers import recording_feed
from tests.transport.feed_harness import BTC_BOOK, BTC_EXEC, HEARTBEAT, is_live, simulator
from tests.waiting import wait_until


def _write(path: Path, count: int, per_flush: int = 10) -> None:
    with Recorder(path, ws_url="ws://127.0.0.1:1/", markets=["BTCUSD"], flush_interval=60) as rec:
        for n in range(count):
            rec.frame(f'{{"n":{n}}}', 1_000 + n)
            if n % per_flush == per_flush - 1:
                rec.flush()
        rec.frame(b"\x00\xffbinary", 5_000)
        rec.frame("lone \udc80 surrogate", 5_000)
        rec.mark("begin_sync", "BTCUSD", 5_001)


def test_round_trip_of_frames_binary_and_marks(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    _write(path, 25)
    recording = read_recording(path)
    assert not recording.truncated
    assert recording.header.markets == ("BTCUSD",)
    frames = [e.frame for e in recording.entries]
    assert frames[:25] == [f'{{"n":{n}}}' for n in range(25)]
    assert frames[25] == b"\x00\xffbinary"
    assert frames[26] == "lone \udc80 surrogate"  # as received, so decode rejects it alike
    assert recording.entries[27].mark == "begin_sync"
    assert recording.entries[27].market == "BTCUSD"
    # Independent members: the standard library reads the same file as one stream.
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 1 + 28


@pytest.mark.parametrize("cut", [1, 7, 40, 200, 333])
def test_truncated_tail_keeps_every_complete_line(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "r.jsonl.gz"
    _write(path, 60, per_flush=7)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - cut])
    recording = read_recording(path)
    assert recording.truncated or cut > 8  # (a cut on a member boundary leaves no trace)
    counted = [e.frame for e in recording.entries if str(e.frame).startswith('{"n":')]
    numbers = [int(str(frame)[5:-1]) for frame in counted]
    assert numbers == list(range(len(numbers)))  # a prefix, in order, nothing invented
    if cut <= 8:  # only the gzip trailer (CRC, size) is cut: every line is still there
        assert len(numbers) == 60


def test_not_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(RecordingError):
        read_recording(path)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(RecordingError):
        read_recording(tmp_path / "empty")


def test_public_url_drops_credentials() -> None:
    assert public_url("wss://user:pw@ws.paxos.com:443/x?token=abc#f") == "wss://ws.paxos.com:443/x"
    assert public_url("ws://[::1]:8080/") == "ws://[::1]:8080/"


_CHILD = """
import sys, time
from pathlib import Path
from sor_tui.record.recorder import Recorder
rec = Recorder(Path(sys.argv[1]), ws_url="ws://127.0.0.1:9/", flush_interval=0.1)
n = 0
while True:
    rec.frame('{"n":%d}' % n, time.time_ns())
    n += 1
    if n == 50:
        print("ready", flush=True)
    time.sleep(0.0005)
"""


def test_sigkill_while_recording_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl.gz"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.5)
        killed_ns = time.time_ns()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    recording = read_recording(path)
    numbers = [int(str(e.frame)[5:-1]) for e in recording.entries]
    assert numbers == list(range(len(numbers)))
    # At most about a second is lost (flushes every 0.1 s; a wide margin for a busy box).
    assert recording.entries[-1].t_ns >= killed_ns - 1_000_000_000


async def test_recording_holds_no_secret(tmp_path: Path) -> None:
    canary_secret = "CANARY-client-secret-5b1e9d"
    path = tmp_path / "rec" / "s.jsonl.gz"
    from sor_tui.record.executions_db import ExecutionsDB

    db = ExecutionsDB(tmp_path / "rec" / "executions.sqlite")
    async with (
        simulator(client_secret=canary_secret) as sim,
        recording_feed(sim, (BTC_BOOK, BTC_EXEC, HEARTBEAT), path, db=db) as session,
    ):
        run = session.running
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        await wait_until(lambda: len(sim.sent_executions()) >= 2, what="prints")
        token = (await run.tokens.get_token()).value.get_secret_value()
    assert len(token) >= 16
    blobs = [gzip.decompress(path.read_bytes())]
    blobs += [p.read_bytes() for p in (tmp_path / "rec").iterdir()]
    assert db.count() >= 1
    db.close()
    for blob in blobs:
        for canary in (canary_secret, token):
            assert canary.encode() not in blob


def test_a_failing_disk_stops_recording_without_growing(tmp_path: Path) -> None:
    path = tmp_path / "full.jsonl.gz"
    rec = Recorder(path, flush_interval=60)
    rec.frame('{"n":0}', 1)
    rec.flush()
    good = path.read_bytes()
    rec._file.close()
    rec._file = open("/dev/full", "wb", buffering=0)  # noqa: SIM115 - writes fail: ENOSPC
    rec.frame('{"n":1}', 2)
    rec.flush()
    assert rec.error is not None and "OSError" in rec.error
    rec.frame('{"n":2}', 3)
    assert rec._lines == []  # nothing piles up once writing failed
    rec.close()
    assert path.read_bytes() == good
    assert [e.frame for e in read_recording(path).entries] == ['{"n":0}']
