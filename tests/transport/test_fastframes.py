"""FastConnection (our text-frame fast path) must behave exactly like plain websockets.

A raw loopback server does the handshake by hand and then writes a scripted byte stream in
random chunk sizes; the same stream is read by the fast connection and by websockets'
own ``ClientConnection``. The messages, their order and how the connection ends must match.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from sor_tui.transport.fastframes import FastConnection
from tests.transport.feed_harness import (
    BTC_BOOK,
    HEARTBEAT,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_SIZE = 100_000


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, mask: bool = False
) -> bytes:
    """One server frame built by hand (optionally malformed: masked, RSV bits)."""
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    size = len(payload)
    mask_bit = 0x80 if mask else 0
    if size < 126:
        head = bytes((first, mask_bit | size))
    elif size < 65536:
        head = bytes((first, mask_bit | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, mask_bit | 127)) + size.to_bytes(8, "big")
    if mask:
        key = b"\x01\x02\x03\x04"
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


def text(value: str) -> bytes:
    """A plain text frame."""
    return frame(1, value.encode())


def close(code: int = 1000, reason: str = "") -> bytes:
    """A close frame."""
    return frame(8, code.to_bytes(2, "big") + reason.encode())


MANY = b"".join(text(f'{{"n":{i},"pad":"{"x" * (i % 300)}"}}') for i in range(400))

SCRIPTS: dict[str, bytes] = {
    "plain": MANY + close(),
    "sizes": text("") + text("a" * 125) + text("b" * 126) + text("é" * 40_000) + close(1001, "bye"),
    "ping and pong": text("1") + frame(9, b"hi") + text("2") + frame(10, b"x") + close(),
    "fragmented": text("a")
    + frame(1, b"he", fin=False)
    + frame(9, b"p")
    + frame(0, b"ll", fin=False)
    + frame(0, b"o", fin=True)
    + text("b")
    + close(),
    "binary": text("a") + frame(2, b"\x00\x01") + text("b") + close(),
    "bad utf-8": text("a") + frame(1, b"\xff\xfe") + text("never"),
    "masked": text("a") + frame(1, b"masked", mask=True) + text("never"),
    "rsv bits": text("a") + frame(1, b"rsv", rsv=4) + text("never"),
    "too big": text("a") + text("z" * (MAX_SIZE + 1)) + text("never"),
    "stray continuation": text("a") + frame(0, b"cont") + text("never"),
    "text inside fragments": text("a") + frame(1, b"x", fin=False) + text("y") + text("never"),
    "eof mid-frame": MANY + text("cut off")[:5],
    # A hostile 2**62-byte length: refused from the header, never buffered (memory stays flat).
    "hostile length": text("a") + bytes((0x81, 127)) + (1 << 62).to_bytes(8, "big") + b"x" * 9000,
}


async def serve_script(
    script: bytes,
    seed: int,
    with_handshake_tail: int,
    *,
    hang_up: bool = False,
    linger: float = 5.0,
) -> tuple[str, asyncio.Server]:
    """A server that answers the handshake and writes ``script`` in random chunks."""
    rng = random.Random(seed)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        # Some runs glue the first bytes of the stream to the handshake response.
        writer.write(response + script[:with_handshake_tail])
        # Like the real server, stream only after the client's first request, so the
        # client read the response alone (fast path on) unless a tail was glued to it.
        await reader.readexactly(2 + 4 + 2)  # the masked 2-byte text frame "go"
        pos = with_handshake_tail
        while pos < len(script):
            step = rng.choice((1, 2, 3, 7, 64, 1000, 5000, 70_000))
            writer.write(script[pos : pos + step])
            pos += step
            await writer.drain()
            if rng.random() < 0.3:
                await asyncio.sleep(0)
        if hang_up:
            writer.close()
            return
        try:
            await asyncio.wait_for(reader.read(65536), linger)
        except (TimeoutError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return f"ws://127.0.0.1:{port}/", server


async def read_all(
    url: str, factory: type[ClientConnection], batches: bool = True
) -> tuple[list[str | bytes], str, bool]:
    """Every message until the end, and how the connection ended."""
    messages: list[str | bytes] = []
    async with connect(
        url, max_size=MAX_SIZE, create_connection=factory, close_timeout=0.5, ping_interval=None
    ) as ws:
        await ws.send("go")
        try:
            if isinstance(ws, FastConnection) and batches:
                while True:
                    for item in await ws.recv_batch():
                        messages.append(await ws.recv_handled() if item is None else item)
            else:
                while True:
                    messages.append(await ws.recv())
        except ConnectionClosed as exc:
            rcvd, sent = exc.rcvd, exc.sent
            ending = (
                f"{type(exc).__name__} rcvd={rcvd and (rcvd.code, rcvd.reason)} "
                f"sent={sent and sent.code}"
            )
    return messages, ending, isinstance(ws, FastConnection) and ws.fast


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_fast_connection_matches_websockets(name: str) -> None:
    script = SCRIPTS[name]
    for seed in range(3):
        tail = 0 if seed < 2 else 3  # seed 2: stream bytes arrive with the handshake
        results = []
        for factory, batches in (
            (ClientConnection, False),
            (FastConnection, True),
            (FastConnection, False),
        ):
            # The hostile length is never completed: a client that buffers it waits forever.
            linger = 30.0 if name == "hostile length" else 5.0
            url, server = await serve_script(
                script, seed, tail, hang_up=name.startswith("eof"), linger=linger
            )
            async with server:
                results.append(await asyncio.wait_for(read_all(url, factory, batches), 10))
        plain, fast, fast_recv = results
        assert fast[:2] == plain[:2], f"{name} seed {seed}"
        assert fast_recv == fast, "recv() on the fast connection sees the same, in order"
        assert plain[0], "every script delivers at least one message"
        assert fast[2] == (tail == 0), "fast path on exactly when the handshake ended alone"


async def test_fast_path_is_used_after_a_clean_handshake() -> None:
    url, server = await serve_script(text("a") + close(), 0, 0)
    async with server, connect(url, create_connection=FastConnection) as ws:
        assert isinstance(ws, FastConnection)
        await ws.send("go")
        assert await ws.recv_batch() == ["a"]
        assert ws.fast


async def test_recv_and_async_for_see_fast_frames() -> None:
    script = text("a") + frame(9, b"ping") + text("b") + frame(2, b"\x01") + text("c") + close()
    url, server = await serve_script(script, 0, 0)
    async with server, connect(url, create_connection=FastConnection) as ws:
        await ws.send("go")
        assert await ws.recv(decode=False) == b"a"
        assert [message async for message in ws] == ["b", b"\x01", "c"]


async def test_feed_on_the_firehose_takes_the_fast_path_and_keeps_the_book() -> None:
    async with (
        simulator(firehose=True, markets=("BTCUSD",)) as sim,
        running_feed(sim, (BTC_BOOK, HEARTBEAT)) as run,
    ):
        await wait_until(lambda: run.feed.counters.messages > 3000, what="firehose traffic")
        session = run.feed._session
        assert session is not None
        assert isinstance(session.ws, FastConnection) and session.ws.fast
        await settle_and_compare(sim, run, "BTCUSD")
        assert run.feed.counters.frames_dropped == 0
        assert run.feed.counters.reconnects == 0


async def test_linger_leaves_frames_in_the_socket_and_loses_none() -> None:
    messages = [f"update {i}" for i in range(3000)]
    script = b"".join(text(m) for m in messages) + close()
    url, server = await serve_script(script, 1, 0)
    got: list[str | bytes] = []
    paused = 0
    async with server, connect(url, create_connection=FastConnection, ping_interval=None) as ws:
        await ws.send("go")
        with pytest.raises(ConnectionClosed):
            while True:
                for item in await ws.recv_batch():
                    got.append(await ws.recv_handled() if item is None else item)
                lingering = asyncio.ensure_future(ws.linger(0.005))
                await asyncio.sleep(0)
                paused += not ws.transport.is_reading()  # the socket is left unread
                await lingering
                assert ws.transport.is_reading() or ws._lost
    assert got == messages  # every frame, in order
    assert paused > 0


async def test_a_busy_feed_lingers_between_batches_and_keeps_the_book() -> None:
    # 40k UPDATEs/s in bursts (the simulator writes each step's frames at once): busy, not
    # a firehose (whose batches are so large that the reader reads again at once).
    async with (
        simulator(fast_steps=True, rate=40_000, markets=("BTCUSD",)) as sim,
        running_feed(sim, (BTC_BOOK, HEARTBEAT)) as run,
    ):
        await wait_until(lambda: run.feed._session is not None, what="a session")
        session = run.feed._session
        assert session is not None and isinstance(session.ws, FastConnection)
        calls: list[float] = []
        linger = session.ws.linger

        async def counted(seconds: float) -> None:
            calls.append(seconds)
            await linger(seconds)

        session.ws.linger = counted  # type: ignore[method-assign]
        await wait_until(lambda: len(calls) > 20, what="lingering reads")
        await settle_and_compare(sim, run, "BTCUSD")
        assert run.feed.counters.frames_dropped == 0
