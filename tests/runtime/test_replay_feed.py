"""The replay feed: controls, pacing by an injected clock, and the replay TUI."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sor_tui.config.settings import Settings
from sor_tui.core.reasons import NOT_JSON
from sor_tui.core.views import BookStatus
from sor_tui.record.reader import read_recording
from sor_tui.record.replay import Replay
from sor_tui.runtime.clock import FrozenClock
from sor_tui.runtime.replay_feed import ReplayFeed, ReplayFeedSource
from sor_tui.transport.status import Problem, StatusChanged
from sor_tui.ui.replay_app import ReplayApp, make_replay_app
from tests.record.frames import T0, S, write_sample


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "sample.jsonl.gz")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _best_bid(feed: ReplayFeed) -> Decimal | None:
    view = feed.state.book_view("BTCUSD", 5)
    return None if view is None else view.best_bid


async def test_plays_at_speed_by_the_clock_and_seeks_back(sample: Path) -> None:
    clock = FakeClock()
    feed = ReplayFeed(Replay(read_recording(sample)), speed=2.0, tick=0.001, clock=clock)
    events: list[object] = []
    task = asyncio.create_task(feed.run(events.append))
    try:
        await _until(lambda: feed.replay.position >= 1)
        assert feed.replay.position == 1  # only the begin_sync at T0 so far
        clock.now += 0.5  # one recorded second at x2
        await _until(lambda: feed.replay.now_ns >= T0 + S)
        assert _best_bid(feed) == Decimal("100.00")
        clock.now += 1.1  # 2.2 more seconds: the update, a replayed print, the bad frame
        await _until(lambda: feed.replay.now_ns >= T0 + 3 * S + 1)
        assert _best_bid(feed) == Decimal("99.50")
        assert feed.counters.rejects_by_reason == {NOT_JSON: 1}
        assert any(isinstance(e, Problem) and e.source == "frame" for e in events)
        assert feed.toggle_pause()
        clock.now += 10
        await asyncio.sleep(0.01)
        assert feed.replay.now_ns < T0 + 4 * S  # paused: the clock moves, the replay does not
        feed.seek_by(-2.0)  # from T0+3.2s to T0+1.2s: after the snapshot, before the update
        assert _best_bid(feed) == Decimal("100.00") and feed.replay.rebuilds == 1
        assert feed.step(1) == 1 and feed.paused
        feed.seek_to(T0 + 100 * S)  # clamped to the end
        assert feed.replay.at_end and _best_bid(feed) == Decimal("99.75")
        assert "ended" in feed.describe() or "paused" in feed.describe()
        before = feed.state
        feed.request_seek(T0 + 2 * S)  # backwards without blocking: built in a thread
        assert feed.seeking and "seeking" in feed.describe()
        await _until(lambda: feed._rebuild is not None or not feed.seeking)
        feed.request_seek_by(-1)  # counted from where the seek under way will be
        await _until(lambda: not feed.seeking)
        assert feed.state is not before and _best_bid(feed) == Decimal("100")
        feed.request_seek_by(3)  # forwards in chunks on the running loop
        await _until(lambda: not feed.seeking)
        assert feed.replay.now_ns == T0 + 4 * S and _best_bid(feed) == Decimal("99.75")
    finally:
        await feed.stop()
        await asyncio.wait_for(task, 2)
    assert any(isinstance(e, StatusChanged) and "x2" in e.status.detail for e in events)


def test_speed_ladder_and_inert_commands(sample: Path) -> None:
    feed = ReplayFeed(Replay(read_recording(sample)))
    assert feed.faster() == 2.0 and feed.faster() == 5.0
    assert feed.slower() == 2.0
    feed.set_speed(0.1)
    assert feed.slower() == 0.1
    assert feed.subscribe([]) == () and feed.resync("BTCUSD") is False
    assert feed.token_expires_in() is None


async def _until(predicate: object, within: float = 3.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_replay_tui_steps_seeks_and_copies(sample: Path) -> None:
    options: dict[str, Any] = {"markets": ("BTCUSD",), "render_rate": 20}
    settings = Settings(**options)
    source = ReplayFeedSource(sample, paused=True)
    app = make_replay_app(settings, source, clock=FrozenClock())
    assert isinstance(app, ReplayApp)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(lambda: app.replay_feed is not None)
        feed = app.replay_feed
        assert feed is not None and feed.replay.position == 0
        await pilot.press("full_stop", "full_stop")  # begin_sync, then the snapshot
        assert feed.replay.position == 2
        view = feed.state.book_view("BTCUSD", 5)
        assert view is not None and view.status == BookStatus.LIVE
        await pilot.press("c")  # copy the focused book (OSC 52)
        assert app.clipboard.splitlines()[-1] == "bid\t99.5\t2\t3"
        await pilot.press("end")
        await _until(lambda: feed.replay.at_end and not feed.seeking)
        await pilot.press("y")  # copy the tape: two distinct prints
        assert len(app.clipboard.splitlines()) == 3
        await pilot.press("home")  # rebuilt in a thread, then swapped in
        await _until(lambda: not feed.seeking)
        assert app.replay_feed is feed and feed.replay.position == 1  # at T0: begin_sync
        await pilot.pause()
        view = feed.state.book_view("BTCUSD", 5)
        assert view is not None and view.status == BookStatus.SYNCING
        await pilot.press("greater_than_sign")
        assert feed.speed == 2.0
        await pilot.press("space")
        assert not feed.paused
