"""The session's read loop: frames off the connection, decoded and handled in order.

With a ``FastConnection`` the loop takes whole batches of text frames (one await per
batch); with a plain websockets connection it reads frame by frame. Either way every event
goes to the session's one handler, whose first branch is the book UPDATE (the bulk of the
traffic).
The desk state's lock is held for a whole batch (released only around an await), so the
state's readers on other threads see every batch whole and the lock is taken once a batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from websockets.asyncio.client import ClientConnection

from sor_tui.core.events import ServerEvent
from sor_tui.core.protocol import decode
from sor_tui.transport.fastframes import FastConnection

LINGER_FROM = 16
"""A batch of at least this many frames means a busy feed: linger before the next read."""
LINGER_UNTIL = 512
"""From this many frames the reader is behind (or on a firehose): read again at once."""
LINGER_SECONDS = 0.002
"""How long the socket is left unread then (adds at most this to a frame's latency; at 50k
msgs/s it turns ~15k small reads a second into ~500 large ones)."""

if TYPE_CHECKING:
    from sor_tui.transport.metrics import Metrics


class StateLock(Protocol):
    """The desk state's lock (``threading.RLock``): taken per batch by the reader."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock."""
        ...

    def release(self) -> None:
        """Give it back."""
        ...

    def __enter__(self) -> bool:
        """Take the lock for a ``with`` block."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Give it back at the end of the block."""
        ...


async def read_frames(
    ws: ClientConnection,
    *,
    max_bytes: int,
    metrics: Metrics,
    handle: Callable[[ServerEvent, int], None],
    ended: Callable[[], bool],
    lock: StateLock,
    on_frame: Callable[[str | bytes, int], None] | None = None,
) -> None:
    """Read until the connection ends (``ConnectionClosed``) or ``ended()`` turns true.

    ``handle(event, received_ns)`` handles every event, in order.
    ``on_frame(frame, received_ns)`` sees every raw frame first, in order (the recorder).
    Both run with ``lock`` held.
    """
    if not isinstance(ws, FastConnection):
        async for frame in ws:
            metrics.frame()
            received_ns = time.time_ns()
            lock.acquire()
            try:
                if on_frame is not None:
                    on_frame(frame, received_ns)
                handle(decode(frame, max_bytes=max_bytes), received_ns)
            finally:
                lock.release()
            if ended():
                return
        return
    while True:
        # One await per batch of frames, not per frame; None marks a message that
        # websockets handled (control frames, fragments, anything unusual).
        batch = await ws.recv_batch()
        received_ns = time.time_ns()
        metrics.frame(len(batch) - batch.count(None))
        lock.acquire()
        try:
            for text in batch:
                if text is None:
                    lock.release()  # never held across an await
                    try:
                        frame = await ws.recv_handled()
                    finally:
                        lock.acquire()
                    metrics.frame()
                    handled_ns = time.time_ns()
                    if on_frame is not None:
                        on_frame(frame, handled_ns)
                    handle(decode(frame, max_bytes=max_bytes), handled_ns)
                else:
                    if on_frame is not None:
                        on_frame(text, received_ns)
                    handle(decode(text, max_bytes=max_bytes), received_ns)
                if ended():
                    return
        finally:
            lock.release()
        if LINGER_FROM <= len(batch) < LINGER_UNTIL and not ended():
            await ws.linger(LINGER_SECONDS)
