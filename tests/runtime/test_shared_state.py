"""The feed thread writes the desk state a batch at a time while the UI thread reads views,
both under the state's one lock."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from sor_tui.core.events import BookSnapshot, BookUpdate, Execution, PriceLevel
from sor_tui.core.state import DeskState
from sor_tui.record.live import LiveRecording
from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.runtime.shared_state import new_state_lock
from tests.transport.feed_harness import is_live, running_feed, simulator
from tests.waiting import wait_until

T0 = 1_772_460_307_000_000_000


def test_views_stay_consistent_while_another_thread_applies_updates() -> None:
    state, lock = DeskState(), new_state_lock()
    state.begin_sync("BTCUSD")
    bids = tuple(PriceLevel(Decimal(65000 - i), Decimal(1)) for i in range(50))
    asks = tuple(PriceLevel(Decimal(65001 + i), Decimal(1)) for i in range(50))
    state.apply(BookSnapshot("BTCUSD", T0, "", bids, asks), T0)
    done = threading.Event()

    def writer() -> None:
        for first in range(1, 3001, 50):  # a batch of frames at a time, as the reader does
            with lock:
                for n in range(first, first + 50):
                    price = Decimal(64990 - n % 40)
                    level = PriceLevel(price, Decimal(n % 3))
                    state.apply(BookUpdate("BTCUSD", T0 + n, "", (level,), ()), T0 + n)
                    if n % 10 == 0:
                        state.apply(Execution("BTCUSD", price, Decimal(1), T0 + n, ""), T0 + n)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    seen = 0
    while not done.is_set() or reads == 0:
        with lock:  # one hold for a frame's reads, as the desk does
            view = state.book_view("BTCUSD", 25)
            assert view is not None
            prices = [level.price for level in view.bids]
            assert prices == sorted(prices, reverse=True)  # never a half-applied book
            seen += len(state.drain_new_executions())
            state.tape_view(50)
        reads += 1
    thread.join(timeout=10)
    seen += len(state.drain_new_executions())
    assert seen == 300  # every execution exactly once across threads


def _taken_elsewhere(lock: Any) -> bool:
    """Whether another thread holds ``lock`` (tried from a new thread, never blocking)."""
    found: list[bool] = []

    def attempt() -> None:
        got = lock.acquire(False)
        if got:
            lock.release()
        found.append(not got)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return found[0]


async def test_the_feed_holds_the_state_lock_while_it_records_and_applies_frames() -> None:
    lock = new_state_lock()
    held: list[bool] = []

    def probe(frame: str | bytes, received_ns: int) -> None:
        if len(held) < 40:
            held.append(_taken_elsewhere(lock))

    async with simulator(rate=200.0) as sim, running_feed(sim, on_frame=probe, lock=lock) as run:
        await wait_until(lambda: len(held) >= 40 and is_live(run, "BTCUSD"), what="frames")
    assert held == [True] * 40
    assert not _taken_elsewhere(lock)  # and gives it back between batches


def test_the_recording_switch_holds_the_state_lock(tmp_path: Path) -> None:
    lock = new_state_lock()
    held: list[bool] = []

    class Probed(RecordingDeskState):
        def start_recording(self, recorder: Recorder) -> None:
            held.append(_taken_elsewhere(lock))
            super().start_recording(recorder)

        def stop_recording(self) -> Recorder | None:
            held.append(_taken_elsewhere(lock))
            return super().stop_recording()

    live = LiveRecording(Probed(), tmp_path / "rec", lock=lock)
    live.start()
    assert live.active
    assert live.stop() is not None
    assert held == [True, True]
