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


async def test_stop_leaves_no_task_behind() -> None:
    import asyncio

    from websockets.asyncio.client import connect

    from sor_tui.sim.config import SimConfig
    from tests.sim.conftest import get_token

    before = asyncio.all_tasks()
    async with Simulator(SimConfig(rate=50.0, heartbeat_interval=0.05)) as sim:
        reader = await open_ws(sim)
        await reader.send({"type": "subscribe", "channels": [md(), channel("heartbeat", None)]})
        await reader.until(is_kind("SNAPSHOT"))
        sim.set_scenario("drop", every=10.0)
        sim.set_scenario("handshake_hang")
        token = await get_token(sim)
        hanging = asyncio.ensure_future(
            connect(sim.ws_url, additional_headers={"Authorization": f"Bearer {token}"})
        )
        await asyncio.sleep(0.05)
    assert asyncio.all_tasks() - before - {hanging} == set()
    hanging.cancel()
    await asyncio.gather(hanging, return_exceptions=True)
    await reader.ws.close()
