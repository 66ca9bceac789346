"""``sor-tui logout``: delete a client's stored secret (and the remembered client id)."""

from __future__ import annotations

import argparse
import sys

from sor_tui.config.credentials import CredentialStoreError, open_store
from sor_tui.config.passphrase_prompt import unlock_with_prompt
from sor_tui.config.settings import ConfigError, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``sor-tui logout``."""
    parser.add_argument(
        "--client-id", help="client id to forget (default: SOR_CLIENT_ID or the last login)"
    )


def _error(message: str) -> int:
    print(f"sor-tui logout: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    """Delete the stored secret; 0 when done or when nothing was stored."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _error(exc.message)
    store = open_store(settings)
    status = store.backend_status()
    if not status.usable:
        return _error(f"no usable keyring, so nothing is stored there.\n{status.advice}")
    file = store.encrypted_file
    if file is not None and not file.exists:
        print("No stored credentials.")
        return 0
    try:
        unlock_with_prompt(store, create=False)
        remembered = store.default_client_id()
        client_id = args.client_id or settings.client_id or remembered
        if not client_id:
            print("No stored credentials.")
            return 0
        deleted = store.delete(client_id)
        if remembered == client_id:
            store.clear_default_client_id()
    except CredentialStoreError as exc:
        return _error(exc.message)
    except (EOFError, KeyboardInterrupt):
        return _error("cancelled")
    if deleted:
        print(f"Deleted the stored secret of {client_id}.")
    else:
        print(f"No stored secret for {client_id}.")
    if settings.client_secret is not None:
        print("Note: SOR_CLIENT_SECRET is still set in the environment or .env.")
    return 0
