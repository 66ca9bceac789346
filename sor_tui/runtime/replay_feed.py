"""A feed that plays a recording at a chosen speed, with pause, step and seek.

It has the shape the desk expects of a live feed (``state``, ``status``, ``counters``,
``run(on_event)``, ``stop()``), so ``sor-tui replay`` uses the same app and widgets as live.
Subscribing does nothing: a recording holds what was subscribed when it was made.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sor_tui.core.events import Channel, Rejected, ServerEvent
from sor_tui.core.sanitize import sanitize
from sor_tui.core.state import DeskState
from sor_tui.record.reader import read_recording
from sor_tui.record.replay import Replay
from sor_tui.transport.status import (
    FeedCounters,
    FeedEvent,
    FeedState,
    FeedStatus,
    Problem,
    StatusChanged,
)

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 100.0)
MAX_PER_TICK = 20_000  # entries applied per tick at most, so the UI stays responsive
_NS = 1_000_000_000


class ReplayFeed:
    """Plays a ``Replay`` against the wall clock; every control is safe at any time."""

    def __init__(
        self,
        replay: Replay,
        *,
        speed: float = 1.0,
        paused: bool = False,
        tick: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replay = replay
        self.speed = max(0.01, speed)
        self.paused = paused
        self._tick = tick
        self._clock = clock
        self._on_event: Callable[[FeedEvent], None] | None = None
        self._stopping = asyncio.Event()
        self._last_status: FeedStatus | None = None
        self._quiet = False  # a seek re-applies many entries: the desk needs only the result
        self._rejects: dict[str, int] = {}
        self._target: int | None = None  # a requested seek not yet reached
        self._rebuild: asyncio.Future[Replay] | None = None  # a backwards seek, in a thread
        self._rebuild_at: int | None = None  # where that rebuild will be
        replay.on_event = self._applied
        self._lock = threading.RLock()  # held per tick while the replay applies events

    def __repr__(self) -> str:
        return f"ReplayFeed(position={self.replay.position}/{self.replay.total})"

    # -- what the desk reads -------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The state's lock: held per tick of replay, and by the UI while it reads."""
        return self._lock

    @property
    def state(self) -> DeskState:
        """The replayed desk state (a new object after a backwards seek)."""
        return self.replay.state

    @property
    def status(self) -> FeedStatus:
        """Where the replay is, as a feed status line."""
        return FeedStatus(FeedState.CONNECTED, self.describe(), since=self._clock())

    @property
    def counters(self) -> FeedCounters:
        """Frames applied so far and rejects by reason."""
        return FeedCounters(
            messages=self.replay.position,
            frames_dropped=sum(self._rejects.values()),
            rejects_by_reason=dict(self._rejects),
        )

    def describe(self) -> str:
        """``replay 12.3 s / 60.0 s x2 paused`` style progress text."""
        replay = self.replay
        done = (replay.now_ns - replay.start_ns) / _NS
        total = (replay.end_ns - replay.start_ns) / _NS
        state = "paused" if self.paused else "ended" if replay.at_end else "playing"
        if self.seeking:
            state = "seeking"
        return f"replay {done:.1f} s / {total:.1f} s x{self.speed:g} {state}"

    def token_expires_in(self) -> float | None:
        """No token in a replay."""
        return None

    # -- controls --------------------------------------------------------------------------

    def toggle_pause(self) -> bool:
        """Pause or resume; returns whether paused now."""
        self.paused = not self.paused
        self._publish()
        return self.paused

    def step(self, count: int = 1) -> int:
        """Pause and apply the next ``count`` entries."""
        self.paused = True
        with self._lock:
            applied = self.replay.step(count)
        self._publish()
        return applied

    def set_speed(self, speed: float) -> None:
        """Play at ``speed`` times real time."""
        self.speed = max(0.01, speed)
        self._publish()

    def faster(self) -> float:
        """The next speed up the ladder."""
        self.set_speed(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))
        return self.speed

    def slower(self) -> float:
        """The next speed down the ladder."""
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))
        return self.speed

    def seek_to(self, t_ns: int) -> None:
        """Show the state at recording time ``t_ns`` (clamped to the recording)."""
        replay = self.replay
        self._quiet = True
        try:
            with self._lock:
                replay.seek(min(max(t_ns, replay.start_ns), replay.end_ns))
        finally:
            self._quiet = False
        self._publish()

    def seek_by(self, seconds: float) -> None:
        """Move ``seconds`` forwards or backwards in recording time."""
        self.seek_to(self.replay.now_ns + int(seconds * _NS))

    @property
    def seeking(self) -> bool:
        """Whether a requested seek is still under way."""
        return self._target is not None or self._rebuild is not None

    def request_seek(self, t_ns: int) -> None:
        """Seek without blocking: forwards in chunks per tick, backwards built in a thread."""
        replay = self.replay
        self._target = min(max(t_ns, replay.start_ns), replay.end_ns)
        self._publish()

    def request_seek_by(self, seconds: float) -> None:
        """Seek ``seconds`` from where the replay is (or from a seek still under way)."""
        base = self._target if self._target is not None else self._rebuild_at
        self.request_seek((self.replay.now_ns if base is None else base) + int(seconds * _NS))

    # -- the desk's feed commands (a recording cannot change what it holds) --------------

    def subscribe(self, channels: Iterable[Channel]) -> tuple[Channel, ...]:
        """Nothing to subscribe to in a recording."""
        return ()

    def unsubscribe(self, channels: Iterable[Channel]) -> tuple[Channel, ...]:
        """Nothing to unsubscribe from in a recording."""
        return ()

    def resync(self, market: str) -> bool:
        """A recording cannot be resynced."""
        return False

    def refresh_subscription_list(self) -> None:
        """Nothing to refresh."""

    # -- running ---------------------------------------------------------------------------

    async def run(self, on_event: Callable[[FeedEvent], None] | None = None) -> None:
        """Advance with the wall clock (times the speed) until ``stop()``."""
        self._on_event = on_event
        self._publish()
        last = self._clock()
        try:
            while not self._stopping.is_set():
                try:
                    await asyncio.wait_for(self._stopping.wait(), self._tick)
                except TimeoutError:
                    pass
                now = self._clock()
                elapsed, last = now - last, now
                with self._lock:
                    swapped = self._advance(elapsed)
                if swapped:
                    last = self._clock()  # a rebuild took a while: do not jump ahead by it
                self._publish()
        finally:
            if self._rebuild is not None:
                self._rebuild.cancel()
        self._emit(StatusChanged(FeedStatus(FeedState.STOPPED, "replay stopped")))

    def _advance(self, elapsed: float) -> bool:
        """One tick of work; True when a rebuilt replay was swapped in."""
        rebuild = self._rebuild
        if rebuild is not None:
            if not rebuild.done():
                return False
            self._rebuild = self._rebuild_at = None
            fresh = rebuild.result()
            fresh.on_event = self._applied
            self.replay = fresh
            return True
        replay = self.replay
        target = self._target
        if target is not None and target < replay.now_ns:
            self._target, self._rebuild_at = None, target
            self._rebuild = asyncio.ensure_future(asyncio.to_thread(replay.clone_at, target))
        elif target is not None:
            self._quiet = True
            try:
                replay.play_until(target, MAX_PER_TICK)
            finally:
                self._quiet = False
            if replay.reached(target):
                self._target = None
        elif not self.paused and not replay.at_end:
            replay.play_until(replay.now_ns + int(elapsed * self.speed * _NS), MAX_PER_TICK)
        return False

    async def stop(self) -> None:
        """End ``run()``."""
        self._stopping.set()

    def _applied(self, event: ServerEvent) -> None:
        if self._quiet:
            return
        if isinstance(event, Rejected):
            self._rejects[event.reason] = self._rejects.get(event.reason, 0) + 1
            text = sanitize(f"frame rejected: {event.detail or event.reason}")
            self._emit(Problem("frame", event.reason, text, event.market))
        self._emit(event)

    def _publish(self) -> None:
        status = FeedStatus(FeedState.CONNECTED, self.describe())
        if self._last_status is None or status.detail != self._last_status.detail:
            self._last_status = status
            self._emit(StatusChanged(status))

    def _emit(self, event: Any) -> None:
        if self._on_event is not None:
            self._on_event(event)


class ReplayFeedSource:
    """Opens a recording as the desk's feed source (the ``FeedSource`` protocol)."""

    environment = "replay"

    def __init__(self, path: Path, *, speed: float = 1.0, paused: bool = False) -> None:
        self.path = path
        self.speed = speed
        self.paused = paused
        self.feed: ReplayFeed | None = None

    def __repr__(self) -> str:
        return f"ReplayFeedSource(path={str(self.path)!r})"

    async def open(self) -> ReplayFeed:
        """Read the recording (in a thread: it may be large) and build the feed."""
        recording = await asyncio.to_thread(read_recording, self.path)
        self.feed = ReplayFeed(Replay(recording), speed=self.speed, paused=self.paused)
        return self.feed

    async def close(self) -> None:
        """Nothing to release."""
