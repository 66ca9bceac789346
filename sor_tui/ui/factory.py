"""``make_app``: build the app and its collaborators outside it (posting's ``make_posting``).

The launchers and the tests call this same factory, so what is tested is what runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sor_tui.config import paths
from sor_tui.config.alert_rules import alert_rules
from sor_tui.config.alert_settings import AlertSettings
from sor_tui.config.credentials import (
    Credentials,
    CredentialStore,
    CredentialStoreError,
    resolve_credentials,
)
from sor_tui.config.settings import ENVIRONMENT_URLS, Settings
from sor_tui.config.workspaces import ProfileWorkspaces
from sor_tui.runtime.clock import Clock
from sor_tui.runtime.ports import FeedSource
from sor_tui.runtime.sources import LiveSource
from sor_tui.transport.status import Problem
from sor_tui.ui.app import SorApp
from sor_tui.ui.desk_config import AlertDelivery, CredentialsContext, DeskConfig
from sor_tui.ui.themes import DEFAULT_THEME

# The settings' default theme means "not chosen": the desk then uses its own dark theme.
_UNCHOSEN_THEMES = frozenset({"", "textual-dark"})


def live_source(settings: Settings, store: CredentialStore | None) -> LiveSource | None:
    """Resolve credentials (blocking keyring call) into a source, or None when incomplete."""
    if store is None:
        return None
    try:
        credentials = resolve_credentials(settings, store)
    except CredentialStoreError:
        return None
    return LiveSource(settings, credentials) if credentials is not None else None


def session_source(settings: Settings, environment: str, credentials: Credentials) -> LiveSource:
    """A source for ``environment`` at its published URLs only, with session credentials."""
    ws_url, oauth_url = ENVIRONMENT_URLS[environment]
    chosen = settings.model_copy(
        update={
            "environment": environment,
            "ws_url": ws_url,
            "oauth_url": oauth_url,
            "client_id": credentials.client_id,
            "client_secret": None,
        }
    )
    return LiveSource(chosen, credentials)


LOW_BANDWIDTH_RATE = 5.0  # frames a second at most in the low-bandwidth profile


def render_rate(settings: Settings) -> float:
    """Frames a second: the setting, capped in the low-bandwidth profile unless chosen."""
    chosen = "render_rate" in settings.model_fields_set
    if settings.low_bandwidth and not chosen:
        return min(settings.render_rate, LOW_BANDWIDTH_RATE)
    return settings.render_rate


def make_app(
    settings: Settings,
    *,
    source: FeedSource | None = None,
    store: CredentialStore | None = None,
    clock: Clock | None = None,
    demo_source: Callable[[], FeedSource] | None = None,
    startup_problems: tuple[Problem, ...] = (),
    tune_gc: bool = False,
    workspaces: ProfileWorkspaces | None = None,
) -> SorApp:
    """The desk app for these settings; ``source=None`` offers credentials (and the demo when
    ``demo_source`` is given)."""
    theme = DEFAULT_THEME if settings.theme in _UNCHOSEN_THEMES else settings.theme
    config = DeskConfig(
        environment=source.environment if source is not None else settings.environment,
        markets=tuple(settings.markets),
        depth=settings.book_depth,
        render_rate=render_rate(settings),
        render_pacing=settings.render_pacing,
        render_diff=settings.render_diff,
        low_bandwidth=settings.low_bandwidth,
        mouse=settings.mouse,
        large_trade=settings.large_trade,
        theme=theme,
        keymap=dict(settings.keymap),
        source=source,
        live_source=lambda: live_source(settings, store),
        demo_source=demo_source,
        credentials=CredentialsContext(
            store=store,
            oauth_url=settings.oauth_url,
            ws_url=settings.ws_url,
            scope=settings.scope,
            client_id=settings.client_id,
            token_deadline=min(settings.token_deadline, 15.0),
        ),
    )
    config = replace(
        config,
        startup_problems=startup_problems,
        tune_gc=tune_gc,
        alert_rules=alert_rules(settings.alerts),
        alert_delivery=alert_delivery(settings.alerts),
        stored_environment=settings.environment,
        environment_source=lambda environment, credentials: session_source(
            settings, environment, credentials
        ),
    )
    if workspaces is not None:
        found = tuple(Problem("workspace", "workspace_invalid", p) for p in workspaces.problems)
        config = replace(
            config,
            workspace_path=workspaces.path,
            workspaces=workspaces.book,
            startup_problems=(*config.startup_problems, *found),
        )
    return SorApp(config, clock=clock)


def alert_delivery(settings: AlertSettings) -> AlertDelivery:
    """Where alerts go; rules made in the app are saved to the user's config file."""
    return AlertDelivery(
        toast=settings.toast,
        bell=settings.bell,
        desktop=settings.desktop,
        webhook_url=settings.webhook_url,
        webhook_timeout=settings.webhook_timeout,
        webhook_retries=settings.webhook_retries,
        config_path=paths.config_file(),
    )
