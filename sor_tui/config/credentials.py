"""Client credentials: the keyring (service ``sor-tui``, user = client id) or the environment.

Keyring calls can block (a D-Bus unlock prompt, say), so code on the event loop uses the
``a*`` variants, which run the call in a thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError
from pydantic import SecretStr

from sor_tui.config import paths
from sor_tui.config.encrypted_store import (
    EncryptedFileKeyring,
    PassphraseNeededError,
    WrongPassphraseError,
)
from sor_tui.config.secret_binding import StoredSecret, decode, encode
from sor_tui.config.settings import Settings

SERVICE = "sor-tui"
DEFAULT_ID_USER = "__default_client_id__"
"""The keyring user name under which the default client id (not a secret) is kept."""

INSECURE_ADVICE = (
    "Safer options: sor-tui's own encrypted credentials file (SOR_CREDENTIAL_STORE="
    "encrypted-file, or auto), an encrypted keyring backend (GNOME Keyring/KWallet via "
    "SecretService, macOS Keychain, Windows Credential Locker), or SOR_CLIENT_ID and "
    "SOR_CLIENT_SECRET in the environment or in a .env file readable only by you "
    "(chmod 600 .env)."
)
_PLAINTEXT_MARKERS = ("plaintext", "unencrypted", "uncrypted")


class CredentialStoreError(Exception):
    """A keyring problem, with a message (and advice) fit to show the user; never a secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnboundEndpointError(CredentialStoreError):
    """The stored secret was verified with other endpoints than the configured ones."""


class StoreLockedError(CredentialStoreError):
    """The encrypted credentials file needs its passphrase first."""


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """What the active keyring backend is and whether it is fit to hold a secret."""

    name: str
    usable: bool
    secure: bool
    advice: str


@dataclass(frozen=True, slots=True)
class Credentials:
    """A client id and secret, and where they came from."""

    client_id: str
    client_secret: SecretStr
    source: Literal["env", "keyring"]


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_plaintext(backend: object) -> bool:
    name = _backend_name(backend).lower()
    if "encrypted" in name.replace("unencrypted", ""):
        return False
    return any(marker in name for marker in _PLAINTEXT_MARKERS)


def _prompts_on_the_terminal(backend: object) -> bool:
    # keyrings.alt's and keyrings.cryptfile's encrypted files call getpass when locked.
    module = type(backend).__module__
    return module.startswith(("keyrings.alt", "keyrings.cryptfile")) and not _is_plaintext(backend)


def describe_backend(backend: KeyringBackend) -> BackendStatus:
    """Classify a keyring backend: unusable (fail), insecure (plaintext) or fine."""
    name = _backend_name(backend)
    if isinstance(backend, keyring.backends.fail.Keyring):
        return BackendStatus(
            name,
            usable=False,
            secure=False,
            advice="No keyring backend is available on this system. " + INSECURE_ADVICE,
        )
    if isinstance(backend, keyring.backends.null.Keyring):
        return BackendStatus(
            name,
            usable=False,
            secure=False,
            advice="The keyring is disabled (null backend): nothing can be stored. "
            + INSECURE_ADVICE,
        )
    if isinstance(backend, EncryptedFileKeyring):
        return BackendStatus(f"encrypted file {backend.path}", usable=True, secure=True, advice="")
    if _prompts_on_the_terminal(backend):
        return BackendStatus(
            name,
            usable=False,
            secure=False,
            advice=f"The keyring backend {name} asks for its passphrase on the terminal, "
            "behind the app. sor-tui keeps its own encrypted credentials file instead "
            "(SOR_CREDENTIAL_STORE=encrypted-file).",
        )
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        # A chainer writes to its highest-priority member: judge that one.
        members = list(backend.backends)
        if not members:
            return BackendStatus(
                name, False, False, "No keyring backend is available. " + INSECURE_ADVICE
            )
        inner = describe_backend(members[0])
        return BackendStatus(f"{name} ({inner.name})", inner.usable, inner.secure, inner.advice)
    if _is_plaintext(backend):
        return BackendStatus(
            name,
            usable=True,
            secure=False,
            advice=f"The keyring backend {name} stores secrets unencrypted on disk. "
            + INSECURE_ADVICE,
        )
    return BackendStatus(name, usable=True, secure=True, advice="")


class CredentialStore:
    """Client secrets in the system keyring, under ``service`` with the client id as user."""

    def __init__(self, service: str = SERVICE, backend: KeyringBackend | None = None) -> None:
        self.service = service
        self._backend = backend

    def __repr__(self) -> str:
        return f"CredentialStore(service={self.service!r})"

    def _keyring(self) -> KeyringBackend:
        # Looked up per call so a backend set later (keyring.set_keyring) is honoured.
        return self._backend if self._backend is not None else keyring.get_keyring()

    def backend_status(self) -> BackendStatus:
        """Describe the active backend, with advice when it is missing or insecure."""
        try:
            return describe_backend(self._keyring())
        except Exception as exc:  # keyring's backend discovery can fail in many ways
            return BackendStatus(
                type(exc).__name__, False, False, "The keyring could not start. " + INSECURE_ADVICE
            )

    def _call(self, action: str, method: str, *args: Any) -> Any:
        backend = self._keyring()
        status = describe_backend(backend)
        if not status.usable:
            raise CredentialStoreError(f"Cannot {action}: {status.advice}")
        try:
            return getattr(backend, method)(*args)
        except PasswordDeleteError:
            raise
        except PassphraseNeededError as exc:
            raise StoreLockedError(str(exc)) from None
        except WrongPassphraseError as exc:
            raise CredentialStoreError(str(exc)) from None
        except NoKeyringError:
            raise CredentialStoreError(f"Cannot {action}: {status.advice}") from None
        except KeyringError as exc:
            # keyring's messages name the backend and the problem, never the password.
            detail = str(exc) or type(exc).__name__
            raise CredentialStoreError(f"Cannot {action}: keyring error: {detail}") from None

    @property
    def encrypted_file(self) -> EncryptedFileKeyring | None:
        """The encrypted credentials file, when that is the store in use."""
        backend = self._backend
        return backend if isinstance(backend, EncryptedFileKeyring) else None

    def needs_passphrase(self) -> bool:
        """Whether the encrypted file must be unlocked (or created) before use."""
        file = self.encrypted_file
        return file is not None and file.locked

    def unlock(self, passphrase: SecretStr) -> None:
        """Open (or create) the encrypted credentials file with ``passphrase``."""
        file = self.encrypted_file
        if file is None:
            return
        try:
            file.unlock(passphrase.get_secret_value())
        except (WrongPassphraseError, PassphraseNeededError) as exc:
            raise CredentialStoreError(str(exc)) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise CredentialStoreError(f"Cannot open {file.path}: {reason}") from None

    async def aunlock(self, passphrase: SecretStr) -> None:
        """``unlock`` in a thread (the key derivation takes a moment on purpose)."""
        await asyncio.to_thread(self.unlock, passphrase)

    def get_stored(self, client_id: str) -> StoredSecret | None:
        """The stored entry for ``client_id`` with the endpoints it is bound to, or None."""
        value = self._call("read the keyring", "get_password", self.service, client_id)
        if not value:
            return None
        stored = decode(value)
        if stored is None:
            raise CredentialStoreError(
                f"The keyring entry of {client_id} is damaged; run 'sor-tui login' again."
            )
        return stored

    def get_secret(
        self, client_id: str, token_url: str, ws_url: str, *, trust_endpoint: bool = False
    ) -> SecretStr | None:
        """The stored secret for ``client_id`` if it may go to these URLs; None if none.

        Raises ``UnboundEndpointError`` when the secret was verified with other endpoints,
        unless ``trust_endpoint`` (an explicit command-line choice) says to send it anyway.
        """
        stored = self.get_stored(client_id)
        if stored is None:
            return None
        if not trust_endpoint and not stored.allows(token_url, ws_url):
            raise UnboundEndpointError(stored.refusal(client_id, token_url, ws_url))
        return stored.secret

    def set_secret(
        self,
        client_id: str,
        secret: SecretStr,
        token_url: str,
        ws_url: str,
        *,
        allow_insecure: bool = False,
    ) -> None:
        """Store the secret for ``client_id``, bound to these URLs' origins.

        Refuses a plaintext backend unless allowed.
        """
        if not client_id or client_id == DEFAULT_ID_USER:
            raise CredentialStoreError("Cannot store a secret without a valid client id.")
        status = self.backend_status()
        if status.usable and not status.secure and not allow_insecure:
            raise CredentialStoreError(f"Refusing to store the secret. {status.advice}")
        self._call(
            "write to the keyring",
            "set_password",
            self.service,
            client_id,
            encode(secret, token_url, ws_url),
        )

    def delete(self, client_id: str) -> bool:
        """Delete the secret for ``client_id``; False if there was none."""
        try:
            self._call("delete from the keyring", "delete_password", self.service, client_id)
        except PasswordDeleteError:
            return False
        return True

    def default_client_id(self) -> str | None:
        """The client id remembered by the last login, or None."""
        value = self._call("read the keyring", "get_password", self.service, DEFAULT_ID_USER)
        return value or None

    def set_default_client_id(self, client_id: str) -> None:
        """Remember ``client_id`` as the one to use when none is configured (not a secret)."""
        self._call("write to the keyring", "set_password", self.service, DEFAULT_ID_USER, client_id)

    def clear_default_client_id(self) -> bool:
        """Forget the remembered client id; False if none was remembered."""
        try:
            self._call("delete from the keyring", "delete_password", self.service, DEFAULT_ID_USER)
        except PasswordDeleteError:
            return False
        return True

    async def abackend_status(self) -> BackendStatus:
        """``backend_status`` in a thread."""
        return await asyncio.to_thread(self.backend_status)

    async def aget_secret(self, client_id: str, token_url: str, ws_url: str) -> SecretStr | None:
        """``get_secret`` in a thread."""
        return await asyncio.to_thread(self.get_secret, client_id, token_url, ws_url)

    async def aset_secret(
        self,
        client_id: str,
        secret: SecretStr,
        token_url: str,
        ws_url: str,
        *,
        allow_insecure: bool = False,
    ) -> None:
        """``set_secret`` in a thread."""
        await asyncio.to_thread(
            self.set_secret, client_id, secret, token_url, ws_url, allow_insecure=allow_insecure
        )

    async def adelete(self, client_id: str) -> bool:
        """``delete`` in a thread."""
        return await asyncio.to_thread(self.delete, client_id)

    async def adefault_client_id(self) -> str | None:
        """``default_client_id`` in a thread."""
        return await asyncio.to_thread(self.default_client_id)

    async def aset_default_client_id(self, client_id: str) -> None:
        """``set_default_client_id`` in a thread."""
        await asyncio.to_thread(self.set_default_client_id, client_id)

    async def aclear_default_client_id(self) -> bool:
        """``clear_default_client_id`` in a thread."""
        return await asyncio.to_thread(self.clear_default_client_id)


def resolve_credentials(
    settings: Settings, store: CredentialStore, *, trust_endpoint: bool = False
) -> Credentials | None:
    """The credentials to use: the environment's first, then the keyring's; None if incomplete.

    A keyring secret is only returned for the endpoints it was verified with (see
    ``secret_binding``) unless ``trust_endpoint``. Raises ``CredentialStoreError`` when
    the keyring is needed and cannot be used, or refuses these endpoints.
    """
    client_id = settings.client_id
    if settings.client_secret is not None:
        if client_id is None:
            try:
                client_id = store.default_client_id()
            except CredentialStoreError:
                client_id = None
        if client_id is None:
            return None
        return Credentials(client_id, settings.client_secret, "env")
    if client_id is None:
        client_id = store.default_client_id()
        if client_id is None:
            return None
    secret = store.get_secret(
        client_id, settings.oauth_url, settings.ws_url, trust_endpoint=trust_endpoint
    )
    if secret is None:
        return None
    return Credentials(client_id, secret, "keyring")


async def aresolve_credentials(
    settings: Settings, store: CredentialStore, *, trust_endpoint: bool = False
) -> Credentials | None:
    """``resolve_credentials`` in a thread, for callers on the event loop."""
    return await asyncio.to_thread(
        resolve_credentials, settings, store, trust_endpoint=trust_endpoint
    )


def open_store(settings: Settings) -> CredentialStore:
    """The store the settings ask for: the system keyring, or the encrypted file.

    ``auto`` takes the system keyring when it is usable and encrypted, and the encrypted
    file otherwise (no desktop keyring, as on a server reached over SSH).
    """
    choice = settings.credential_store
    if choice == "auto":
        system = CredentialStore().backend_status()
        choice = "keyring" if system.usable and system.secure else "encrypted-file"
    if choice == "keyring":
        return CredentialStore()
    path = settings.credential_file or paths.data_dir() / "credentials.cfg"
    return CredentialStore(backend=EncryptedFileKeyring(path))
