"""Choosing the environment in the app, and entering credentials for one that has none.

Production is marked as such in the list. Credentials typed here are held in memory for
this session only and go only to the chosen environment's own token host.
"""

from __future__ import annotations

from pydantic import SecretStr
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from sor_tui.ui.widgets.secret_input import SecretInput

ENVIRONMENTS = ("demo", "sandbox", "production")
_LABELS = {
    "demo": "demo · the built-in simulator on this machine",
    "sandbox": "sandbox · Paxos test environment",
    "production": "PRODUCTION · real markets",
}


class EnvironmentScreen(ModalScreen[str | None]):
    """Pick demo, sandbox or production (the current one is marked)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="environment.cancel")]

    def __init__(self, current: str) -> None:
        super().__init__(id="environment-screen")
        self.current = current

    def compose(self) -> ComposeResult:
        """The list of environments."""
        with Vertical(classes="dialog", id="environment-dialog"):
            yield Static(Text("Switch environment  (esc cancels)", style="bold"))
            options = []
            for name in ENVIRONMENTS:
                label = Text(_LABELS[name] + ("  ← current" if name == self.current else ""))
                if name == "production":
                    label.stylize("bold red")
                options.append(Option(label, id=name))
            yield OptionList(*options, id="environment-list")

    def on_mount(self) -> None:
        """Focus the list."""
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def choose(self, event: OptionList.OptionSelected) -> None:
        """Enter on an environment."""
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Keep the current environment."""
        self.dismiss(None)


class SessionCredentialsScreen(ModalScreen[tuple[str, SecretStr] | None]):
    """Client id and secret for one environment, for this session only (never stored)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="session_credentials.cancel"),
        # Priority: the secret input keeps Enter's Submitted message to itself.
        Binding("enter", "connect", "Connect", id="session_credentials.connect", priority=True),
    ]

    def __init__(self, environment: str, token_host: str) -> None:
        super().__init__(id="session-credentials-screen")
        self.environment = environment
        self.token_host = token_host

    def compose(self) -> ComposeResult:
        """Two inputs and what happens with them."""
        with Vertical(classes="dialog", id="session-credentials-dialog"):
            title = Text(f"Credentials for {self.environment}", style="bold")
            if self.environment == "production":
                title.append("  PRODUCTION", style="bold red")
            yield Static(title)
            yield Static(
                Text(
                    f"No stored credentials for {self.environment}. These are kept in memory "
                    f"for this session and sent only to {self.token_host}. Enter to connect, "
                    "esc to cancel."
                )
            )
            yield Input(placeholder="client id", id="session-client-id")
            yield SecretInput(placeholder="secret", id="session-client-secret")

    def on_mount(self) -> None:
        """Start in the client id."""
        self.query_one("#session-client-id", Input).focus()

    def action_connect(self) -> None:
        """Enter: from the id to the secret, then connect when both are given."""
        id_input = self.query_one("#session-client-id", Input)
        secret_input = self.query_one("#session-client-secret", SecretInput)
        client_id = id_input.value.strip()
        if not client_id:
            id_input.focus()
        elif not secret_input.value:
            secret_input.focus()
        else:
            secret = SecretStr(secret_input.value)
            secret_input.value = ""
            self.dismiss((client_id, secret))

    def action_cancel(self) -> None:
        """Keep the current environment."""
        self.dismiss(None)
