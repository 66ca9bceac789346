"""The token endpoint: grants, RFC 6749 errors, rate limit with penalty, injected faults."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from sor_tui.sim.config import SOR_SCOPE
from sor_tui.sim.server import Simulator
from tests.sim.conftest import SimFactory, open_ws


def form(sim: Simulator, **overrides: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "scope": SOR_SCOPE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


async def post(sim: Simulator, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5, verify=False, trust_env=False) as http:
        return await http.post(sim.oauth_url, **kwargs)  # type: ignore[arg-type]


async def test_success_returns_opaque_bearer_token(sim: Simulator) -> None:
    first = await post(sim, data=form(sim))
    second = await post(sim, data=form(sim))
    assert first.status_code == 200
    body = first.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == SOR_SCOPE
    assert first.headers["cache-control"] == "no-store"
    assert len(body["access_token"]) >= 32
    assert body["access_token"] != second.json()["access_token"]
    assert sim.stats.token_requests == 2


async def test_basic_auth_and_multipart_are_accepted(sim: Simulator) -> None:
    basic = base64.b64encode(f"{sim.client_id}:{sim.client_secret}".encode()).decode()
    response = await post(
        sim,
        data={"grant_type": "client_credentials", "scope": SOR_SCOPE},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    multipart = await post(sim, files={k: (None, v) for k, v in form(sim).items()})
    assert multipart.status_code == 200, multipart.text


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"client_secret": None}, 401, "invalid_client"),
        ({"scope": "exchange:write_everything"}, 400, "invalid_scope"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
async def test_errors_follow_rfc6749(
    sim: Simulator, overrides: dict[str, str | None], status: int, error: str
) -> None:
    response = await post(sim, data=form(sim, **overrides))
    assert response.status_code == status
    assert response.json()["error"] == error
    assert sim.client_secret not in response.text


async def test_other_paths_and_methods(sim: Simulator) -> None:
    async with httpx.AsyncClient(timeout=5, verify=False, trust_env=False) as http:
        assert (await http.get(sim.oauth_url)).status_code == 405
        assert (await http.post(sim.oauth_url.replace("/oauth2/token", "/x"))).status_code == 404


async def test_rate_limit_429_with_penalty_window(make_sim: SimFactory) -> None:
    sim = await make_sim(token_rate_limit=2, token_rate_window=30.0, token_penalty=0.3)
    statuses = [(await post(sim, data=form(sim))).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    penalised = await post(sim, data=form(sim))
    assert penalised.status_code == 429
    assert int(penalised.headers["retry-after"]) >= 1
    await asyncio.sleep(0.35)
    assert (await post(sim, data=form(sim))).status_code == 200
    assert sim.stats.token_responses[429] == 2


async def test_injected_faults(sim: Simulator) -> None:
    sim.set_scenario("oauth_5xx", status=503, times=2)
    codes = [(await post(sim, data=form(sim))).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    sim.set_scenario("oauth_5xx", False)
    sim.set_scenario("oauth_redirect", location="http://127.0.0.1:9/elsewhere")
    redirect = await post(sim, data=form(sim))
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "http://127.0.0.1:9/elsewhere"
    sim.set_scenario("oauth_redirect", False)
    sim.set_scenario("oauth_429", retry_after="17")
    limited = await post(sim, data=form(sim))
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "17")
    sim.set_scenario("oauth_429", False)
    sim.set_scenario("oauth_slow", delay=0.01)
    slow = await post(sim, data=form(sim))
    assert slow.status_code == 200 and slow.json()["token_type"] == "bearer"
    assert len(await raw_reads(sim)) > 5  # the body really arrives in many small pieces
    assert sim.stats.token_requests == 7


async def raw_reads(sim: Simulator) -> list[bytes]:
    """POST a token request over a raw socket and return the separate reads of the answer."""
    body = "&".join(f"{k}={v}" for k, v in form(sim).items()).encode()
    port = int(sim.oauth_url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    reads = []
    async with asyncio.timeout(10):
        while chunk := await reader.read(65536):
            reads.append(chunk)
    writer.close()
    return reads


async def test_short_lifetime_then_handshake_401(make_sim: SimFactory) -> None:
    sim = await make_sim(token_ttl=1)
    response = await post(sim, data=form(sim))
    assert response.json()["expires_in"] == 1
    token = response.json()["access_token"]
    reader = await open_ws(sim, token)  # valid now
    await reader.ws.close()
    await asyncio.sleep(1.05)
    with pytest.raises(InvalidStatus) as info:
        await connect(sim.ws_url, additional_headers={"Authorization": f"Bearer {token}"})
    assert info.value.response.status_code == 401
