"""``sor-tui tui``: open the desk on the configured environment.

Settings and credentials are resolved here, before the app runs (keyring calls can block);
without credentials the app offers to enter them or to start the demo.
"""

from __future__ import annotations

import argparse
import sys

from sor_tui.config.credentials import (
    CredentialStore,
    CredentialStoreError,
    StoreLockedError,
    UnboundEndpointError,
    open_store,
    resolve_credentials,
)
from sor_tui.config.file_trust import secret_file_warnings
from sor_tui.config.settings import ConfigError, Settings, load_settings
from sor_tui.config.workspaces import ProfileWorkspaces, open_profile
from sor_tui.runtime.ports import FeedSource
from sor_tui.runtime.sources import LiveSource
from sor_tui.transport.status import Problem
from sor_tui.ui.factory import make_app
from sor_tui.ui.logfile import setup_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``tui`` command."""
    parser.add_argument("--environment", choices=("sandbox", "production", "demo"))
    parser.add_argument("--markets", help="comma-separated markets, e.g. BTCUSD,ETHUSD")
    parser.add_argument("--ws-url", help="override the environment's WebSocket URL")
    parser.add_argument("--oauth-url", help="override the environment's token URL")
    parser.add_argument("--theme", help="sor-dark, sor-light, sor-colourblind or a Textual theme")
    add_trust_endpoint_argument(parser)
    add_profile_argument(parser)
    add_record_arguments(parser)
    add_display_arguments(parser)


def add_display_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for slow links and remote terminals (shared by ``tui`` and ``demo``)."""
    parser.add_argument(
        "--fps", type=float, metavar="N", help="most frames a second (SOR_RENDER_RATE, 1-60)"
    )
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        default=None,
        help="slow-link profile: 256 colours, no sparkline, at most 5 frames a second",
    )
    parser.add_argument(
        "--no-mouse",
        dest="mouse",
        action="store_false",
        default=None,
        help="leave the mouse to the terminal (its own text selection works)",
    )


def add_trust_endpoint_argument(parser: argparse.ArgumentParser) -> None:
    """``--trust-endpoint``: only on the command line, so no settings file can set it."""
    parser.add_argument(
        "--trust-endpoint",
        action="store_true",
        help="send the stored secret to the configured token URL even though it was "
        "verified with another host (prefer 'sor-tui login --oauth-url ...')",
    )


def add_profile_argument(parser: argparse.ArgumentParser) -> None:
    """``--profile NAME``: whose saved workspaces to restore (default: the environment)."""
    parser.add_argument("--profile", help="workspace profile (default: the environment's name)")


def with_profile(
    settings: Settings, args: argparse.Namespace, chosen: dict[str, object], default: str
) -> tuple[Settings, ProfileWorkspaces]:
    """The profile's workspaces; their markets unless markets were given on the command line."""
    workspaces = open_profile(getattr(args, "profile", None) or default)
    markets = workspaces.book.active().markets
    if markets and not getattr(args, "markets", None):
        settings = load_settings(**chosen, markets=",".join(markets))
    return settings, workspaces


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """``--record`` and ``--record-dir`` (shared by ``tui`` and ``demo``)."""
    parser.add_argument(
        "--record", action="store_true", default=None, help="record raw frames from the start"
    )
    parser.add_argument("--record-dir", help="directory for recordings (default: data dir)")


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """Settings given on the command line (they win over env, .env and the TOML file)."""
    names = ("environment", "markets", "ws_url", "oauth_url", "theme", "record", "record_dir")
    chosen = {name: getattr(args, name) for name in names if getattr(args, name, None)}
    if getattr(args, "fps", None):
        chosen["render_rate"] = args.fps
    if getattr(args, "low_bandwidth", None):
        chosen["low_bandwidth"] = True
    if getattr(args, "mouse", None) is False:
        chosen["mouse"] = False
    return chosen


def _demo(settings: Settings) -> FeedSource:
    """The demo offered on the welcome screen when there are no credentials."""
    from sor_tui.commands.demo import demo_source  # demo imports this module's options

    return demo_source(settings)


def run_app_with(
    settings: Settings,
    store: CredentialStore,
    workspaces: ProfileWorkspaces | None = None,
    *,
    trust_endpoint: bool = False,
) -> int:
    """Resolve credentials, then run the desk until the user quits."""
    problems = [Problem("settings", "secret_file", text) for text in secret_file_warnings()]
    try:
        credentials = resolve_credentials(settings, store, trust_endpoint=trust_endpoint)
    except UnboundEndpointError as error:
        problems.append(Problem("keyring", "unbound_endpoint", error.message))
        credentials = None
    except StoreLockedError as error:
        # Asked in the app's own masked input (credentials screen), never on stdin here.
        problems.append(Problem("keyring", "credentials_locked", error.message))
        credentials = None
    except CredentialStoreError as error:
        # Shown in the error pane (and a toast) instead of scrolling past before the TUI.
        problems.append(Problem("keyring", "keyring_unavailable", error.message))
        credentials = None
    source = LiveSource(settings, credentials) if credentials is not None else None
    logs = setup_logging(settings)  # before the feed starts: its redaction covers the file
    try:
        problems.extend(logs.problems)
        app = make_app(
            settings,
            source=source,
            store=store,
            startup_problems=tuple(problems),
            tune_gc=True,
            workspaces=workspaces,
            demo_source=lambda: _demo(settings),
        )
        app.run(mouse=app.config.mouse)
    finally:
        logs.close()
    return app.return_code or 0


def run(args: argparse.Namespace) -> int:
    """Run the ``tui`` command."""
    try:
        settings = load_settings(**overrides(args))
        settings, workspaces = with_profile(settings, args, overrides(args), settings.environment)
    except ConfigError as error:
        print(f"sor-tui: {error}", file=sys.stderr)
        return 2
    return run_app_with(
        settings, open_store(settings), workspaces, trust_endpoint=args.trust_endpoint
    )
