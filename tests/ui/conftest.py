"""Builders for the desk app under test, through the same ``make_app`` the CLI uses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.runtime.clock import FrozenClock
from sor_tui.ui.app import SorApp
from sor_tui.ui.factory import make_app
from tests.ui.fakes import MARKETS, FakeFeed, FakeSource

AppBuilder = Callable[..., SorApp]


def build_app(
    feed: FakeFeed | None = None, *, with_source: bool = True, **settings: object
) -> SorApp:
    """A desk app on a fake feed with a frozen clock (deterministic pixels)."""
    values: dict[str, object] = {"markets": ",".join(MARKETS), "render_rate": 20}
    values.update(settings)
    source = FakeSource(feed or FakeFeed()) if with_source else None
    return make_app(
        Settings(**values),  # type: ignore[arg-type]
        source=source,
        store=CredentialStore(),
        clock=FrozenClock(),
    )


@pytest.fixture
def desk_app() -> AppBuilder:
    """Build a desk app on a fake feed."""
    return build_app
