"""Record-test helpers: a feed with a raw-frame hook, a recorded simulator session."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from sor_tui.core.events import Channel
from sor_tui.core.views import BookView, TapeView
from sor_tui.record.executions_db import ExecutionsDB
from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from tests.transport.feed_harness import FAST, Running

FULL = 1_000_000


class _HookedConnection:
    """Forwards everything to the real connection and reports each received frame."""

    def __init__(self, ws: Any, hook: Callable[[str | bytes, int], None]) -> None:
        self._ws = ws
        self._hook = hook

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[str | bytes]:
        async for frame in self._ws:
            self._hook(frame, time.time_ns())
            yield frame

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


class HookedFeed(Feed):
    """The real Feed with the raw-frame hook the recorder needs (see the record report).

    Until ``Feed`` grows an ``on_frame`` parameter, the hook is added by wrapping the
    connection it opens; everything else is the production feed.
    """

    async def _open(self, token: Any) -> Any:
        ws = await super()._open(token)
        state = self.state
        assert isinstance(state, RecordingDeskState)
        return _HookedConnection(ws, state.frame)


@dataclass
class Checkpoint:
    """What the live desk showed after ``entries`` recorded entries."""

    entries: int
    books: dict[str, BookView | None]
    tape: TapeView


@dataclass
class Session:
    """A recording feed against the simulator."""

    running: Running
    recorder: Recorder
    state: RecordingDeskState
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def checkpoint(self, markets: Iterable[str]) -> Checkpoint:
        """Capture the live views now (synchronously, so frames and views agree)."""
        point = Checkpoint(
            self.recorder.entries_written,
            {m: self.state.book_view(m, FULL) for m in markets},
            self.state.tape_view(500),
        )
        self.checkpoints.append(point)
        return point


@asynccontextmanager
async def recording_feed(
    sim: Any,
    desired: Iterable[Channel],
    path: Path,
    *,
    db: ExecutionsDB | None = None,
    client_secret: str | None = None,
) -> AsyncIterator[Session]:
    """Run a recording feed against ``sim``; stops the feed and closes the recorder."""
    import asyncio

    recorder = Recorder(
        path, ws_url=sim.ws_url, markets=["BTCUSD", "ETHUSD"], executions_db=db, flush_interval=0.1
    )
    state = RecordingDeskState(recorder=recorder)
    tokens = TokenProvider(
        sim.oauth_url,
        sim.client_id,
        SecretStr(client_secret or sim.client_secret),
        deadline=3.0,
        backoff_base=0.02,
        backoff_cap=0.1,
    )
    feed = HookedFeed(sim.ws_url, tokens, desired, options=FAST, state=state)
    events: list[Any] = []
    task = asyncio.create_task(feed.run(events.append))
    session = Session(Running(feed, tokens, task, events), recorder, state)
    try:
        yield session
    finally:
        await asyncio.wait_for(feed.stop(), 3)
        await asyncio.wait({task}, timeout=3)
        assert task.done(), "feed did not stop"
        if not task.cancelled():
            task.result()
        await tokens.aclose()
        recorder.close()
