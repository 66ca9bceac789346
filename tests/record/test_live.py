"""Switching recording on mid-session: the replay starts from the books as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sor_tui.config.settings import Settings
from sor_tui.core.views import BookView
from sor_tui.record.live import LiveRecording
from sor_tui.record.reader import read_recording
from sor_tui.record.replay import Replay
from tests.record.helpers import FULL, recording_feed
from tests.transport.feed_harness import BTC_BOOK, BTC_EXEC, HEARTBEAT, is_live, simulator
from tests.waiting import wait_until


def _levels(view: BookView | None) -> object:
    assert view is not None
    return (
        view.status,
        [(lv.price, lv.amount, lv.cumulative) for lv in view.bids],
        [(lv.price, lv.amount, lv.cumulative) for lv in view.asks],
    )


async def test_toggle_mid_session_records_a_replayable_file(tmp_path: Path) -> None:
    options: dict[str, Any] = {"record_dir": tmp_path / "recordings", "markets": ("BTCUSD",)}
    settings = Settings(**options)
    async with (
        simulator(rate=80.0) as sim,
        recording_feed(
            sim, (BTC_BOOK, BTC_EXEC, HEARTBEAT), tmp_path / "unused.jsonl.gz"
        ) as session,
    ):
        state, run = session.state, session.running
        session.recorder.close()
        state.stop_recording()  # start like a desk with recording off
        live = LiveRecording(
            state, settings.recordings_path, ws_url=sim.ws_url, markets=settings.markets
        )
        assert not live.active
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        updates = state.counters().get("updates_applied", 0)
        message = live.toggle()
        path = live.path
        assert path is not None and live.active and str(path) in message
        assert path.parent == tmp_path / "recordings"
        await wait_until(
            lambda: state.counters().get("updates_applied", 0) > updates + 20, what="updates"
        )
        await wait_until(lambda: state.tape.accepted >= 1, what="a print")
        entries = state.recorder.entries_written if state.recorder else 0
        expected = _levels(state.book_view("BTCUSD", FULL))
        assert live.toggle().startswith("Recording stopped")
        assert not live.active and live.stop() is None
    recording = read_recording(path)
    assert recording.entries[0].mark == "begin_sync"
    assert recording.entries[1].synthetic
    replay = Replay(recording)
    replay.seek_position(entries)
    assert _levels(replay.state.book_view("BTCUSD", FULL)) == expected
    assert (tmp_path / "recordings" / "executions.sqlite").exists()
