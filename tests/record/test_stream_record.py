"""``stream --record`` and ``SOR_RECORD``: the stream records, and says so when it cannot."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.reader import read_recording
from sor_tui.record.recorder import DB_NAME
from sor_tui.record.replay import Replay
from sor_tui.transport.json_lines import book_line
from tests.record.disk_full import limit_file_size
from tests.record.frames import write_sample
from tests.record.headless_harness import command, print_key, sim_args, sim_env
from tests.transport.feed_harness import simulator
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(90)


def _levels(book: dict[str, object]) -> tuple[object, object]:
    return book["bids"], book["asks"]


async def test_stream_record_keeps_what_stream_printed(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=30.0) as sim:
        args = ["stream", *sim_args(sim), "--markets", "BTCUSD", "--depth", "10"]
        async with command(*args, "--record", "--record-dir", str(rec), env=sim_env(sim)) as run:
            await wait_until(lambda: len(run.of("execution")) >= 3, within=20)
            sim.pause()
            await asyncio.sleep(0.6)  # the last coalesced lines and the last flush
            run.process.send_signal(signal.SIGINT)
            assert await run.finish() == 0, run.stderr
    files = sorted(rec.glob("sor-*.jsonl.gz"))
    assert len(files) == 1
    db = ExecutionsDB(rec / DB_NAME)
    stored = sorted(print_key(s.execution) for s in db.executions())
    db.close()
    printed = sorted(print_key(line) for line in run.of("execution"))
    assert stored == printed  # the same prints, each once
    # The recording replays to the book the stream printed last.
    replay = Replay(read_recording(files[0]))
    replay.step(replay.total)
    view = replay.state.book_view("BTCUSD", 10)
    assert view is not None
    last = [b for b in run.of("book") if b["market"] == "BTCUSD" and b["status"] == "LIVE"][-1]
    assert _levels(book_line(view)) == _levels(last)


async def test_sor_record_in_the_environment_is_honoured(tmp_path: Path) -> None:
    rec = tmp_path / "from-env"
    async with simulator(rate=30.0) as sim:
        env = sim_env(sim, SOR_RECORD="true", SOR_RECORD_DIR=str(rec))
        args = ["stream", *sim_args(sim), "--markets", "BTCUSD", "--duration", "1.5"]
        async with command(*args, env=env) as run:
            assert await run.finish() == 0, run.stderr
    [path] = rec.glob("sor-*.jsonl.gz")
    assert any(e.frame is not None for e in read_recording(path).entries)


async def test_a_recording_that_cannot_start_refuses_to_stream(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    async with simulator() as sim:
        args = ["stream", *sim_args(sim), "--record", "--record-dir", str(blocker / "rec")]
        async with command(*args, env=sim_env(sim)) as run:
            assert await run.finish() == 4
    assert run.lines == []  # nothing streamed as if it were recorded
    assert f"sor-tui stream: cannot record in {blocker / 'rec'}" in run.stderr


async def test_a_full_disk_while_streaming_is_logged_and_exits_4(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=200.0) as sim:
        args = ["stream", *sim_args(sim), "--markets", "BTCUSD", "--record"]
        args += ["--channels", "market_data"]  # no prints: the frame file fills first
        # Every file the stream writes is limited to 64 KiB: a full disk, for real.
        async with command(
            *args,
            "--record-dir",
            str(rec),
            env=sim_env(sim),
            preexec_fn=limit_file_size(64 * 1024),
        ) as run:
            assert await run.finish(within=60) == 4
    assert "File too large" in run.stderr
    assert "ERROR sor_tui.record.recorder: recording stopped: OSError: [Errno 27]" in run.stderr
    assert run.stderr.splitlines()[-1].startswith("sor-tui stream: recording stopped")
    assert "Traceback" not in run.stderr
    [path] = rec.glob("sor-*.jsonl.gz")
    assert read_recording(path).entries  # what was written before stays readable


def test_a_replay_refuses_the_record_setting_instead_of_ignoring_it(tmp_path: Path) -> None:
    path = write_sample(tmp_path / "s.jsonl.gz")
    env = {**os.environ, "SOR_RECORD": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "sor_tui", "replay", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "a replay cannot record" in done.stderr
    assert "SOR_RECORD=false" in done.stderr
