"""CredentialStore and resolve_credentials with real keyring backends."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.errors import KeyringLocked
from pydantic import SecretStr

from sor_tui.config.credentials import (
    DEFAULT_ID_USER,
    SERVICE,
    CredentialStore,
    CredentialStoreError,
    describe_backend,
    resolve_credentials,
)
from sor_tui.config.secret_binding import decode
from sor_tui.config.settings import ENVIRONMENT_URLS, load_settings
from tests.memory_keyring import MemoryKeyring

SANDBOX_WS, SANDBOX_OAUTH = ENVIRONMENT_URLS["sandbox"]
SANDBOX = (SANDBOX_OAUTH, SANDBOX_WS)
"""(token URL, WebSocket URL) of the default environment."""


def stored_secret(value: str) -> str:
    """The secret inside a keyring value (bound entries carry their endpoints too)."""
    entry = decode(value)
    assert entry is not None
    return entry.secret.get_secret_value()


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's PlaintextKeyring: works, but stores in clear text."""


class LockedKeyring(MemoryKeyring):
    """A keyring whose collection stays locked."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("collection is locked")


def memory() -> MemoryKeyring:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    return backend


def test_set_get_delete_round_trip() -> None:
    store = CredentialStore()
    assert store.get_secret("abc", *SANDBOX) is None
    store.set_secret("abc", SecretStr("s3cret"), *SANDBOX)
    secret = store.get_secret("abc", *SANDBOX)
    assert secret is not None and secret.get_secret_value() == "s3cret"
    assert stored_secret(memory().store[(SERVICE, "abc")]) == "s3cret"
    assert store.delete("abc") is True
    assert store.delete("abc") is False
    assert store.get_secret("abc", *SANDBOX) is None


def test_default_client_id_is_remembered_without_a_secret() -> None:
    store = CredentialStore()
    assert store.default_client_id() is None
    store.set_default_client_id("abc")
    assert store.default_client_id() == "abc"
    assert memory().store == {(SERVICE, DEFAULT_ID_USER): "abc"}
    assert store.clear_default_client_id() is True
    assert store.clear_default_client_id() is False
    assert store.default_client_id() is None


def test_secret_cannot_be_stored_under_the_default_id_user() -> None:
    with pytest.raises(CredentialStoreError):
        CredentialStore().set_secret(DEFAULT_ID_USER, SecretStr("x"), *SANDBOX)


def test_memory_backend_is_usable_and_secure() -> None:
    status = CredentialStore().backend_status()
    assert status.usable and status.secure
    assert "MemoryKeyring" in status.name


def test_fail_backend_gives_advice_not_a_traceback() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = CredentialStore()
    status = store.backend_status()
    assert not status.usable
    assert "SOR_CLIENT_SECRET" in status.advice
    assert "chmod 600" in status.advice
    for call in (
        lambda: store.get_secret("abc", *SANDBOX),
        lambda: store.set_secret("abc", SecretStr("s3cret"), *SANDBOX),
        lambda: store.delete("abc"),
        store.default_client_id,
    ):
        with pytest.raises(CredentialStoreError) as caught:
            call()
        assert "SOR_CLIENT_SECRET" in caught.value.message
        assert "s3cret" not in caught.value.message


def test_null_backend_is_not_usable() -> None:
    status = describe_backend(keyring.backends.null.Keyring())
    assert not status.usable


def test_plaintext_backend_is_flagged_and_refused() -> None:
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    store = CredentialStore()
    status = store.backend_status()
    assert status.usable and not status.secure
    assert "unencrypted" in status.advice
    with pytest.raises(CredentialStoreError, match="Refusing"):
        store.set_secret("abc", SecretStr("s3cret"), *SANDBOX)
    assert backend.store == {}
    store.set_secret("abc", SecretStr("s3cret"), *SANDBOX, allow_insecure=True)
    assert stored_secret(backend.store[(SERVICE, "abc")]) == "s3cret"


def test_keyring_errors_become_store_errors() -> None:
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(CredentialStoreError, match="locked"):
        CredentialStore().get_secret("abc", *SANDBOX)


def test_explicit_backend_wins_over_the_global_one() -> None:
    mine = MemoryKeyring()
    store = CredentialStore(backend=mine)
    store.set_secret("abc", SecretStr("x"), *SANDBOX)
    assert stored_secret(mine.store[(SERVICE, "abc")]) == "x"
    assert memory().store == {}
    assert "x" not in repr(store)


async def test_async_variants_run_the_same_calls() -> None:
    store = CredentialStore()
    await store.aset_secret("abc", SecretStr("s3cret"), *SANDBOX)
    await store.aset_default_client_id("abc")
    assert await store.adefault_client_id() == "abc"
    secret = await store.aget_secret("abc", *SANDBOX)
    assert secret is not None and secret.get_secret_value() == "s3cret"
    assert (await store.abackend_status()).usable
    assert await store.adelete("abc") is True
    assert await store.aclear_default_client_id() is True
    assert await store.adefault_client_id() is None


def test_env_overrides_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    store = CredentialStore()
    store.set_secret("abc", SecretStr("from-keyring"), *SANDBOX)
    store.set_default_client_id("abc")
    monkeypatch.setenv("SOR_CLIENT_ID", "abc")
    monkeypatch.setenv("SOR_CLIENT_SECRET", "from-env")
    creds = resolve_credentials(load_settings(), store)
    assert creds is not None
    assert creds.source == "env"
    assert creds.client_secret.get_secret_value() == "from-env"
    assert "from-env" not in repr(creds)


def test_keyring_used_for_the_configured_id(monkeypatch: pytest.MonkeyPatch) -> None:
    store = CredentialStore()
    store.set_secret("abc", SecretStr("kr"), *SANDBOX)
    store.set_default_client_id("other")
    monkeypatch.setenv("SOR_CLIENT_ID", "abc")
    creds = resolve_credentials(load_settings(), store)
    assert creds is not None
    assert (creds.client_id, creds.source) == ("abc", "keyring")


def test_default_id_used_when_none_is_configured() -> None:
    store = CredentialStore()
    store.set_secret("abc", SecretStr("kr"), *SANDBOX)
    store.set_default_client_id("abc")
    creds = resolve_credentials(load_settings(), store)
    assert creds is not None
    assert creds.client_id == "abc"
    assert creds.client_secret.get_secret_value() == "kr"


def test_env_secret_with_remembered_id(monkeypatch: pytest.MonkeyPatch) -> None:
    store = CredentialStore()
    store.set_default_client_id("abc")
    monkeypatch.setenv("SOR_CLIENT_SECRET", "from-env")
    creds = resolve_credentials(load_settings(), store)
    assert creds is not None and (creds.client_id, creds.source) == ("abc", "env")


def test_incomplete_credentials_are_none(monkeypatch: pytest.MonkeyPatch) -> None:
    store = CredentialStore()
    assert resolve_credentials(load_settings(), store) is None
    monkeypatch.setenv("SOR_CLIENT_ID", "abc")
    assert resolve_credentials(load_settings(), store) is None


def test_env_credentials_work_without_any_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("SOR_CLIENT_ID", "abc")
    monkeypatch.setenv("SOR_CLIENT_SECRET", "from-env")
    creds = resolve_credentials(load_settings(), CredentialStore())
    assert creds is not None and creds.source == "env"
    monkeypatch.delenv("SOR_CLIENT_ID")
    assert resolve_credentials(load_settings(), CredentialStore()) is None


def test_keyring_needed_but_missing_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("SOR_CLIENT_ID", "abc")
    with pytest.raises(CredentialStoreError):
        resolve_credentials(load_settings(), CredentialStore())
