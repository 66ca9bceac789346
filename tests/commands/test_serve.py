"""``sor-tui serve`` at the HTTP level: the token, the cookie, the origin and the password."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.commands.serve_harness import SECRET_CANARY, served

pytestmark = pytest.mark.timeout(60)


def _client(**options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False, timeout=10, follow_redirects=False, **options)  # type: ignore[arg-type]


async def test_nothing_is_served_without_the_token() -> None:
    async with served("--demo") as server, _client() as http:
        for path in ("/", "/ws", "/static/js/textual.js", "/download/x"):
            response = await http.get(server.base + path)
            assert response.status_code == 403, path
            assert "access token" in response.text
        wrong = await http.get(server.base + "/?token=" + "x" * len(server.token))
        assert wrong.status_code == 403
        unicode = await http.get(server.base + "/?token=\u00e9t\u00e9")
        assert unicode.status_code == 403


async def test_the_token_becomes_a_strict_cookie_and_the_page_holds_no_secret() -> None:
    async with served("--demo") as server, _client() as http:
        entered = await http.get(server.url + "&fontsize=14")
        assert entered.status_code == 302
        assert entered.headers["location"] == "/?fontsize=14"  # the token left the URL
        cookie = entered.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and server.token in cookie
        page = await http.get(server.base + "/")
        assert page.status_code == 200 and "textual-terminal" in page.text
        assert SECRET_CANARY not in page.text and server.token not in page.text
        assert f'data-session-websocket-url="ws://{server.base[7:]}/ws"' in page.text
        script = await http.get(server.base + "/static/js/textual.js")
        assert script.status_code == 200 and SECRET_CANARY not in script.text
        # Another site's page cannot open the desk's WebSocket with the browser's cookie.
        foreign = await http.get(
            server.base + "/ws",
            headers={
                "Origin": "http://evil.example",
                "Connection": "Upgrade",
                "Upgrade": "websocket",
            },
        )
        assert foreign.status_code == 403


async def test_a_password_is_asked_when_one_is_set() -> None:
    password = "correct horse battery"
    async with served("--demo", env={"SOR_SERVE_PASSWORD": password}) as server:
        async with _client() as http:
            refused = await http.get(server.url)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Basic")
        async with _client(auth=("desk", "not it at all")) as http:
            assert (await http.get(server.url)).status_code == 401
        async with _client(auth=("desk", password)) as http:
            assert (await http.get(server.url)).status_code == 302
            assert (await http.get(server.base + "/")).status_code == 200


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sor_tui", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def test_another_address_needs_the_flag_and_a_password() -> None:
    refused = _serve("--host", "192.0.2.10")
    assert refused.returncode == 2 and "--allow-remote" in refused.stderr
    no_password = _serve("--host", "192.0.2.10", "--allow-remote")
    assert no_password.returncode == 2 and "needs a password" in no_password.stderr
    env = {**os.environ, "SOR_SERVE_PASSWORD": "short"}
    weak = _serve("--host", "192.0.2.10", "--allow-remote", env=env)
    assert weak.returncode == 2 and "12 characters" in weak.stderr
    env["SOR_SERVE_PASSWORD"] = "a long enough password"
    # 192.0.2.0/24 is documentation space: not this machine, so listening fails cleanly.
    unbound = _serve("--host", "192.0.2.10", "--allow-remote", "--port", "0", env=env)
    assert unbound.returncode == 2 and "cannot listen on 192.0.2.10" in unbound.stderr
    assert "Traceback" not in unbound.stderr
