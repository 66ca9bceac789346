"""Shown when no credentials are configured: enter them, start the demo, or quit."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from sor_tui.core.sanitize import sanitize
from sor_tui.ui.screens.dialog import DialogScreen


class WelcomeScreen(DialogScreen[str]):
    """Offer the two ways in: credentials for the configured environment, or the demo."""

    BINDINGS = [
        Binding("c", "choose('credentials')", "Credentials", id="welcome.credentials"),
        Binding("d", "choose('demo')", "Demo", id="welcome.demo"),
        Binding("escape,q", "choose('quit')", "Quit", id="welcome.quit"),
    ]

    def __init__(self, environment: str, *, locked: bool = False) -> None:
        super().__init__(id="welcome-screen")
        self.environment = environment
        self.locked = locked  # credentials exist, in the encrypted file, not yet opened

    def compose(self) -> ComposeResult:
        """A short explanation and three buttons."""
        with Vertical(id="welcome-dialog", classes="dialog"):
            yield Static(Text("Welcome to sor-tui", style="bold"), classes="dialog-title")
            yield Static(Text(self._explanation()), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Credentials (c)", id="welcome-credentials", variant="primary")
                yield Button("Demo (d)", id="welcome-demo", variant="success")
                yield Button("Quit (q)", id="welcome-quit")

    def _explanation(self) -> str:
        if self.locked:
            return (
                "Your credentials are in sor-tui's encrypted credentials file. Press c, "
                "type its passphrase and press ctrl+o to open it, or try the built-in "
                "simulator first."
            )
        return (
            f"No client id and secret are configured for '{sanitize(self.environment, 20)}'.\n"
            "Enter them (stored in your system keyring), or try the built-in simulator first."
        )

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """Map a button to its choice."""
        choice = (event.button.id or "welcome-quit").removeprefix("welcome-")
        self.dismiss(choice)

    def action_choose(self, choice: str) -> None:
        """Close with the chosen way in."""
        self.dismiss(choice)
