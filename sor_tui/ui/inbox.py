"""The feed's ``on_event`` target: cheap appends to pending buffers, drained once per frame.

Nothing here touches a widget. The frame timer drains the buffers and turns them into
messages, so the UI's work is bounded by the frame rate, not by the message rate.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from sor_tui.core.events import BookUpdate
from sor_tui.core.explain import explain
from sor_tui.core.sanitize import sanitize
from sor_tui.core.subscriptions import SubscriptionEntry
from sor_tui.transport.status import FeedStatus, Problem, StatusChanged, SubscriptionsChanged
from sor_tui.ui.clock import Clock
from sor_tui.ui.messages import LoggedProblem

MAX_PENDING_PROBLEMS = 500
T = TypeVar("T")

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


# Codes the desk itself raises; the core's explain() covers protocol and transport codes.
UI_EXPLANATIONS = {
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
        explanation=sanitize(UI_EXPLANATIONS.get(problem.code) or explain(problem.code), 400),
        market=sanitize(problem.market, 16) if problem.market else None,
        important=code in IMPORTANT_CODES or problem.source in ("token", "handshake"),
    )


class FeedInbox:
    """Pending transport facts since the last frame.

    ``on_event`` runs on the feed's thread and the ``take_*`` methods on the UI's; bounded
    deques (atomic append and popleft) are the only shared structures.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.statuses: deque[FeedStatus] = deque(maxlen=64)
        self.entries: deque[tuple[SubscriptionEntry, ...]] = deque(maxlen=8)
        self.problems: deque[LoggedProblem] = deque(maxlen=MAX_PENDING_PROBLEMS)
        self.events = 0

    def on_event(self, event: Any) -> None:
        """The feed's callback: must stay cheap (it runs for every message)."""
        self.events += 1
        if type(event) is BookUpdate:  # the bulk of the traffic: nothing for the inbox
            return
        if isinstance(event, StatusChanged):
            self.statuses.append(event.status)
        elif isinstance(event, SubscriptionsChanged):
            self.entries.append(event.entries)
        elif isinstance(event, Problem):
            self.add_problem(event)

    def add_problem(self, problem: Problem) -> None:
        """Queue a problem for the error pane (bounded: a flood cannot exhaust memory)."""
        self.problems.append(logged(problem, self.clock.wall_ns()))

    def take_problems(self) -> tuple[LoggedProblem, ...]:
        """Drain queued problems, oldest first."""
        return tuple(_drain(self.problems))

    def take_entries(self) -> tuple[SubscriptionEntry, ...] | None:
        """The newest subscription entries if they changed since the last frame."""
        drained = _drain(self.entries)
        return drained[-1] if drained else None

    def take_statuses(self) -> list[FeedStatus]:
        """Every status change since the last frame, oldest first (a few at most)."""
        return _drain(self.statuses)


def _drain(queue: deque[T]) -> list[T]:
    items: list[T] = []
    while True:
        try:
            items.append(queue.popleft())
        except IndexError:
            return items
