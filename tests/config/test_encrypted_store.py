"""The encrypted credentials file, for real: written, then read by a new process; the
passphrase asked on a real terminal (a pty) by ``sor-tui login``, never read from stdin
behind anyone's back; a wrong passphrase is a clear error."""

from __future__ import annotations

import hashlib
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from keyrings.cryptfile.cryptfile import CryptFileKeyring
from pydantic import SecretStr

from sor_tui.config.credentials import (
    CredentialStoreError,
    StoreLockedError,
    describe_backend,
    open_store,
    resolve_credentials,
)
from sor_tui.config.encrypted_store import EncryptedFileKeyring
from sor_tui.config.settings import ENVIRONMENT_URLS, load_settings
from tests.commands.test_login import ThreadedServer
from tests.transport.oauth_server import OAuthServer

pytestmark = pytest.mark.timeout(90)

SECRET = "canary-Enc-9c1d"
PASSPHRASE = "correct horse battery"
SANDBOX_WS, SANDBOX_OAUTH = ENVIRONMENT_URLS["sandbox"]
NO_KEYRING = "keyring.backends.fail.Keyring"

READ_SCRIPT = """
import hashlib, sys
from pydantic import SecretStr
from sor_tui.config.credentials import CredentialStoreError, open_store, resolve_credentials
from sor_tui.config.settings import load_settings
settings = load_settings(**dict(arg.split("=", 1) for arg in sys.argv[1:]))
store = open_store(settings)
try:
    store.unlock(SecretStr(sys.stdin.readline().rstrip("\\n")))
    creds = resolve_credentials(settings, store)
except CredentialStoreError as error:
    print("ERROR", error.message)
    raise SystemExit(1)
assert creds is not None
digest = hashlib.sha256(creds.client_secret.get_secret_value().encode()).hexdigest()
print("READ", creds.client_id, digest, type(store.encrypted_file).__name__)
"""


@pytest.fixture
def no_desktop_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process and its children see no keyring backend, as on a bare server."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield


@pytest.fixture
def endpoint() -> Iterator[OAuthServer]:
    threaded = ThreadedServer()
    yield threaded.server
    threaded.close()


def read_in_a_new_process(passphrase: str, **settings: str) -> subprocess.CompletedProcess[str]:
    args = [f"{name}={value}" for name, value in settings.items()]
    return subprocess.run(
        [sys.executable, "-c", READ_SCRIPT, *args],
        input=passphrase + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_auto_chooses_the_encrypted_file_without_a_desktop_keyring(
    no_desktop_keyring: None,
) -> None:
    store = open_store(load_settings())
    assert store.encrypted_file is not None
    assert store.backend_status().usable and store.backend_status().secure
    assert store.needs_passphrase()


def test_a_usable_keyring_is_kept_and_the_file_can_be_chosen() -> None:
    assert open_store(load_settings()).encrypted_file is None  # the in-memory keyring
    chosen = open_store(load_settings(credential_store="encrypted-file"))
    assert chosen.encrypted_file is not None


def test_keyrings_that_prompt_on_the_terminal_are_not_used() -> None:
    # keyring's own discovery picks CryptFileKeyring here, which would call getpass.
    status = describe_backend(CryptFileKeyring())
    assert not status.usable
    assert "on the terminal" in status.advice


def test_write_then_read_in_a_new_process(no_desktop_keyring: None) -> None:
    store = open_store(load_settings())
    with pytest.raises(StoreLockedError):
        store.set_secret("desk", SecretStr(SECRET), SANDBOX_OAUTH, SANDBOX_WS)
    store.unlock(SecretStr(PASSPHRASE))
    store.set_secret("desk", SecretStr(SECRET), SANDBOX_OAUTH, SANDBOX_WS)
    store.set_default_client_id("desk")
    file = store.encrypted_file
    assert file is not None
    assert (file.path.stat().st_mode & 0o777, file.path.parent.stat().st_mode & 0o777) == (
        0o600,
        0o700,
    )
    assert SECRET.encode() not in file.path.read_bytes()

    read = read_in_a_new_process(PASSPHRASE)
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    assert read.stdout.split() == ["READ", "desk", digest, "EncryptedFileKeyring"], read.stderr

    wrong = read_in_a_new_process("not the passphrase")
    assert wrong.returncode == 1
    assert wrong.stdout.startswith("ERROR Wrong passphrase for the encrypted credentials file")
    assert "Traceback" not in wrong.stderr and SECRET not in wrong.stdout + wrong.stderr


def test_a_locked_file_is_a_clear_error_not_a_prompt(no_desktop_keyring: None) -> None:
    first = open_store(load_settings())
    first.unlock(SecretStr(PASSPHRASE))
    first.set_default_client_id("desk")
    again = open_store(load_settings())  # a restart: the passphrase is not kept
    with pytest.raises(StoreLockedError, match="enter its passphrase"):
        resolve_credentials(load_settings(), again)
    with pytest.raises(CredentialStoreError, match="Wrong passphrase"):
        again.unlock(SecretStr("nope"))
    assert again.needs_passphrase()


def test_a_damaged_file_is_a_clear_error(no_desktop_keyring: None) -> None:
    store = open_store(load_settings())
    store.unlock(SecretStr(PASSPHRASE))
    store.set_default_client_id("desk")
    file = store.encrypted_file
    assert isinstance(file, EncryptedFileKeyring)
    file.path.write_text("no section header, not an ini file\n", encoding="utf-8")
    with pytest.raises(CredentialStoreError):
        store.default_client_id()


def _answer(fd: int, prompts: list[tuple[str, str]], within: float = 60) -> str:
    """Answer each prompt on the pty as it appears; return everything the command wrote."""
    seen = ""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the command exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        while prompts and prompts[0][0] in seen:
            prompt, answer = prompts.pop(0)
            seen = seen.replace(prompt, f"<{prompt}>", 1)
            os.write(fd, (answer + "\n").encode())
    return seen


def test_login_asks_the_passphrase_on_the_terminal(
    no_desktop_keyring: None, endpoint: OAuthServer
) -> None:
    sor_tui = Path(sys.executable).parent / "sor-tui"
    main_fd, terminal_fd = os.openpty()
    command = [str(sor_tui), "login", "--oauth-url", endpoint.url]
    process = subprocess.Popen(
        command,
        stdin=terminal_fd,
        stdout=terminal_fd,
        stderr=terminal_fd,
        start_new_session=True,
    )
    os.close(terminal_fd)
    try:
        seen = _answer(
            main_fd,
            [
                ("Choose a passphrase for it (not shown): ", PASSPHRASE),
                ("The same passphrase again: ", PASSPHRASE),
                ("Client ID: ", "desk"),
                ("Client secret (not shown): ", SECRET),
            ],
        )
        assert process.wait(30) == 0, seen
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)
    assert PASSPHRASE not in seen and SECRET not in seen  # masked: never echoed
    assert "Secret stored in the keyring (encrypted file" in seen
    read = read_in_a_new_process(PASSPHRASE, oauth_url=endpoint.url, ws_url=SANDBOX_WS)
    assert read.stdout.split()[:2] == ["READ", "desk"], read.stdout + read.stderr
