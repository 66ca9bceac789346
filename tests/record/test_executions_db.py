"""Executions in SQLite: one row per print, across replays, reconnects and sessions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sor_tui.core.events import Execution
from sor_tui.core.numbers import canonical_text
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.reader import read_recording
from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.record.replay import Replay
from tests.record.helpers import recording_feed
from tests.transport.feed_harness import BTC_BOOK, BTC_EXEC, HEARTBEAT, is_live, simulator
from tests.waiting import wait_until

PRINT = Execution("BTCUSD", Decimal("65000.50"), Decimal("0.1000"), 1_772_460_307_000_000_001, "t")


def test_same_print_in_other_decimal_forms_is_stored_once(tmp_path: Path) -> None:
    db = ExecutionsDB(tmp_path / "x.sqlite")
    same = Execution("BTCUSD", Decimal("65000.5"), Decimal("0.1"), PRINT.executed_at_ns, "t")
    other = Execution("BTCUSD", Decimal("65000.5"), Decimal("0.1"), PRINT.executed_at_ns + 1, "u")
    assert db.add([(PRINT, 1)], session="a") == 1
    assert db.add([(same, 2)], session="b") == 0
    assert db.add([(other, 4)]) == 1
    stored = list(db.executions())
    assert [s.execution.executed_at_ns for s in stored] == [
        PRINT.executed_at_ns,
        other.executed_at_ns,
    ]
    assert stored[0].session == "a" and stored[0].received_ns == 1
    assert canonical_text(stored[0].execution.price) == "65000.5"
    assert [s.execution for s in db.executions(start_ns=PRINT.executed_at_ns + 1)] == [other]
    db.close()
    reopened = ExecutionsDB(tmp_path / "x.sqlite")  # survives a reopen, WAL or not
    assert reopened.count() == 2
    assert reopened._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_two_identical_trades_are_both_stored_and_a_second_session_adds_none(
    tmp_path: Path,
) -> None:
    # The tape keeps identical prints outside its replay window: they are two trades.
    db = ExecutionsDB(tmp_path / "x.sqlite")
    assert db.add([(PRINT, 1), (PRINT, 2)], session="live") == 2
    assert db.add([(PRINT, 3)], session="live") == 1
    # The same session stored again (a recording replayed with recording on): nothing new.
    assert db.add([(PRINT, 4), (PRINT, 5), (PRINT, 6)], session="replay") == 0
    assert db.count() == 3
    db.close()


def test_a_file_from_before_occurrence_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE executions (
            market TEXT NOT NULL, price TEXT NOT NULL, amount TEXT NOT NULL,
            executed_at_ns INTEGER NOT NULL, executed_at TEXT NOT NULL,
            received_ns INTEGER NOT NULL, session TEXT NOT NULL DEFAULT '',
            UNIQUE (market, price, amount, executed_at_ns)
        );
        CREATE INDEX executions_by_time ON executions (executed_at_ns);
        """
    )
    old.execute(
        "INSERT INTO executions VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("BTCUSD", "65000.5", "0.1", PRINT.executed_at_ns, "t", 7, "before"),
    )
    old.commit()
    old.close()
    db = ExecutionsDB(path)
    assert [(s.execution, s.received_ns, s.session) for s in db.executions()] == [
        (
            Execution("BTCUSD", Decimal("65000.5"), Decimal("0.1"), PRINT.executed_at_ns, "t"),
            7,
            "before",
        )
    ]
    assert db.add([(PRINT, 8)], session="new") == 0  # the same print, already there
    assert db.add([(PRINT, 9)], session="new") == 1  # a second identical trade
    db.close()
    again = ExecutionsDB(path)  # opening a migrated file again changes nothing
    assert again.count() == 2
    again.close()


async def test_replayed_execution_across_reconnect_is_stored_once(tmp_path: Path) -> None:
    db = ExecutionsDB(tmp_path / "executions.sqlite")
    path = tmp_path / "s.jsonl.gz"
    async with (
        simulator(rate=80.0) as sim,
        recording_feed(sim, (BTC_BOOK, BTC_EXEC, HEARTBEAT), path, db=db) as session,
    ):
        run = session.running
        tape = session.state.tape
        await wait_until(lambda: len(sim.sent_executions("BTCUSD")) >= 3, what="prints")
        # On only now: a replay at the first subscribe would be of a print sent to nobody.
        sim.set_scenario("replay_last_execution")
        sim.pause()
        await wait_until(
            lambda: tape.accepted == len(sim.sent_executions("BTCUSD")), what="caught up"
        )
        sim.drop_connections()
        await wait_until(lambda: run.feed.counters.reconnects == 1, what="loss")
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live again")
        await wait_until(lambda: tape.duplicates_suppressed >= 1, what="the replayed print")
        sent = sim.sent_executions("BTCUSD")
    assert db.count() == len(sent) == tape.accepted
    recording = read_recording(path)
    received = [e for e in recording.entries if e.frame and '"execution_data"' in str(e.frame)]
    assert len(received) > len(sent)  # the replay is in the recording ...
    # ... and replaying the recording with recording on stores nothing new.
    again = Recorder(tmp_path / "again.jsonl.gz", executions_db=db, flush_interval=60)
    replay = Replay(
        recording,
        state_factory=lambda clock: RecordingDeskState(recorder=again, wall_clock_ns=clock),
    )
    replay.step(replay.total)
    again.close()
    assert db.count() == len(sent)
    db.close()
