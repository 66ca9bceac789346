"""An encrypted credentials file for machines without a desktop keyring (a server over SSH).

It is keyrings.cryptfile's ``CryptFileKeyring`` (an Argon2id key from the passphrase,
each entry sealed with AES-GCM and bound to its service and user name), with one change:
the passphrase is handed in by sor-tui, which asks for it in its own masked input (the
credentials screen, or ``getpass`` in ``sor-tui login``). The library's own prompts read
the terminal behind the app's back, so they are replaced by a clear "locked" error.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from keyring.errors import KeyringError, KeyringLocked
from keyrings.cryptfile.cryptfile import CryptFileKeyring

from sor_tui.config.paths import ensure_dir


class PassphraseNeededError(KeyringLocked):
    """The file exists (or is to be created) and no passphrase was given yet."""


class WrongPassphraseError(KeyringError):
    """The passphrase does not open the file."""


class DamagedFileError(KeyringError):
    """The file or one of its entries cannot be read or decrypted."""


_READ_ERRORS = (ValueError, KeyError, TypeError, configparser.Error, UnicodeError)


class EncryptedFileKeyring(CryptFileKeyring):  # type: ignore[misc]
    """keyrings.cryptfile's encrypted file at ``path``, unlocked only through ``unlock``."""

    priority = 0  # type: ignore[assignment]  # never picked by keyring's own discovery

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.file_path = str(path)

    def __repr__(self) -> str:
        return f"EncryptedFileKeyring({str(self.path)!r})"

    @property
    def exists(self) -> bool:
        """Whether the file has been created (then a passphrase is needed to read it)."""
        return self.path.is_file()

    @property
    def locked(self) -> bool:
        """Whether no passphrase has opened the file in this process yet."""
        return self._keyring_key is None

    def unlock(self, passphrase: str) -> None:
        """Open the file with ``passphrase`` (creating it, 0600 in a 0700 folder, if new)."""
        if not passphrase.strip():
            raise WrongPassphraseError("The passphrase must not be empty.")
        ensure_dir(self.path.parent)
        if not self.exists:
            # Created empty and private before the library writes anything into it.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self.keyring_key = passphrase  # the setter verifies or initialises the file

    def lock(self) -> None:
        """Forget the passphrase."""
        self._keyring_key = None

    def get_password(self, service: str, username: str) -> str | None:
        """The entry's value; a damaged file is a keyring error, not a traceback."""
        try:
            value: str | None = super().get_password(service, username)
        except _READ_ERRORS:
            raise DamagedFileError(
                f"An entry of the encrypted credentials file {self.path} cannot be decrypted."
            ) from None
        return value

    def _get_new_password(self) -> str:
        raise PassphraseNeededError(
            f"Choose a passphrase for the encrypted credentials file {self.path} first."
        )

    def _unlock(self) -> None:
        if self._keyring_key is None:
            raise PassphraseNeededError(
                f"The encrypted credentials file {self.path} is locked: enter its passphrase."
            )
        try:
            reference = super().get_password("keyring-setting", "password reference")
        except _READ_ERRORS:  # AES-GCM's tag check: another passphrase
            reference = None
        if reference != "password reference value":
            self._keyring_key = None
            raise WrongPassphraseError(
                f"Wrong passphrase for the encrypted credentials file {self.path}."
            )
