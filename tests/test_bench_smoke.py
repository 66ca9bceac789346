"""The benchmark harness still runs: each benchmark in its tiny smoke mode, no timing asserted."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bench import (
    bench_core,
    bench_e2e,
    bench_link,
    bench_memory,
    bench_startup,
    bench_tui,
    ssh_link,
)
from bench.__main__ import format_table, main
from bench.baselines.c_book import CBook
from bench.baselines.vendor_book import VendorBook
from bench.frames import make_stream
from bench.harness import Row, percentile
from sor_tui.core.events import BookSnapshot, BookUpdate
from sor_tui.core.protocol import decode


def test_generated_frames_are_valid_and_keep_the_depth() -> None:
    stream = make_stream(50, 400, seed=3)
    snapshot = decode(stream.snapshot)
    assert isinstance(snapshot, BookSnapshot)
    assert len(snapshot.bids) == len(snapshot.asks) == 50
    events = [decode(frame) for frame in stream.updates]
    assert all(isinstance(event, BookUpdate) for event in events)
    assert stream.levels == 3 * len(stream.updates)
    assert 200 < sum(map(len, stream.updates)) / len(stream.updates) < 300  # ~250 B frames


def test_the_three_books_agree_after_a_stream() -> None:
    stream = make_stream(40, 500, seed=4)
    books = {impl: bench_core._decode_apply(impl, stream)[1] for impl in bench_core.IMPLEMENTATIONS}
    assert bench_core._cross_check(books) == ""
    bids, asks = bench_core.side_sizes("ours", books["ours"])
    assert abs(bids - 40) <= 3 and abs(asks - 40) <= 3


def test_cross_check_reports_a_book_that_skipped_work() -> None:
    stream = make_stream(40, 200, seed=5)
    books = {impl: bench_core._decode_apply(impl, stream)[1] for impl in bench_core.IMPLEMENTATIONS}
    books["vendor"].bids.pop(next(iter(books["vendor"].bids)))
    assert "disagrees" in bench_core._cross_check(books)


def test_baselines_delete_on_zero_and_sort_on_read() -> None:
    frame = (
        '{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE",'
        '"time":"2026-03-02T14:05:07Z","bids":[{"price":"9.5","amount":"0"},'
        '{"price":"10000","amount":"1"}],"asks":[]}}'
    )
    snapshot = (
        '{"channel":"market_data","payload":{"market":"BTCUSD","type":"SNAPSHOT",'
        '"time":"2026-03-02T14:05:06Z","bids":[{"price":"9.5","amount":"2"},'
        '{"price":"9999.5","amount":"3"}],"asks":[{"price":"10001","amount":"1"}]}}'
    )
    for book in (VendorBook(), CBook()):
        book.on_frame(snapshot)
        book.on_frame(frame)
        bids, asks = book.top(5)
        assert [Decimal(p) for p, _ in bids] == [Decimal("10000"), Decimal("9999.5")]
        assert [Decimal(p) for p, _ in asks] == [Decimal("10001")]


def test_row_ratios_and_percentile() -> None:
    faster = Row("b", "rate", 200.0, "x/s", baselines={"base": 100.0})
    slower = Row("b", "time", 5.0, "us", baselines={"base": 20.0}, higher_is_better=False)
    assert faster.ratios() == {"base": 2.0}
    assert slower.ratios() == {"base": 4.0}
    assert percentile([3, 1, 2, 4], 0.5) == 2
    assert percentile([], 0.99) == 0.0
    assert "x2.00" in format_table([faster])


def test_core_quick(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    assert main(["--only", "core", "--quick", "--output", str(output)]) == 0
    document = json.loads(output.read_text())
    names = [row["name"] for row in document["rows"]]
    assert any(name.startswith("top-25 view") for name in names)
    assert all(row["value"] > 0 for row in document["rows"])
    assert all("BOOKS DISAGREE" not in row["note"] for row in document["rows"])


@pytest.mark.timeout(60)
def test_e2e_quick() -> None:
    rows = bench_e2e.run(quick=True)
    assert rows[0].value > 0 and rows[0].baselines["bare websockets client"] > 0


@pytest.mark.timeout(60)
def test_tui_quick() -> None:
    rows = bench_tui.run(quick=True, rates=(400,))
    by_name = {row.name.split(",")[0]: row for row in rows}
    assert by_name["ingest"].value > 0
    assert by_name["update-to-screen p50"].value > 0


@pytest.mark.timeout(60)
def test_memory_and_startup_quick() -> None:
    memory = bench_memory.run(quick=True)
    assert memory[0].value > 0 and set(memory[0].baselines) == {"vendor", "c-ext"}
    assert "2 ladders showing books" in memory[1].note
    assert bench_startup.run(quick=True)[0].value > 0


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_link_quick() -> None:
    rows = bench_link.run(quick=True, sizes=((80, 24),), rates=(None,), links=(256_000,), ssh=False)
    assert [row.unit for row in rows] == ["KB/s", "% core", "s", "s"]
    assert rows[0].value > 0 and rows[0].baselines["Textual output"] > 0


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_link_over_ssh_quick(capsys: pytest.CaptureFixture[str]) -> None:
    """Through a private sshd on loopback where one is installed; one clear line where not."""
    rows = ssh_link.run(quick=True, sizes=((80, 24),), links=(256_000,))
    if ssh_link.missing_tools() is not None:
        assert ssh_link.SKIPPED in capsys.readouterr().out
        assert [row.name for row in rows] == ["over ssh: skipped"]
        return
    assert [row.unit for row in rows] == ["KB/s", "s", "s"]
    assert rows[0].value > 0 and rows[0].baselines["Textual output"] > 0
    assert rows[2].value < ssh_link.KEY_CAP  # the tab switch crossed ssh both ways


def test_link_over_ssh_skips_with_a_message_without_sshd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ssh_link.run(quick=True, sshd=tmp_path / "no-sshd")
    assert capsys.readouterr().out.strip() == ssh_link.SKIPPED
    assert [(row.name, row.value) for row in rows] == [("over ssh: skipped", 0.0)]
    assert ssh_link.SKIPPED in rows[0].as_json()["note"]
