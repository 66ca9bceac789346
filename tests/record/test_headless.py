"""The headless recorder's parts: retention, sizes, and a write failure ending the watch."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import pytest

from sor_tui.commands.record import size_in_bytes
from sor_tui.record.headless import (
    HeadlessRecording,
    RecordingPolicy,
    RecordingStartError,
    enforce_retention,
)
from sor_tui.record.reader import read_recording
from tests.record.disk_full import fill_disk_under


def test_retention_deletes_only_the_oldest_recordings(tmp_path: Path) -> None:
    tmp_path = tmp_path / "rec"
    tmp_path.mkdir()
    names = [f"sor-20261207T0{n}0000Z-1-000000000.jsonl.gz" for n in range(5)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    for other in ("executions.sqlite", "notes.txt", "mine.jsonl.gz"):
        (tmp_path / other).write_bytes(b"keep")
    assert enforce_retention(tmp_path, 2) == 3
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*names[3:], "executions.sqlite", "notes.txt", "mine.jsonl.gz"])
    assert enforce_retention(tmp_path, None) == 0
    assert enforce_retention(tmp_path, 5) == 0


@pytest.mark.parametrize(
    ("text", "size"),
    [("4096", 4096), ("64K", 65536), ("100M", 100 * 1024**2), ("1.5g", int(1.5 * 1024**3))],
)
def test_sizes_read_like_a_person_writes_them(text: str, size: int) -> None:
    assert size_in_bytes(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1M", "10X", "M"])
def test_a_size_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        size_in_bytes(text)


async def test_a_full_disk_ends_the_watch_with_the_reason(tmp_path: Path) -> None:
    recording = HeadlessRecording(tmp_path / "rec", policy=RecordingPolicy(flush_interval=0.05))
    path = recording.path
    recording.on_frame('{"n":0}', 1)
    await asyncio.sleep(0.2)  # flushed while the disk had room
    fill_disk_under(path)
    recording.on_frame('{"n":1}', 2)
    feed: Any = None  # health reports are off: the watch does not read the feed
    problem = await asyncio.wait_for(recording.watch(feed), 10)
    assert problem is not None and "No space left on device" in problem
    assert recording.close() is not None  # still failed at the end
    assert [e.frame for e in read_recording(path).entries] == ['{"n":0}']


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RecordingStartError, match=r"cannot record in .*file/rec: Not a directory"):
        HeadlessRecording(blocker / "rec")
