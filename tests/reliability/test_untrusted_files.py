"""Recordings and executions databases from anyone: bounded reads, clear errors, no
formula injection, the input never modified, and what sor-tui writes is private."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import tracemalloc
import zlib
from decimal import Decimal
from pathlib import Path

import pytest

from sor_tui.cli import main
from sor_tui.core.events import Execution
from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.record import reader
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.export import cell
from sor_tui.record.reader import RecordingError, read_recording
from sor_tui.record.recorder import DB_NAME, Recorder
from sor_tui.sim.replay_source import read_frames
from tests.record.frames import T0

pytestmark = pytest.mark.timeout(60)

HEADER = json.dumps({"sor_tui_recording": 1, "started_ns": T0, "ws_url": "", "markets": []})
MIB = 1 << 20


def write_bomb(path: Path, mib: int = 200) -> Path:
    """A valid header, then one line of ``mib`` MiB of spaces: a few hundred KB of gzip."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress((HEADER + "\n").encode())]
    block = b" " * MIB
    parts += [packer.compress(block) for _ in range(mib)]
    parts.append(packer.compress(b"\n") + packer.flush())
    path.write_bytes(b"".join(parts))
    return path


def test_a_gzip_bomb_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    bomb = write_bomb(tmp_path / "bomb.jsonl.gz")
    assert bomb.stat().st_size < MIB
    tracemalloc.start()
    try:
        with pytest.raises(RecordingError, match="decompresses to more than"):
            read_recording(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 160 * MIB


def test_export_of_a_bomb_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = write_bomb(tmp_path / "bomb.jsonl.gz")
    assert main(["export", str(bomb)]) == 2
    assert "decompresses to more than" in capsys.readouterr().err


def test_sim_replay_refuses_a_bomb(tmp_path: Path) -> None:
    bomb = write_bomb(tmp_path / "bomb.jsonl.gz")
    with pytest.raises(ValueError, match="decompresses to more than"):
        read_frames(bomb)


def _recording(path: Path, *lines: bytes) -> Path:
    path.write_bytes(gzip.compress(b"\n".join([HEADER.encode(), *lines]) + b"\n"))
    return path


def frame_line(t: int) -> bytes:
    return json.dumps({"t": t, "f": '{"type":"HEARTBEAT"}'}).encode()


def test_deep_nesting_is_a_skipped_line_not_a_traceback(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    path = _recording(tmp_path / "deep.jsonl.gz", frame_line(T0), deep, frame_line(T0 + 1))
    recording = read_recording(path)
    assert [entry.t_ns for entry in recording.entries] == [T0, T0 + 1]
    assert recording.skipped == 1
    assert [frame.t_ns for frame in read_frames(path)] == [T0, T0 + 1]
    nested_header = tmp_path / "nested-header.jsonl"
    nested_header.write_bytes(deep + b"\n")
    with pytest.raises(RecordingError, match="not a sor-tui recording"):
        read_recording(nested_header)


def test_an_overlong_line_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", MIB)
    huge = b'{"t": 1, "f": "' + b"x" * (3 * MIB) + b'"}'
    path = _recording(tmp_path / "long.jsonl.gz", frame_line(T0), huge, frame_line(T0 + 1))
    recording = read_recording(path)
    assert [entry.t_ns for entry in recording.entries] == [T0, T0 + 1]
    assert recording.skipped == 1


SCHEMA = """CREATE TABLE executions (market TEXT, price TEXT, amount TEXT,
executed_at_ns INTEGER, executed_at TEXT, received_ns INTEGER, session TEXT)"""


def crafted_db(path: Path, rows: list[tuple[object, ...]]) -> Path:
    db = sqlite3.connect(path)
    db.execute(SCHEMA)
    db.executemany("INSERT INTO executions VALUES (?, ?, ?, ?, ?, 0, '')", rows)
    db.commit()
    db.close()
    return path


def test_a_crafted_database_is_read_only_and_checked_row_by_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = format_rfc3339_ns(T0)
    path = crafted_db(
        tmp_path / "crafted.sqlite",
        [
            ("BTCUSD", "65000.5", "0.25", T0, at),  # the one valid print
            ('=HYPERLINK("http://evil.example","x")', "1", "1", T0, at),
            ("BTCUSD", "1", "1", T0, '=cmd|" /C calc"!A0'),
            ("BTCUSD", "1E999999999", "1", T0, at),
            ("BTCUSD", b"\x00blob", "1", T0, at),
            ("BTCUSD", "1", "-2", T0, at),
            ("BTCUSD", "1", "1", "not a number", at),
            ("BTCUSD", "1", "1", T0 + 1, at),  # the text does not match the nanoseconds
        ],
    )
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    listing = sorted(os.listdir(tmp_path))
    out = tmp_path / "out.csv"
    assert main(["export", str(path), "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text().splitlines() == [
        "market,price,amount,executed_at,executed_at_ns",
        f"BTCUSD,65000.5,0.25,{at},{T0}",
    ]
    assert "7 rows were not valid executions" in capsys.readouterr().err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # not modified
    assert sorted(os.listdir(tmp_path)) == sorted([*listing, "out.csv"])  # no -wal, -shm


def test_a_view_named_executions_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "view.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE VIEW executions AS SELECT 1 AS market")
    db.close()
    assert main(["export", str(path)]) == 2
    assert "no executions table" in capsys.readouterr().err


def test_a_damaged_database_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "damaged.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    assert main(["export", str(path)]) == 2
    err = capsys.readouterr().err
    assert "executions database" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_starts_are_neutralised(text: str) -> None:
    assert cell(text).startswith("'")


def test_recordings_and_the_database_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "recordings"
    recorder = Recorder.create(directory)
    printed = Execution("BTCUSD", Decimal(1), Decimal(1), T0, format_rfc3339_ns(T0))
    recorder.execution(printed, T0)
    recorder.flush()
    db_path = directory / DB_NAME
    files = [recorder.path, db_path, *directory.glob(f"{DB_NAME}-*")]
    assert len(files) >= 3  # the recording, the database and its WAL (and SHM)
    assert {path.name: path.stat().st_mode & 0o777 for path in files} == {
        path.name: 0o600 for path in files
    }
    assert directory.stat().st_mode & 0o777 == 0o700
    recorder.close()
    standalone = ExecutionsDB(tmp_path / "other" / "x.sqlite")
    assert (tmp_path / "other" / "x.sqlite").stat().st_mode & 0o777 == 0o600
    standalone.close()
