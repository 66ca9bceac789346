"""The help screen: every key, what it does, and where else to find it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from sor_tui.ui.bindings import APP_BINDINGS, DESK_BINDINGS
from sor_tui.ui.copy_record_actions import COPY_BINDINGS, RECORD_BINDINGS
from sor_tui.ui.cursor_actions import CURSOR_BINDINGS
from sor_tui.ui.screens.board import BoardScreen
from sor_tui.ui.screens.credentials import CredentialsScreen
from sor_tui.ui.screens.dialog import DialogScreen
from sor_tui.ui.terminal_link import PAUSE_BINDINGS
from sor_tui.ui.view_bindings import BOARD_BINDINGS, CHART_BINDINGS, VIEW_APP_BINDINGS
from sor_tui.ui.widgets.alerts_panel import AlertsPanel
from sor_tui.ui.widgets.error_log import ErrorLog
from sor_tui.ui.widgets.subscription_panel import SubscriptionPanel

_INTRO = (
    "Everything is reachable by keyboard; ctrl+p opens the command palette with every "
    "action. Keys can be remapped with SOR_KEYMAP (binding id → key)."
)


_KEY_NAMES = {
    "question_mark": "?",
    "exclamation_mark": "!",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "plus": "+",
    "minus": "-",
    "slash": "/",
    "escape": "esc",
}


def key_names(keys: str) -> str:
    """Keys as a user types them: '?' rather than 'question_mark'."""
    return ", ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def _section(title: str, bindings: list[BindingType], keymap: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True)
    table.add_column("key", style="bold", width=14, no_wrap=True)
    table.add_column("action", ratio=1)
    table.add_column("id", style="dim", no_wrap=True)
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        keys = keymap.get(binding.id or "", binding.key)
        table.add_row(key_names(keys), binding.tooltip or binding.description, binding.id or "")
    return table


class HelpScreen(DialogScreen[None]):
    """Keys by area with their binding ids."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__(id="help-screen")
        self.keymap = dict(keymap or {})

    def compose(self) -> ComposeResult:
        """The key tables in a scrollable dialog."""
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static(Text("sor-tui help  (esc closes)", style="bold"), classes="dialog-title")
            yield Static(Text(_INTRO), classes="dialog-body")
            digits = Binding("1-9", "", "Show the n-th market first", id="desk.market_N")
            sections: list[tuple[str, list[BindingType]]] = [
                (
                    "Everywhere",
                    [
                        *APP_BINDINGS,
                        *RECORD_BINDINGS,
                        *PAUSE_BINDINGS,
                        Binding("ctrl+p", "", "Command palette"),
                    ],
                ),
                ("Books", [*DESK_BINDINGS, *COPY_BINDINGS, digits, *CURSOR_BINDINGS]),
                ("Subscriptions", list(SubscriptionPanel.BINDINGS)),
                ("Errors", list(ErrorLog.BINDINGS)),
                ("Alerts", list(AlertsPanel.BINDINGS)),
                ("Credentials dialog", list(CredentialsScreen.BINDINGS)),
                ("Charts, board, workspaces", [*CHART_BINDINGS, *VIEW_APP_BINDINGS]),
                ("Markets board", [*BOARD_BINDINGS, *BoardScreen.BINDINGS]),
            ]
            for title, bindings in sections:
                yield Static(_section(title, bindings, self.keymap), classes="help-section")

    async def action_dismiss(self, result: None = None) -> None:
        """Close the help."""
        self.dismiss(None)
