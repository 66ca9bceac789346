"""Run a feed source on its own asyncio loop in a daemon thread.

Why: a busy WebSocket reader processes every buffered frame before it yields, so on the
UI's loop it would starve the frame timer and the keyboard. On its own loop the reader can
be as greedy as it likes; the UI thread takes views under the desk state's lock
(``shared_state``) at its frame rate. The in-process demo simulator runs on that loop too,
off the UI's. The loop is uvloop's where it is installed (not on Windows): the stdlib
loop's cost per wake-up was most of a quiet feed's CPU (figures in bench/README.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from sor_tui.runtime.ports import FeedLike, FeedSource

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def default_loop_factory() -> LoopFactory | None:
    """uvloop's loop when it is installed, else None (asyncio's own loop)."""
    try:
        import uvloop
    except ImportError:  # Windows, or a trimmed install: the stdlib loop works the same
        return None
    factory: LoopFactory = uvloop.new_event_loop
    return factory


class FeedThread:
    """Owns one feed on a private event loop; the UI talks to it only thread-safely."""

    def __init__(
        self,
        source: FeedSource,
        on_event: Callable[[Any], None],
        loop_factory: LoopFactory | None = None,
    ) -> None:
        self.source = source
        self.on_event = on_event
        self.loop_factory = loop_factory or default_loop_factory()
        self.feed: FeedLike | None = None
        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()
        # Settled once the thread is over, the source closed (a recording's last flush
        # written): what quit waits for. Separate from ``done``, which a waiter may cancel.
        self.finished: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested = False
        self._stops: list[concurrent.futures.Future[None]] = []
        self._finished = False
        self._thread = threading.Thread(target=self._run, name="sor-feed", daemon=True)

    @property
    def running(self) -> bool:
        """True until the feed's thread has finished."""
        return not self._finished

    def start(self) -> concurrent.futures.Future[None]:
        """Start the thread; the future completes (or fails) when the feed ends."""
        self._thread.start()
        return self.done

    def _run(self) -> None:
        try:
            with asyncio.Runner(loop_factory=self.loop_factory) as runner:
                runner.run(self._main())
        except BaseException as error:  # delivered to the UI's worker, which reports it
            if not self.done.done():
                self.done.set_exception(error)
        else:
            if not self.done.done():
                self.done.set_result(None)
        finally:
            self._finished = True
            for stopped in self._stops:  # the feed has ended: every stop request is done
                _settle(stopped)
            _settle(self.finished)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            feed = await self.source.open()
            self.feed = feed
            if not self._stop_requested:
                await feed.run(self.on_event)
        finally:
            await self.source.close()

    def call(self, function: Callable[..., Any], *args: Any) -> bool:
        """Run ``function(*args)`` on the feed's loop; False when the feed is not up."""
        loop = self._loop
        if loop is None or loop.is_closed() or self.feed is None:
            return False
        try:
            loop.call_soon_threadsafe(function, *args)
        except RuntimeError:  # the loop closed meanwhile
            return False
        return True

    def request_stop(self) -> concurrent.futures.Future[None] | None:
        """Ask the feed to stop for good; returns a future of that stop, if it is running."""
        self._stop_requested = True
        loop, feed = self._loop, self.feed
        # Not ``self.done``: a cancelled waiter cancels that future while the feed still runs.
        if loop is None or feed is None or loop.is_closed() or self._finished:
            return None
        stopped: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._stops.append(stopped)

        def begin() -> None:
            # The coroutine is created on the feed's loop, so a loop that is already
            # finishing never leaves an un-awaited ``stop()`` behind.
            task = asyncio.ensure_future(feed.stop())
            task.add_done_callback(lambda _: _settle(stopped))

        try:
            loop.call_soon_threadsafe(begin)
        except RuntimeError:  # the loop closed meanwhile
            _settle(stopped)
        return stopped


def _settle(future: concurrent.futures.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
