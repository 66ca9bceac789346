"""End to end: token, handshake, subscribe, SNAPSHOT and UPDATEs, book equals the server's."""

from __future__ import annotations

from sor_tui.sim.server import Simulator
from tests.sim.conftest import BookApplier, channel, is_kind, md, open_ws


async def test_book_after_frames_equals_server_book(sim: Simulator) -> None:
    reader = await open_ws(sim)
    await reader.send({"type": "subscribe", "channels": [md("ETHUSD"), channel("heartbeat", None)]})
    applier = BookApplier("ETHUSD")
    for frame in await reader.until(is_kind("SNAPSHOT", "ETHUSD")):
        applier.feed(frame)
    for frame in await reader.until(
        lambda f: is_kind("UPDATE", "ETHUSD")(f) and applier.snapshots > 0
    ):
        applier.feed(frame)
    sim.pause()
    for frame in await reader.sync():
        applier.feed(frame)
    assert applier.book() == sim.server_book("ETHUSD")
    assert len(applier.bids) >= 250
    await reader.ws.close()
