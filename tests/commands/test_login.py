"""``sor-tui login`` / ``logout`` end to end against a loopback token endpoint."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator

import keyring
import keyring.backends.fail
import pytest
from pydantic import SecretStr

from sor_tui.cli import main
from sor_tui.config.credentials import DEFAULT_ID_USER, SERVICE, CredentialStore
from sor_tui.sim.config import SimConfig
from sor_tui.sim.server import Simulator
from tests.config.test_credentials import SANDBOX, PlaintextKeyring, stored_secret
from tests.memory_keyring import MemoryKeyring
from tests.transport.oauth_server import OAuthServer, Reply

pytestmark = pytest.mark.timeout(30)

SECRET = "pa55/w0rd+x"


class ThreadedServer:
    """Runs an ``OAuthServer`` on its own event loop, since ``run`` calls ``asyncio.run``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = OAuthServer()
        self._call(self.server.start())

    def _call(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)  # type: ignore[arg-type]

    def close(self) -> None:
        self._call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def endpoint() -> Iterator[OAuthServer]:
    threaded = ThreadedServer()
    yield threaded.server
    threaded.close()


def memory() -> MemoryKeyring:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    return backend


def login(monkeypatch: pytest.MonkeyPatch, url: str, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["login", "--oauth-url", url, *args])


def test_interactive_login_verifies_then_stores(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or SECRET)
    code = login(monkeypatch, endpoint.url, stdin="my-client\n")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert prompts == ["Client secret (not shown): "]
    assert endpoint.requests[0].form["client_id"] == "my-client"
    assert endpoint.requests[0].form["client_secret"] == SECRET
    assert stored_secret(memory().store[(SERVICE, "my-client")]) == SECRET
    assert memory().store[(SERVICE, DEFAULT_ID_USER)] == "my-client"
    assert "Logged in as my-client" in out
    assert SECRET not in out + err


def test_prompt_defaults_to_the_remembered_client_id(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    CredentialStore().set_default_client_id("remembered")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": SECRET)
    assert login(monkeypatch, endpoint.url, stdin="\n") == 0
    assert endpoint.requests[0].form["client_id"] == "remembered"


def test_non_interactive_login_reads_the_secret_from_stdin(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_getpass(prompt: str = "") -> str:
        raise AssertionError("getpass must not be called")

    monkeypatch.setattr("getpass.getpass", no_getpass)
    code = login(
        monkeypatch, endpoint.url, "--client-id", "ci", "--secret-stdin", stdin=SECRET + "\n"
    )
    assert code == 0
    assert stored_secret(memory().store[(SERVICE, "ci")]) == SECRET


def test_rejected_credentials_are_explained_and_not_stored(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.script(Reply(401, {"error": "invalid_client", "error_description": "no such client"}))
    code = login(monkeypatch, endpoint.url, "--client-id", "ci", "--secret-stdin", stdin=SECRET)
    out, err = capsys.readouterr()
    assert code == 1
    assert "rejected" in err and "Nothing was stored" in err
    assert "Traceback" not in err
    assert SECRET not in out + err
    assert memory().store == {}


def test_secret_stdin_without_client_id_is_an_error(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert login(monkeypatch, endpoint.url, "--secret-stdin", stdin=SECRET) == 1
    assert "--client-id" in capsys.readouterr().err
    assert endpoint.requests == []


def test_empty_secret_is_refused(endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert login(monkeypatch, endpoint.url, "--client-id", "ci", "--secret-stdin") == 1
    assert endpoint.requests == []


def test_no_keyring_is_a_clear_error(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("SOR_CREDENTIAL_STORE", "keyring")  # explicitly no encrypted file
    code = login(monkeypatch, endpoint.url, "--client-id", "ci", "--secret-stdin", stdin=SECRET)
    err = capsys.readouterr().err
    assert code == 1
    assert "no usable keyring" in err and "SOR_CLIENT_SECRET" in err
    assert "Traceback" not in err
    assert endpoint.requests == []  # refused before asking the endpoint
    assert main(["logout", "--client-id", "ci"]) == 1
    assert "no usable keyring" in capsys.readouterr().err


def test_plaintext_keyring_needs_explicit_consent(
    endpoint: OAuthServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("SOR_CREDENTIAL_STORE", "keyring")  # explicitly no encrypted file
    assert (
        login(monkeypatch, endpoint.url, "--client-id", "ci", "--secret-stdin", stdin=SECRET) == 1
    )
    assert "--allow-insecure-keyring" in capsys.readouterr().err
    code = login(
        monkeypatch,
        endpoint.url,
        "--client-id",
        "ci",
        "--secret-stdin",
        "--allow-insecure-keyring",
        stdin=SECRET,
    )
    assert code == 0
    assert stored_secret(backend.store[(SERVICE, "ci")]) == SECRET


def test_clear_text_url_to_a_remote_host_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = login(monkeypatch, "http://example.com/token", "--client-id", "ci", "--secret-stdin")
    assert code == 1
    assert "SOR_OAUTH_URL" in capsys.readouterr().err


def test_logout_deletes_secret_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    store = CredentialStore()
    store.set_secret("ci", SecretStr(SECRET), *SANDBOX)
    store.set_default_client_id("ci")
    assert main(["logout"]) == 0
    assert memory().store == {}
    assert "Deleted the stored secret of ci" in capsys.readouterr().out
    assert main(["logout"]) == 0
    assert "No stored credentials" in capsys.readouterr().out


async def test_login_against_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Simulator(SimConfig()) as sim:
        monkeypatch.setattr("sys.stdin", io.StringIO(sim.client_secret + "\n"))
        args = ["login", "--oauth-url", sim.oauth_url, "--client-id", sim.client_id]
        # login runs its own event loop (asyncio.run), so it gets a thread of its own.
        assert await asyncio.to_thread(main, [*args, "--secret-stdin"]) == 0
    assert stored_secret(memory().store[(SERVICE, sim.client_id)]) == sim.client_secret
