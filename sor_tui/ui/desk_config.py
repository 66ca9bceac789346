"""What the app is built with: display choices and the collaborators made outside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sor_tui.config.credentials import Credentials, CredentialStore
from sor_tui.config.settings import SOR_SCOPE
from sor_tui.config.workspaces import WorkspaceBook
from sor_tui.core.alerts.rules import AlertRule
from sor_tui.runtime.ports import FeedSource
from sor_tui.transport.status import Problem
from sor_tui.ui.themes import DEFAULT_THEME


@dataclass(frozen=True)
class CredentialsContext:
    """What the credentials screen needs: the store and where to test a secret."""

    store: CredentialStore | None
    oauth_url: str
    ws_url: str = ""
    scope: str = SOR_SCOPE
    client_id: str | None = None
    token_deadline: float = 15.0


@dataclass(frozen=True)
class AlertDelivery:
    """Where alerts go (from the ``[alerts]`` settings)."""

    toast: bool = True
    bell: bool = True
    desktop: bool = True
    webhook_url: str = field(default="", repr=False)  # a hook URL can be a credential
    webhook_timeout: float = 5.0
    webhook_retries: int = 2
    config_path: Path | None = None
    """Where rules made in the app are saved; None: they last for this run only."""


@dataclass(frozen=True)
class DeskConfig:
    """Display settings and injected collaborators (posting's ``make_posting`` model)."""

    environment: str = "demo"
    markets: tuple[str, ...] = ("BTCUSD", "ETHUSD")
    depth: int = 25
    render_rate: float = 20.0
    render_pacing: bool = True
    """Wait for the terminal's answer to a frame before drawing the next."""
    render_diff: bool = True
    """Write frames by changed cells (``SpanWriter``) instead of whole spans."""
    low_bandwidth: bool = False
    """256 colours, no sparkline, a low frame rate."""
    mouse: bool = True
    large_trade: Decimal = Decimal("100000")
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = field(default_factory=dict)
    source: FeedSource | None = None
    """The feed source to start with; None offers to enter credentials or start the demo."""
    live_source: Callable[[], FeedSource | None] | None = None
    """Re-resolves credentials (blocking: called in a thread) after they change."""
    demo_source: Callable[[], FeedSource] | None = None
    """Builds the in-process simulator source."""
    credentials: CredentialsContext = field(
        default_factory=lambda: CredentialsContext(store=None, oauth_url="")
    )
    startup_problems: tuple[Problem, ...] = ()
    """Problems found before the app ran (e.g. no usable keyring), shown in the error pane."""
    tune_gc: bool = False
    """Run with ``GcPolicy`` (the launchers do; tests that build many apps do not)."""
    alert_rules: tuple[AlertRule, ...] = ()
    """Health and market alert rules (``make_app`` builds them from the settings)."""
    alert_delivery: AlertDelivery = field(default_factory=AlertDelivery)
    """Where alerts go."""
    workspace_path: Path | None = None
    """The profile's workspace file; None keeps no workspaces (tests, headless tools)."""
    workspaces: WorkspaceBook | None = None
    """The profile's workspaces as read at start."""
    stored_environment: str = "sandbox"
    """The environment whose stored credentials ``live_source`` resolves."""
    environment_source: Callable[[str, Credentials], FeedSource] | None = None
    """A source for another environment with credentials typed in for this session."""
