"""One WebSocket connection: its subscriptions and a batching writer with accounting."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from sor_tui.sim.garbage import garbage_cycle

if TYPE_CHECKING:
    from sor_tui.sim.tokens import IssuedToken

log = logging.getLogger("sor_tui.sim.session")

SubKey = tuple[str, str | None]
"""A subscription key: (channel type, market or None for heartbeat)."""

_BATCH = 512


def ws_frame(payload: bytes, binary: bool = False) -> bytes:
    """Build one unfragmented, unmasked server frame (RFC 6455 §5.2) around a payload.

    Built here rather than by the websockets protocol object so that a batch of frames costs
    one join and one write; the connection never fragments or compresses (compression=None).
    """
    size = len(payload)
    opcode = b"\x82" if binary else b"\x81"
    if size < 126:
        return opcode + bytes((size,)) + payload
    if size < 65536:
        return opcode + b"\x7e" + size.to_bytes(2, "big") + payload
    return opcode + b"\x7f" + size.to_bytes(8, "big") + payload


_LOW_WATER = 256 * 1024


class Session:
    """The server side of one client connection."""

    def __init__(
        self,
        connection: ServerConnection,
        token: IssuedToken | None,
        frame_counter: Counter[str],
        max_queue_bytes: int,
    ) -> None:
        self.connection = connection
        self.token = token
        self.subscriptions: dict[SubKey, dict[str, Any] | None] = {}
        """Active subscriptions, in subscription order, with their params as sent."""
        self.closing = False
        self.data_frames = 0
        self.queued_bytes = 0
        self.max_queue_bytes = max_queue_bytes
        self.overflow_code = 1008
        self.drop_after: int | None = None
        self.close_after: tuple[int, int, str] | None = None
        self.garbage_every = 0
        self.garbage: list[Any] = []
        self._garbage_index = 0
        self._frame_counter = frame_counter
        self._queue: deque[bytes] = deque()
        self.compress = False
        """permessage-deflate was negotiated: frames go through websockets, compressed."""
        self._messages: deque[tuple[bytes, bool]] = deque()  # (payload, binary) when compressing
        self._updates: list[bytes] = []
        self._wakeup = asyncio.Event()
        self.drained = asyncio.Event()
        self.drained.set()
        self.update_seen: dict[str, asyncio.Event] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"Session(remote={self.connection.remote_address!r}, subs={len(self.subscriptions)})"

    def set_garbage(self, every: int, kinds: Any) -> None:
        """Inject a garbage frame after every ``every`` data frames (0 = off)."""
        self.garbage = garbage_cycle(kinds) if every else []
        self.garbage_every = int(every)

    def spawn(self, coroutine: Any) -> None:
        """Run a coroutine tied to this session's lifetime."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def send_update(self, data: bytes) -> None:
        """Queue a firehose UPDATE; it is framed with the rest of the round in ``flush``.

        Frame-based faults count every frame, so with one of them armed this is ``send``.
        """
        if self.drop_after is not None or self.close_after is not None or self.garbage_every:
            self.send(data, "UPDATE")
        elif not self.closing:
            self._updates.append(data)

    def flush(self) -> None:
        """Frame and queue the UPDATEs held by ``send_update`` as one write."""
        updates = self._updates
        if not updates:
            return
        self._updates = []
        if self.closing:
            return
        if self.compress:
            for data in updates:
                self._queue_message(data, False, "UPDATE")
            self.data_frames += len(updates)
            return
        # All firehose UPDATEs are 126..65535 bytes (one level of JSON): 16-bit length form;
        # anything else takes ws_frame.
        blob = b"".join(
            [
                b"\x81\x7e" + len(data).to_bytes(2, "big") + data
                if 126 <= len(data) < 65536
                else ws_frame(data)
                for data in updates
            ]
        )
        count = len(updates)
        self._frame_counter["UPDATE"] += count
        self.data_frames += count
        self._enqueue(blob)

    def _enqueue(self, frame: bytes) -> None:
        """Queue framed bytes for the writer; close a consumer that is too far behind."""
        self._queue.append(frame)
        self.queued_bytes += len(frame)
        self._wakeup.set()
        if self.queued_bytes > _LOW_WATER:
            self.drained.clear()
        if self.queued_bytes > self.max_queue_bytes:
            log.info("slow consumer: %d bytes queued, closing", self.queued_bytes)
            self.close(self.overflow_code, "slow consumer")

    def _queue_message(self, data: bytes, binary: bool, kind: str) -> None:
        """Compressing: queue the payload itself; websockets frames and deflates it."""
        self._frame_counter[kind] += 1
        self._messages.append((data, binary))
        self.queued_bytes += len(data)
        self._wakeup.set()

    def send(self, data: bytes, kind: str, binary: bool = False, data_frame: bool = True) -> None:
        """Queue a pre-encoded frame; ``data_frame`` frames count for the frame-based faults."""
        if self.closing:
            return
        self.flush()  # held UPDATEs go first: the order of frames is the order of calls
        if self.closing:
            return
        if self.compress:
            self._queue_message(data, binary, kind)
        else:
            self._frame_counter[kind] += 1
            self._enqueue(ws_frame(data, binary))
        if self.closing:
            return
        if not data_frame:
            return
        self.data_frames += 1
        if self.drop_after is not None and self.data_frames >= self.drop_after:
            self.abort()
        elif self.close_after is not None and self.data_frames >= self.close_after[0]:
            self.close(self.close_after[1], self.close_after[2])
        elif self.garbage_every and self.data_frames % self.garbage_every == 0 and self.garbage:
            frame = self.garbage[self._garbage_index % len(self.garbage)]
            self._garbage_index += 1
            self.send(frame.data, "garbage", binary=frame.binary, data_frame=False)

    def abort(self) -> None:
        """Drop the TCP connection abruptly (no close frame)."""
        self.closing = True
        self._queue.clear()
        self._messages.clear()
        self._updates.clear()
        self.connection.transport.abort()

    def close(self, code: int, reason: str = "") -> None:
        """Close the WebSocket with a code, after what is already written."""
        if self.closing:
            return
        self.closing = True
        self._queue.clear()
        self._updates.clear()
        self.queued_bytes = 0
        self.spawn(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.connection.close(code, reason)

    async def run_writer(self) -> None:
        """Write queued frames in batches, with the connection's flow control."""
        connection = self.connection
        queue = self._queue
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._messages:
                    data, binary = self._messages.popleft()
                    self.queued_bytes = max(0, self.queued_bytes - len(data))
                    await connection.send(data if binary else data.decode("utf-8", "replace"))
                while queue:
                    batch = [queue.popleft() for _ in range(min(len(queue), _BATCH))]
                    payload = b"".join(batch)
                    sent = len(payload)
                    # send_context checks the state and applies flow control (drain) on exit; the
                    # frames are pre-built (see ws_frame), so the whole batch is one write.
                    async with connection.send_context():
                        connection.transport.write(payload)
                    self.queued_bytes = max(0, self.queued_bytes - sent)
                    if self.queued_bytes <= _LOW_WATER:
                        self.drained.set()
        except ConnectionClosed:
            pass
        finally:
            self.closing = True
            self.drained.set()
