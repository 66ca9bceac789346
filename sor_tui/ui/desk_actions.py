"""The app's own actions: tabs, help, credentials, pause, recording, theme (mixed into the app)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual.widgets import TabbedContent

from sor_tui.ui.copy_record_actions import toggle_recording
from sor_tui.ui.desk_config import CredentialsContext
from sor_tui.ui.themes import THEMES

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


class DeskActions:
    """Actions bound to keys and the command palette that are not about a view."""

    def action_show_tab(self, tab: str) -> None:
        """Switch the desk's tab."""
        app = cast("SorApp", self)
        if app.screen is not app.desk:
            return
        app.desk.query_one(TabbedContent).active = tab
        app.desk.focus_tab(tab)  # at once, so the next keys already reach the tab

    def action_help(self) -> None:
        """Show the help screen."""
        from sor_tui.ui.screens.help import HelpScreen

        app = cast("SorApp", self)
        app.push_screen(HelpScreen(app.config.keymap))

    def action_credentials(self) -> None:
        """Open the credentials screen."""
        from sor_tui.ui.screens.credentials import CredentialsScreen

        app = cast("SorApp", self)
        app.push_screen(CredentialsScreen(self.credentials_context()))

    def credentials_context(self) -> CredentialsContext:
        """Where "Test" fetches a token: in the demo, the simulator's endpoint, never the
        configured environment's (its loopback port exists only while the demo runs)."""
        app = cast("SorApp", self)
        context = app.config.credentials
        source = app.source
        if source is None or source.environment != "demo":
            return context
        simulator = getattr(source, "simulator", None)
        oauth_url = str(getattr(simulator, "oauth_url", "") or "")
        client_id = str(getattr(simulator, "client_id", "") or "") or context.client_id
        return replace(context, oauth_url=oauth_url, client_id=client_id)

    def action_toggle_pause(self) -> None:
        """Freeze the display while the feed keeps running; again to resume."""
        app = cast("SorApp", self)
        if not app.pause.toggle(app.clock.monotonic()):
            app.composer.invalidate()  # resume: the next frame redraws the latest state
        app.render_frame()

    def action_toggle_recording(self) -> None:
        """Start or stop recording the live feed (REC in the status bar while on)."""
        toggle_recording(cast("SorApp", self))

    def action_next_theme(self) -> None:
        """Cycle through the desk's themes."""
        app = cast("SorApp", self)
        names = [theme.name for theme in THEMES]
        current = names.index(app.theme) if app.theme in names else -1
        app.theme = names[(current + 1) % len(names)]
        app.notify(f"Theme: {app.theme}", timeout=1.5)
