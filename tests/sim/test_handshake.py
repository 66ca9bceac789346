"""The WebSocket opening handshake: 101, 401, 403, injected 5xx and a hanging upgrade."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from sor_tui.sim.server import Simulator
from tests.sim.conftest import SimFactory, get_token, open_ws
from tests.waiting import wait_until


async def status_of(sim: Simulator, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as info:
        await connect(sim.ws_url, additional_headers=headers or {}, open_timeout=5)
    return info.value.response.status_code, bytes(info.value.response.body or b"")


async def test_valid_token_upgrades(sim: Simulator) -> None:
    reader = await open_ws(sim)
    await sim.wait_for_connections(1)
    assert sim.stats.handshakes[101] == 1
    assert sim.stats.connections_opened == 1
    await reader.ws.close()


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic x"},
    ],
)
async def test_missing_or_unknown_token_is_401_with_empty_body(
    sim: Simulator, headers: dict[str, str] | None
) -> None:
    assert await status_of(sim, headers) == (401, b"")


async def test_scheme_is_case_insensitive(sim: Simulator) -> None:
    token = await get_token(sim)
    ws = await connect(sim.ws_url, additional_headers={"Authorization": f"bearer {token}"})
    await ws.close()


async def test_revoked_and_expired_tokens_are_401(sim: Simulator) -> None:
    token = await get_token(sim)
    sim.revoke_tokens()
    assert (await status_of(sim, {"Authorization": f"Bearer {token}"}))[0] == 401
    fresh = await get_token(sim)
    sim.expire_tokens()
    assert (await status_of(sim, {"Authorization": f"Bearer {fresh}"}))[0] == 401
    assert sim.stats.handshakes[401] == 2


async def test_token_without_sor_scope_is_403(sim: Simulator) -> None:
    sim.add_client("reader", "s3cret", scopes=("funding:read_profile",))
    token = await get_token(sim, "reader", "s3cret", scope="funding:read_profile")
    assert (await status_of(sim, {"Authorization": f"Bearer {token}"}))[0] == 403


async def test_client_not_allow_listed_is_403(sim: Simulator) -> None:
    from sor_tui.sim.config import SOR_SCOPE

    sim.add_client("outsider", "s3cret", scopes=(SOR_SCOPE,), allow_listed=False)
    token = await get_token(sim, "outsider", "s3cret")
    assert (await status_of(sim, {"Authorization": f"Bearer {token}"}))[0] == 403
    assert sim.stats.handshakes[403] == 1


async def test_http_5xx_n_times_then_ok(sim: Simulator) -> None:
    token = await get_token(sim)
    sim.set_scenario("http_5xx", status=502, times=2)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await status_of(sim, headers))[0] == 502
    assert (await status_of(sim, headers))[0] == 502
    reader = await open_ws(sim, token)
    await reader.ws.close()
    sim.set_scenario("http_5xx", status=503)  # unlimited until switched off
    assert (await status_of(sim, headers))[0] == 503
    assert (await status_of(sim, headers))[0] == 503


async def test_handshake_hang_is_bounded_by_the_client_timeout(sim: Simulator) -> None:
    token = await get_token(sim)
    sim.set_scenario("handshake_hang")
    with pytest.raises(TimeoutError):
        await connect(
            sim.ws_url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=0.3
        )
    sim.set_scenario("handshake_hang", False)
    reader = await open_ws(sim, token)
    await reader.ws.close()


async def test_wrong_path_is_404(make_sim: SimFactory) -> None:
    sim = await make_sim()
    token = await get_token(sim)
    with pytest.raises(InvalidStatus) as info:
        await connect(
            sim.ws_url + "marketdata", additional_headers={"Authorization": f"Bearer {token}"}
        )
    assert info.value.response.status_code == 404


async def test_server_pings(make_sim: SimFactory) -> None:
    sim = await make_sim(ping_interval=0.05, ping_timeout=5.0)
    reader = await open_ws(sim, ping_interval=None)
    await sim.wait_for_connections(1)
    server_side = next(iter(sim.sessions)).connection
    await wait_until(lambda: server_side.latency > 0)  # set when the pong comes back
    await reader.ws.close()
