"""``sor-tui record``: unattended, crash-safe, rotating, and its files replay to the books."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import pytest

from sor_tui.core.state import DeskState
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.reader import read_recording
from sor_tui.record.recorder import DB_NAME
from sor_tui.record.replay import Replay
from sor_tui.transport.json_lines import book_line
from tests.record.disk_full import limit_file_size
from tests.record.headless_harness import command, print_key, sim_args, sim_env
from tests.transport.feed_harness import simulator
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(120)

FULL = 100_000


def _recordings(folder: Path) -> list[Path]:
    return sorted(folder.glob("sor-*.jsonl.gz"))


def _replayed(path: Path) -> DeskState:
    replay = Replay(read_recording(path))
    replay.step(replay.total)
    return replay.state


def _health(stderr: list[str]) -> list[str]:
    return [line for line in stderr if line.startswith("sor-tui record: ") and " | " in line]


async def test_sigkill_leaves_readable_recordings_and_database(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=60.0) as sim:
        args = ["record", *sim_args(sim), "--markets", "BTCUSD,ETHUSD", "--record-dir", str(rec)]
        async with command(*args, "--health-every", "0.2", env=sim_env(sim)) as run:
            prints = re.compile(r"prints ([1-9]\d*)")
            await wait_until(lambda: any(prints.search(h) for h in _health(run.errors)), within=20)
            await wait_until(lambda: len(sim.sent_executions()) >= 5, within=20)
            await asyncio.sleep(1.2)  # at least two flushes
            run.process.send_signal(signal.SIGKILL)  # no chance to flush or close
            assert await run.finish() == -signal.SIGKILL
        assert run.lines == []  # record writes nothing to stdout
    [path] = _recordings(rec)
    recording = read_recording(path)  # a cut last member is tolerated
    assert sum(e.frame is not None for e in recording.entries) > 10
    state = _replayed(path)
    assert state.book_view("BTCUSD", 10) is not None
    db = ExecutionsDB(rec / DB_NAME)
    stored = {print_key(s.execution) for s in db.executions()}
    db.close()
    sent = {print_key(e) for e in sim.sent_executions()}
    assert stored and stored <= sent  # what was committed before the kill is there, exactly


async def test_rotation_by_time_and_retention_and_each_file_replays(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=40.0) as sim:
        args = ["record", *sim_args(sim), "--markets", "BTCUSD", "--record-dir", str(rec)]
        args += ["--rotate-every", "0.5", "--keep", "2", "--health-every", "0.2"]
        async with command(*args, env=sim_env(sim)) as run:
            deleted = re.compile(r"deleted ([3-9]|\d\d+)\)")
            await wait_until(lambda: any(deleted.search(h) for h in _health(run.errors)), within=30)
            sim.pause()
            await asyncio.sleep(1.5)  # the last frames flushed (and maybe another rotation)
            run.process.send_signal(signal.SIGTERM)
            assert await run.finish() == 0, run.stderr
            bids, asks = sim.server_book("BTCUSD")
    files = _recordings(rec)
    assert len(files) == 2  # the retention limit
    for path in files:  # every file starts from the books as they were: it replays alone
        entries = read_recording(path).entries
        assert entries[0].mark == "begin_sync"
        view = _replayed(path).book_view("BTCUSD", FULL)
        assert view is not None and view.bids
    last = _replayed(files[-1]).book_view("BTCUSD", FULL)
    assert last is not None
    line = book_line(last)
    assert [tuple(level) for level in line["bids"]] == bids
    assert [tuple(level) for level in line["asks"]] == asks


async def test_rotation_by_size(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=100.0) as sim:
        args = ["record", *sim_args(sim), "--markets", "BTCUSD", "--record-dir", str(rec)]
        async with command(*args, "--rotate-size", "4K", env=sim_env(sim)) as run:
            await wait_until(lambda: len(_recordings(rec)) >= 4, within=30)
            run.process.send_signal(signal.SIGINT)
            assert await run.finish() == 0, run.stderr
    files = _recordings(rec)
    for path in files[:-1]:
        # Rotated once past 4 KiB: checked every 0.2 s, so a file ends a little past it.
        assert path.stat().st_size >= 4096
        assert read_recording(path).entries


@pytest.mark.parametrize("rotated", [False, True], ids=["first-file", "rotated-file"])
async def test_a_recording_replays_through_sim_replay_to_the_same_books(
    tmp_path: Path, rotated: bool
) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=40.0) as sim:
        args = ["record", *sim_args(sim), "--markets", "BTCUSD", "--record-dir", str(rec)]
        if rotated:  # a later file starts with a snapshot of the live book (synthetic)
            args += ["--rotate-every", "0.6"]
        async with command(*args, env=sim_env(sim)) as run:
            await wait_until(lambda: len(sim.sent_executions()) >= 3, within=20)
            await wait_until(lambda: len(_recordings(rec)) >= (2 if rotated else 1), within=20)
            sim.pause()
            await asyncio.sleep(1.0)
            run.process.send_signal(signal.SIGTERM)
            assert await run.finish() == 0, run.stderr
    path = _recordings(rec)[-1]
    assert read_recording(path).entries[1].synthetic == rotated
    expected = book_line(_replayed(path).book_view("BTCUSD", 500))  # type: ignore[arg-type]
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sor_tui",
        "sim",
        "--replay",
        str(path),
        "--speed",
        "20",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None
        urls = {}
        async with asyncio.timeout(20):
            while len(urls) < 2:
                name, _, value = (await server.stdout.readline()).decode().strip().partition("=")
                urls[name] = value
        env = sim_env(sim)  # the replaying simulator takes the same demo credentials
        args = ["stream", "--environment", "demo", "--ws-url", urls["SOR_WS_URL"]]
        args += ["--oauth-url", urls["SOR_OAUTH_URL"], "--markets", "BTCUSD", "--depth", "500"]
        async with command(*args, "--duration", "4", env=env) as replayed:
            assert await replayed.finish() == 0, replayed.stderr
    finally:
        server.terminate()
        await server.wait()
    books = [b for b in replayed.of("book") if b["market"] == "BTCUSD"]
    assert books and books[-1]["bids"] == expected["bids"]
    assert books[-1]["asks"] == expected["asks"]


async def test_a_recorder_that_cannot_write_says_why_and_exits_4(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    async with simulator(rate=200.0) as sim:
        args = ["record", *sim_args(sim), "--markets", "BTCUSD", "--channels", "market_data"]
        async with command(
            *args,
            "--record-dir",
            str(rec),
            env=sim_env(sim),
            preexec_fn=limit_file_size(64 * 1024),  # a full disk, for real
        ) as run:
            assert await run.finish(within=60) == 4
    last = run.errors[-1]
    assert last.startswith("sor-tui record: recording stopped: OSError: [Errno 27] File too large")
    assert "Traceback" not in run.stderr
    [path] = _recordings(rec)
    assert read_recording(path).entries
