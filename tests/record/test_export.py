"""Export of executions and book views at chosen times, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sor_tui.cli import main
from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.export import book_text, parse_time, tape_text
from sor_tui.record.reader import read_recording
from sor_tui.record.replay import Replay
from tests.record.frames import T0, S, execution, write_sample


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "sample.jsonl.gz")


def test_executions_csv_dedupes_the_replayed_print(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    assert main(["export", str(sample), "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text().splitlines() == [
        "market,price,amount,executed_at,executed_at_ns",
        f"BTCUSD,100.5,0.1,{format_rfc3339_ns(T0 + S)},{T0 + S}",
        f"BTCUSD,100.5,0.2,{format_rfc3339_ns(T0 + 2 * S)},{T0 + 2 * S}",
    ]


def test_executions_jsonl_from_the_sqlite_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sor_tui.core.events import Execution
    from sor_tui.core.protocol import decode

    db = ExecutionsDB(tmp_path / "executions.sqlite")
    printed = decode(execution(T0, "65000.10", "1.50"))
    assert isinstance(printed, Execution)
    db.add([(printed, T0 + 5)])
    db.close()
    assert main(["export", str(tmp_path / "executions.sqlite"), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "market": "BTCUSD",
            "price": "65000.1",
            "amount": "1.5",
            "executed_at": format_rfc3339_ns(T0),
            "executed_at_ns": T0,
        }
    ]


def test_books_at_chosen_times_csv(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.csv"
    args = ["export", str(sample), "--what", "books", "--at", "+1", "--at", str(T0 + 2 * S)]
    assert main([*args, "-o", str(out)]) == 0
    rows = out.read_text().splitlines()
    at1, at2 = format_rfc3339_ns(T0 + S), format_rfc3339_ns(T0 + 2 * S)
    assert rows == [
        "at,at_ns,market,status,side,level,price,amount,cumulative",
        f"{at1},{T0 + S},BTCUSD,LIVE,bid,1,100,1,1",
        f"{at1},{T0 + S},BTCUSD,LIVE,bid,2,99.5,2,3",
        f"{at1},{T0 + S},BTCUSD,LIVE,ask,1,101,3,3",
        f"{at2},{T0 + 2 * S},BTCUSD,LIVE,bid,1,99.5,2,2",
        f"{at2},{T0 + 2 * S},BTCUSD,LIVE,ask,1,100.5,4,4",
        f"{at2},{T0 + 2 * S},BTCUSD,LIVE,ask,2,101,3,7",
    ]


def test_books_jsonl_at_end(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(sample), "--what", "books", "--format", "jsonl"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["at_ns"] == T0 + 4 * S and row["status"] == "LIVE"
    assert row["bids"] == [["99.75", "5"], ["99.5", "2"]]
    assert row["asks"] == [["100.5", "4"], ["101", "3"]]
    assert row["best_bid"] == "99.75" and row["spread"] == "0.75"


def test_bad_input_is_reported(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(sample), "--what", "books", "--at", "yesterday"]) == 2
    assert "not a time" in capsys.readouterr().err
    junk = tmp_path / "junk.jsonl"
    junk.write_text("\x1b]0;evil\x07 hello\n")
    assert main(["export", str(junk)]) == 2
    assert "\x1b" not in capsys.readouterr().err


def test_parse_time_forms() -> None:
    assert parse_time("start", 10, 20) == 10
    assert parse_time("end", 10, 20) == 20
    assert parse_time("+1.5", 10, 20) == 10 + 1_500_000_000
    assert parse_time(format_rfc3339_ns(T0), 0, 0) == T0
    with pytest.raises(ValueError):
        parse_time("+-1", 0, 0)


def test_copy_text_of_book_and_tape(sample: Path) -> None:
    replay = Replay(read_recording(sample))
    replay.step(replay.total)
    view = replay.state.book_view("BTCUSD", 10)
    assert view is not None
    text = book_text(view)
    assert text.splitlines()[2:] == [
        "ask\t101\t3\t7",
        "ask\t100.5\t4\t4",
        "bid\t99.75\t5\t5",
        "bid\t99.5\t2\t7",
    ]
    tape = tape_text(replay.state.tape_view(10)).splitlines()
    assert len(tape) == 3 and tape[1].endswith("\tBTCUSD\t100.5\t0.2")


def test_a_formula_market_is_inert_in_csv_and_copies(tmp_path: Path) -> None:
    from sor_tui.core.events import Execution
    from sor_tui.core.protocol import decode
    from sor_tui.record.export import write_executions

    frame = execution(T0, "1", "1").replace('"BTCUSD"', '"=HYPERLINK(1)"')
    printed = decode(frame)
    assert isinstance(printed, Execution) and printed.market == "=HYPERLINK(1)"
    out = tmp_path / "x.csv"
    with open(out, "w", encoding="utf-8", newline="") as handle:
        write_executions([printed], "csv", handle)
    assert out.read_text().splitlines()[1].startswith("'=HYPERLINK(1),1,1,")


def test_replay_command_rejects_a_file_that_is_not_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.jsonl.gz"
    junk.write_bytes(b"\x1f\x8b not gzip at all")
    assert main(["replay", str(junk)]) == 2
    assert main(["replay", str(tmp_path / "missing.jsonl.gz")]) == 2
    assert main(["replay", str(write_sample(tmp_path / "s.jsonl.gz")), "--speed", "0"]) == 2
    assert "sor-tui replay:" in capsys.readouterr().err
