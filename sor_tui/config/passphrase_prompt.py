"""Ask for the encrypted credentials file's passphrase on the terminal (commands, no TUI)."""

from __future__ import annotations

import getpass

from pydantic import SecretStr

from sor_tui.config.credentials import CredentialStore, CredentialStoreError


def unlock_with_prompt(store: CredentialStore, *, create: bool = True) -> None:
    """Ask for the encrypted file's passphrase on the terminal (masked), if it needs one.

    ``create=False`` (reading commands) asks nothing when there is no file yet.
    """
    file = store.encrypted_file
    if file is None or not store.needs_passphrase() or not (create or file.exists):
        return
    if file.exists:
        passphrase = getpass.getpass(f"Passphrase of {file.path} (not shown): ")
    else:
        print(f"No desktop keyring here: the secret goes to the encrypted file {file.path}.")
        passphrase = getpass.getpass("Choose a passphrase for it (not shown): ")
        if getpass.getpass("The same passphrase again: ") != passphrase:
            raise CredentialStoreError("The two passphrases differ; nothing was stored.")
    store.unlock(SecretStr(passphrase))
