"""What the app is built with: display choices and the collaborators made outside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import SOR_SCOPE
from sor_tui.transport.status import Problem
from sor_tui.ui.ports import FeedSource
from sor_tui.ui.themes import DEFAULT_THEME


@dataclass(frozen=True)
class CredentialsContext:
    """What the credentials screen needs: the store and where to test a secret."""

    store: CredentialStore | None
    oauth_url: str
    scope: str = SOR_SCOPE
    client_id: str | None = None
    token_deadline: float = 15.0


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
