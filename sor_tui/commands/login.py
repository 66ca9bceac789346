"""``sor-tui login``: verify a client id and secret with a token request, then keep them.

The secret goes to the system keyring (service ``sor-tui``, user = client id) only after
the configured environment's token endpoint accepted it.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from pydantic import SecretStr

from sor_tui.config.credentials import CredentialStore, CredentialStoreError, open_store
from sor_tui.config.file_trust import secret_file_warnings
from sor_tui.config.passphrase_prompt import unlock_with_prompt
from sor_tui.config.secret_binding import origin
from sor_tui.config.settings import ConfigError, Settings, load_settings
from sor_tui.transport.oauth import TokenError, TokenProvider


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``sor-tui login``."""
    parser.add_argument("--client-id", help="client id (prompted for when omitted)")
    parser.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the client secret from the first line of standard input (for scripts)",
    )
    parser.add_argument(
        "--environment",
        choices=["sandbox", "production", "demo"],
        help="environment to log in to (default: SOR_ENVIRONMENT or sandbox)",
    )
    parser.add_argument(
        "--oauth-url", help="token URL override; the stored secret is bound to its host"
    )
    parser.add_argument(
        "--ws-url", help="WebSocket URL override; the stored secret is bound to its host too"
    )
    parser.add_argument(
        "--allow-insecure-keyring",
        action="store_true",
        help="store the secret even if the keyring backend keeps it unencrypted",
    )


def _error(message: str) -> int:
    print(f"sor-tui login: {message}", file=sys.stderr)
    return 1


def _load(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.environment:
        overrides["environment"] = args.environment
    if args.oauth_url:
        overrides["oauth_url"] = args.oauth_url
    if getattr(args, "ws_url", None):
        overrides["ws_url"] = args.ws_url
    return load_settings(**overrides)


def _default_client_id(settings: Settings, store: CredentialStore) -> str | None:
    if settings.client_id:
        return settings.client_id
    try:
        return store.default_client_id()
    except CredentialStoreError:
        return None


def _ask_client_id(default: str | None) -> str:
    suffix = f" [{default}]" if default else ""
    answer = input(f"Client ID{suffix}: ").strip()
    return answer or (default or "")


def _read_secret(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass("Client secret (not shown): ")


async def verify(settings: Settings, client_id: str, secret: SecretStr) -> float:
    """Fetch one token with these credentials; return its lifetime or raise ``TokenError``."""
    async with TokenProvider(
        settings.oauth_url, client_id, secret, settings.scope, deadline=settings.token_deadline
    ) as provider:
        token = await provider.get_token()
        return token.lifetime


def run(args: argparse.Namespace) -> int:
    """Prompt (or read flags), verify against the token endpoint, store; 0 on success."""
    try:
        settings = _load(args)
    except ConfigError as exc:
        return _error(exc.message)
    for warning in secret_file_warnings():
        print(f"sor-tui login: warning: {warning}", file=sys.stderr)
    store = open_store(settings)
    status = store.backend_status()
    if not status.usable:
        return _error(f"no usable keyring to store the secret in.\n{status.advice}")
    if not status.secure and not args.allow_insecure_keyring:
        return _error(f"{status.advice}\nTo store it there anyway, pass --allow-insecure-keyring.")
    try:
        unlock_with_prompt(store)
    except CredentialStoreError as exc:
        return _error(exc.message)
    except (EOFError, KeyboardInterrupt):
        return _error("cancelled")
    try:
        client_id = args.client_id or ""
        if not client_id and args.secret_stdin:
            client_id = _default_client_id(settings, store) or ""
            if not client_id:
                return _error("--secret-stdin needs --client-id (or SOR_CLIENT_ID)")
        elif not client_id:
            client_id = _ask_client_id(_default_client_id(settings, store))
        client_id = client_id.strip()
        if not client_id:
            return _error("a client id is required")
        secret = SecretStr(_read_secret(args.secret_stdin))
    except (EOFError, KeyboardInterrupt):
        return _error("cancelled")
    if not secret.get_secret_value():
        return _error("the client secret is empty")

    print(f"Checking the credentials with {settings.oauth_url} ...")
    try:
        lifetime = asyncio.run(verify(settings, client_id, secret))
    except TokenError as exc:
        hint = "" if exc.final else " (a temporary problem: try again later)"
        return _error(f"login failed: {exc.message}{hint}. Nothing was stored.")
    except KeyboardInterrupt:
        return _error("cancelled")

    try:
        store.set_secret(
            client_id,
            secret,
            settings.oauth_url,
            settings.ws_url,
            allow_insecure=args.allow_insecure_keyring,
        )
        store.set_default_client_id(client_id)
    except CredentialStoreError as exc:
        return _error(exc.message)
    print(
        f"Logged in as {client_id} ({settings.environment}; token valid {lifetime:.0f} s). "
        f"Secret stored in the keyring ({status.name}), bound to {origin(settings.oauth_url)} "
        f"and {origin(settings.ws_url)}: it is sent nowhere else."
    )
    if settings.client_secret is not None:
        print("Note: SOR_CLIENT_SECRET is set and takes precedence over the keyring.")
    return 0
