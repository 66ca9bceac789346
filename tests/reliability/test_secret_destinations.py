"""The stored secret goes only to the host it was verified with; a hostile .env cannot move it."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from pydantic import SecretStr

from sor_tui.cli import main
from sor_tui.config.credentials import (
    DEFAULT_ID_USER,
    SERVICE,
    CredentialStore,
    UnboundEndpointError,
    resolve_credentials,
)
from sor_tui.config.settings import ENVIRONMENT_URLS, ConfigError, load_settings
from tests.commands.test_login import ThreadedServer
from tests.memory_keyring import MemoryKeyring
from tests.transport.oauth_server import OAuthServer

pytestmark = pytest.mark.timeout(30)

SECRET = "canary-Secret-7f3a"
SANDBOX_WS, SANDBOX_OAUTH = ENVIRONMENT_URLS["sandbox"]


@pytest.fixture
def attacker() -> Iterator[OAuthServer]:
    """A token endpoint that records whatever is posted to it."""
    threaded = ThreadedServer()
    yield threaded.server
    threaded.close()


def memory() -> MemoryKeyring:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    return backend


def keep_legacy_secret() -> None:
    """What an older sor-tui's login left in the keyring: the bare secret."""
    memory().store[(SERVICE, "desk")] = SECRET
    memory().store[(SERVICE, DEFAULT_ID_USER)] = "desk"


def write_env(text: str, mode: int = 0o600) -> Path:
    path = Path(".env")
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_a_dotenv_pointing_elsewhere_gets_no_secret(
    attacker: OAuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A cloned repository's .env, owned by the user as every cloned file is.
    keep_legacy_secret()
    write_env(f"SOR_OAUTH_URL={attacker.url}\nSOR_WS_URL=ws://127.0.0.1:9/\n")
    code = main(["stream", "--duration", "1"])
    err = capsys.readouterr().err
    assert attacker.requests == []
    assert code == 2
    assert "login --oauth-url" in err
    assert SECRET not in err


def test_a_secret_bound_by_login_goes_to_that_host_only(attacker: OAuthServer) -> None:
    store = CredentialStore()
    store.set_secret("desk", SecretStr(SECRET), SANDBOX_OAUTH, SANDBOX_WS)
    store.set_default_client_id("desk")
    assert resolve_credentials(load_settings(), store) is not None
    moved = load_settings(oauth_url=attacker.url, ws_url="ws://127.0.0.1:9/")
    with pytest.raises(UnboundEndpointError) as refused:
        resolve_credentials(moved, store)
    assert "127.0.0.1" in refused.value.message and SECRET not in refused.value.message
    # Another port on the same host is another endpoint too.
    other_port = load_settings(oauth_url="https://oauth.sandbox.paxos.com:8443/oauth2/token")
    with pytest.raises(UnboundEndpointError):
        resolve_credentials(other_port, store)
    # The explicit command-line choice allows it.
    trusted = resolve_credentials(moved, store, trust_endpoint=True)
    assert trusted is not None and trusted.client_secret.get_secret_value() == SECRET


def test_a_legacy_entry_goes_to_the_published_endpoints_only() -> None:
    keep_legacy_secret()
    store = CredentialStore()
    for environment in ("sandbox", "production"):
        creds = resolve_credentials(load_settings(environment=environment), store)
        assert creds is not None and creds.client_secret.get_secret_value() == SECRET
    custom = load_settings(oauth_url="https://oauth.example.com/token")
    with pytest.raises(UnboundEndpointError, match="older sor-tui"):
        resolve_credentials(custom, store)


def test_login_with_an_oauth_url_binds_the_secret_to_it(
    attacker: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws_url = "ws://127.0.0.1:9/"
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    args = ["login", "--oauth-url", attacker.url, "--ws-url", ws_url, "--client-id", "desk"]
    assert main([*args, "--secret-stdin"]) == 0
    store = CredentialStore()
    creds = resolve_credentials(load_settings(oauth_url=attacker.url, ws_url=ws_url), store)
    assert creds is not None
    with pytest.raises(UnboundEndpointError):
        resolve_credentials(load_settings(), store)


@pytest.mark.parametrize("line", ["SOR_OAUTH_URL=https://evil.example/t", "SOR_LOG_FILE=x.log"])
def test_a_dotenv_others_can_write_may_not_choose_destinations(line: str) -> None:
    write_env(line + "\n", mode=0o666)
    with pytest.raises(ConfigError, match="other users can write"):
        load_settings()


def test_a_dotenv_of_another_user_may_not_choose_destinations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_env("SOR_RECORD_DIR=/tmp/elsewhere\n")
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)
    with pytest.raises(ConfigError, match="belongs to user id"):
        load_settings()


def test_a_writable_dotenv_without_destinations_is_still_read() -> None:
    write_env("SOR_MARKETS=ETHUSD\n", mode=0o666)
    assert load_settings().markets == ("ETHUSD",)


def test_the_secret_file_warning_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    write_env(f"SOR_CLIENT_SECRET={SECRET}\nSOR_WS_URL=ws://127.0.0.1:9/\n", mode=0o644)
    main(["stream", "--duration", "0.1", "--oauth-url", "http://127.0.0.1:9/t"])
    err = capsys.readouterr().err
    assert "holds a client secret and other users can read it" in err
    assert SECRET not in err


def test_a_dotenv_in_a_folder_anyone_can_write_may_not_choose_destinations() -> None:
    folder = Path("shared")
    folder.mkdir()
    folder.chmod(0o777)
    os.chdir(folder)
    write_env("SOR_WS_URL=ws://127.0.0.1:9/\n")
    with pytest.raises(ConfigError, match="folder anyone can write to"):
        load_settings()
    Path("..").resolve().joinpath("shared").chmod(0o1777)  # sticky, like /tmp: fine
    assert load_settings().ws_url == "ws://127.0.0.1:9/"
