"""The in-app environment switch: demo, sandbox or production, each with its own credentials.

The environment configured at start uses its stored credentials (as at start). Another
environment asks for credentials, which are kept in memory for the session and go only
to that environment's published token host; nothing typed here is stored or reused for a
different host. Production is marked on the desk for as long as it is in use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import SecretStr

from sor_tui.config.credentials import Credentials
from sor_tui.config.settings import ENVIRONMENT_URLS
from sor_tui.runtime.ports import FeedSource
from sor_tui.ui.screens.environment import EnvironmentScreen, SessionCredentialsScreen

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


def current_environment(app: SorApp) -> str:
    """The environment of the running source (or the configured one)."""
    source = app.source
    return source.environment if source is not None else app.config.environment


def mark_environment(app: SorApp) -> None:
    """Production gets a marker on the desk (a red status bar) while it is in use."""
    app.desk.set_class(current_environment(app) == "production", "-production")


def choose_environment(app: SorApp) -> None:
    """Open the environment list; the choice switches."""
    if app.config.environment_source is None and app.config.demo_source is None:
        app.notify("No environment to switch to here (a replay)", timeout=3)
        return
    app.push_screen(EnvironmentScreen(current_environment(app)), lambda e: switch_to(app, e))


def switch_to(app: SorApp, environment: str | None) -> None:
    """Connect to ``environment`` (demo, the stored one, or one that asks for credentials)."""
    if environment is None or environment == current_environment(app):
        return
    config = app.config
    if environment == "demo":
        if config.demo_source is not None:
            start(app, config.demo_source())
        return
    if environment == config.stored_environment and config.live_source is not None:
        factory = config.live_source

        def resolve() -> None:  # keyring calls can block: off the event loop
            source = factory()
            if source is not None:
                app.call_from_thread(start, app, source)
            else:
                app.call_from_thread(ask_credentials, app, environment)

        app.run_worker(resolve, thread=True, group="environment", exit_on_error=False)
        return
    ask_credentials(app, environment)


def ask_credentials(app: SorApp, environment: str) -> None:
    """Ask for this environment's credentials (session only), then connect."""
    urls = ENVIRONMENT_URLS.get(environment)
    if urls is None or app.config.environment_source is None:
        app.notify(f"Cannot switch to {environment}", severity="error", timeout=4)
        return
    host = urlsplit(urls[1]).hostname or urls[1]

    def connect(answer: tuple[str, SecretStr] | None) -> None:
        make = app.config.environment_source
        if answer is None or make is None:
            return
        client_id, secret = answer
        start(app, make(environment, Credentials(client_id, secret, "env")))

    app.push_screen(SessionCredentialsScreen(environment, host), connect)


def start(app: SorApp, source: FeedSource) -> None:
    """Run the feed on the new source and mark the environment."""
    app.start_feed(source)
    mark_environment(app)
    environment = current_environment(app)
    if environment == "production":
        app.notify("Environment: PRODUCTION", severity="warning", timeout=5)
    else:
        app.notify(f"Environment: {environment}", timeout=3)
