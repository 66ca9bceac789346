"""The error pane's entries: a problem sanitized, explained and marked important or not.

The desk's own codes are explained here; the core's ``explain`` covers protocol and
transport codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sor_tui.core.explain import explain
from sor_tui.core.sanitize import sanitize
from sor_tui.transport.status import Problem


@dataclass(frozen=True)
class LoggedProblem:
    """One error-pane entry: all text already sanitized."""

    wall_ns: int
    source: str
    code: str
    message: str
    explanation: str
    market: str | None = None
    important: bool = False


# Codes worth a toast; rejected frames and benign answers only go to the error pane.
IMPORTANT_CODES = frozenset(
    {
        "UNKNOWN_CHANNEL",
        "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
        "INTERNAL_SERVER_ERROR",
        "MALFORMED_REQUEST",
        "UNKNOWN_ACTION",
        "HTTP 401",
        "HTTP 403",
        "invalid_client",
        "invalid_scope",
        "missing_scope",
        "feed_failed",
        "keyring_unavailable",
        "recording_failed",
        "unbound_endpoint",
        "credentials_locked",
        "secret_file",
        "untrusted_env_file",
    }
)


# Codes the desk itself raises.
DESK_EXPLANATIONS = {
    "log_file": (
        "SOR_LOG_FILE names a file that cannot be written, so this run logs nowhere. Choose "
        "a writable path (its directory is created if missing) or leave it empty."
    ),
    "GAP": (
        "The connection was lost in this interval: executions printed meanwhile may be "
        "missing from the tape (the gap row marks where). Books were resynced from fresh "
        "snapshots on reconnect, so the ladders are complete again."
    ),
    "unknown_theme": (
        "SOR_THEME names a theme that does not exist. Use sor-dark, sor-light, "
        "sor-colourblind or a Textual theme (ctrl+p, Theme lists them)."
    ),
    "feed_failed": (
        "The connection worker stopped on an unexpected error, so nothing new will arrive; "
        "the screen shows the last known state. Restart sor-tui; if it repeats, copy this "
        "error (c) into a bug report."
    ),
    "recording_failed": (
        "Recording was asked for but nothing more is being written (a full disk, a folder "
        "that cannot be written): the file so far stays readable. Free space or choose "
        "another SOR_RECORD_DIR, then start a new file with ctrl+r (a failed recording "
        "is stopped by the first press)."
    ),
    "unbound_endpoint": (
        "The stored secret is bound to the token host it was verified with, and the "
        "configured URLs (from the environment, a .env or the command line) point elsewhere, "
        "so it was not sent. If you chose these URLs, run 'sor-tui login --oauth-url URL "
        "--ws-url URL'; if you did not, find out what set them."
    ),
    "undesired_market": (
        "The server sent prints or top of book for a market this desk did not subscribe to. "
        "They are dropped (never shown as if subscribed) and counted; a server doing this "
        "persistently has a bug worth reporting."
    ),
    "credentials_locked": (
        "The client secret is in sor-tui's encrypted credentials file (there is no desktop "
        "keyring here). Press k, type the file's passphrase and press ctrl+o to open it."
    ),
    "secret_file": (
        "A settings file holds the client secret and other users can read it. Restrict it "
        "(chmod 600) or move the secret to the keyring with 'sor-tui login'."
    ),
    "keyring_unavailable": (
        "No usable system keyring, so stored credentials cannot be read or saved. Use "
        "sor-tui's encrypted credentials file (SOR_CREDENTIAL_STORE=auto or encrypted-file), "
        "set SOR_CLIENT_ID and SOR_CLIENT_SECRET (or a .env file readable only by you), or "
        "install a keyring backend; the demo works without credentials."
    ),
}


def logged(problem: Problem, wall_ns: int) -> LoggedProblem:
    """Turn a transport problem into an error-pane entry with its explanation."""
    code = sanitize(problem.code, 48)
    return LoggedProblem(
        wall_ns=wall_ns,
        source=sanitize(problem.source, 16),
        code=code,
        message=sanitize(problem.message, 200),
        explanation=sanitize(DESK_EXPLANATIONS.get(problem.code) or explain(problem.code), 400),
        market=sanitize(problem.market, 16) if problem.market else None,
        important=code in IMPORTANT_CODES or problem.source in ("token", "handshake"),
    )
