"""A websockets client connection that reads plain text frames without the generic parser.

The feed's traffic is almost entirely small, unfragmented, unmasked text frames. For those,
``FastConnection`` cuts the frame out of the received bytes itself and hands the reader
whole batches of strings; every other frame (control frames, binary, fragments, anything
malformed, oversized or not valid UTF-8, anything once the connection is no longer OPEN) is
passed whole, in order, to the websockets protocol, which handles it exactly as before.
The batch reader learns about such a frame through a ``None`` placeholder in its batch and
then takes the message with ``recv_handled()``, so messages keep their order. ``recv()`` and
``async for`` work as on any ``ClientConnection`` (``recv_streaming`` does not see the fast
frames: nothing here uses it).

The fast path starts only if the handshake response ended exactly at the end of what was
received, so websockets' own parser is known to be at a frame boundary when it hands over.
"""

from __future__ import annotations

import asyncio

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State
from websockets.typing import Data

_TEXT_FIN = 0x81  # FIN set, no RSV bits, opcode TEXT
_HIGH_WATER = 8192  # frames waiting for the reader before reading from the socket pauses

__all__ = ["FastConnection"]


class FastConnection(ClientConnection):
    """``ClientConnection`` with a batch reader for plain text frames (``recv_batch``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fast = False
        """True once frames are cut out here (after a handshake that ended cleanly)."""
        self._handshake = bytearray()
        self._buffer = bytearray()
        self._ready: list[str | None] = []
        self._offset = 0  # recv() hands out self._ready one by one from here
        self._waiter: asyncio.Future[None] | None = None
        self._lost = False
        self._fragmented = False  # websockets is in the middle of a fragmented message
        self._paused = False
        self._refused = False  # a frame was refused from its header: websockets from now on

    # -- reader side ---------------------------------------------------------------------

    async def recv_batch(self) -> list[str | None]:
        """Every message received so far, in order (waits for at least one).

        A ``None`` stands for a message handled by websockets: take it with
        ``recv_handled()``. At the end of the connection the batch is ``[None]``, whose
        ``recv_handled()`` raises ``ConnectionClosed``.
        """
        while not self._ready:
            if self._lost or not self.fast or self._refused:
                return [None]
            await self._wait()
        batch = self._ready[self._offset :] if self._offset else self._ready
        self._taken()
        return batch

    async def recv_handled(self, decode: bool | None = None) -> Data:
        """The next message that websockets handled (for a ``None`` of a batch)."""
        return await super().recv(decode)

    async def recv(self, decode: bool | None = None) -> Data:  # type: ignore[override]
        """``ClientConnection.recv`` with the fast frames included, in order."""
        while True:
            ready = self._ready
            if ready:
                item = ready[self._offset]
                if item is None:
                    # Consumed only once websockets returns it: cancelling stays safe.
                    message = await super().recv(decode)
                    self._advance()
                    return message
                self._advance()
                return item.encode() if decode is False else item
            if self._lost or not self.fast or self._refused:
                return await super().recv(decode)
            await self._wait()

    async def linger(self, seconds: float) -> None:
        """Leave the socket unread for ``seconds`` so that the next batch is larger.

        For a busy feed: each wake-up of the loop costs far more than a frame, and frames
        arriving meanwhile wait in the kernel's buffer, in order. Nothing is skipped.
        """
        if self._lost or self._paused:
            await asyncio.sleep(seconds)
            return
        self._paused = True
        self.transport.pause_reading()
        try:
            await asyncio.sleep(seconds)
        finally:
            if self._paused and not self._lost:
                self._paused = False
                self.transport.resume_reading()

    def _advance(self) -> None:
        self._offset += 1
        if self._offset >= len(self._ready):
            self._taken()

    def _taken(self) -> None:
        """Everything ready was handed out: start a new list, resume reading if paused."""
        self._ready = []
        self._offset = 0
        if self._paused:
            self._paused = False
            self.transport.resume_reading()

    async def _wait(self) -> None:
        waiter = self.loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- protocol side -------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        """Cut plain text frames out of ``data``; give everything else to websockets."""
        if not self.fast or self._refused:
            self._before_fast(data)
            return
        buffer = self._buffer
        buffer += data
        size = len(buffer)
        ready = self._ready
        append = ready.append
        max_size = self.protocol.max_message_size
        limit = (1 << 64) if max_size is None else max_size
        plain = self._plain()
        pos = 0
        before = len(ready)
        oversize = False
        while size - pos >= 2:
            second = buffer[pos + 1]
            if second == 126:  # the usual UPDATE: unmasked, 16-bit length
                if size - pos < 4:
                    break
                length = buffer[pos + 2] << 8 | buffer[pos + 3]
                head = 4
            elif second < 126:
                length = second
                head = 2
            else:
                length = second & 0x7F
                head = 2
                if length == 126:
                    if size - pos < 4:
                        break
                    length = buffer[pos + 2] << 8 | buffer[pos + 3]
                    head = 4
                elif length == 127:
                    if size - pos < 10:
                        break
                    length = int.from_bytes(buffer[pos + 2 : pos + 10], "big")
                    head = 10
                if second & 0x80:
                    head += 4  # masked (a protocol error from a server): websockets fails it
            end = pos + head + length
            if length > limit:
                oversize = True  # refuse it from its header, never buffer it whole
                break
            if end > size:
                break
            first = buffer[pos]
            if first == _TEXT_FIN and plain and second < 128 and length <= limit:
                try:
                    append(buffer[pos + head : end].decode("utf-8"))
                    pos = end
                    continue
                except UnicodeDecodeError:
                    pass  # websockets fails the connection with 1007, as it always did
            self._to_websockets(first, bytes(buffer[pos:end]))
            plain = self._plain()
            pos = end
        if pos:
            del buffer[:pos]
        if oversize:
            # A hostile length (up to 2**63) would otherwise grow the buffer without bound:
            # hand everything to websockets from here on, which fails it with 1009 at once.
            self._refused = True
            rest = bytes(buffer)
            buffer.clear()
            ready.append(None)
            super().data_received(rest)
            self._wake()
            return
        if len(ready) != before:
            self._wake()
            if len(ready) > _HIGH_WATER and not self._paused:
                self._paused = True
                self.transport.pause_reading()

    def _plain(self) -> bool:
        """Whether the next text frame may take the fast path (OPEN, not amid fragments)."""
        return self.protocol.state is State.OPEN and not self._fragmented

    def _to_websockets(self, first: int, frame: bytes) -> None:
        """Hand one whole frame to websockets; note where its message falls in the order."""
        opcode = first & 0x0F
        if opcode in (0, 1, 2) and self.protocol.state is State.OPEN:
            if first & 0x80:
                self._ready.append(None)  # a message completes here (or the frame fails)
                self._fragmented = False
            else:
                self._fragmented = True
        super().data_received(frame)
        self._wake()

    def _before_fast(self, data: bytes) -> None:
        """Handshake: let websockets parse; go fast only if the response ended the data."""
        connecting = self.protocol.state is State.CONNECTING
        if connecting:
            self._handshake += data
        super().data_received(data)
        if connecting and self.protocol.state is State.OPEN:
            end = self._handshake.find(b"\r\n\r\n")
            self.fast = end != -1 and end + 4 == len(self._handshake)
            self._handshake = bytearray()

    def eof_received(self) -> None:
        """A partial frame left at EOF goes to websockets so it reports it as before."""
        if self.fast and self._buffer:
            leftover = bytes(self._buffer)
            self._buffer.clear()
            super().data_received(leftover)
        super().eof_received()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake the reader so it sees the end through ``recv()``."""
        self._lost = True
        super().connection_lost(exc)
        self._wake()
