"""SVG snapshots of the Alerts tab at 80x24 and 160x48 (fake feed, frozen clock)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from sor_tui.runtime.clock import FrozenClock
from sor_tui.transport.status import Problem, SubscriptionsChanged
from sor_tui.ui.app import SorApp
from tests.ui.conftest import build_app
from tests.ui.fakes import FakeFeed, entries

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
SnapCompare = Callable[..., bool]
RULES = [
    {"kind": "spread_wide", "market": "BTCUSD", "bps": "0.0001", "id": "btc-spread"},
    {"kind": "price_cross", "market": "ETHUSD", "price": "9999", "direction": "up"},
]


def alerts_scene() -> SorApp:
    """Firing (a wide spread, a refused subscription), pending (token) and an armed rule."""
    script = [
        SubscriptionsChanged(entries(error_market="NOPEUSD")),
        Problem("token", "server_error", "access token: HTTP 503"),
    ]
    return build_app(
        FakeFeed(script=script), alerts={"rules": RULES, "bell": False, "desktop": False}
    )


async def show_alerts(pilot: Pilot[Any], *keys: str) -> None:
    """Two evaluations a moment apart, then the Alerts tab (no toasts, no blinking)."""
    app = pilot.app
    assert isinstance(app, SorApp) and isinstance(app.clock, FrozenClock)
    await pilot.pause()
    for _ in range(2):
        app.clock.advance(0.5)
        app.render_frame()
        await pilot.pause()
    await pilot.press("exclamation_mark", *keys)
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


class TestAlertsTab:
    """The Alerts tab: every alert by phase, and the history view."""

    @pytest.mark.parametrize("size", SIZES)
    def test_alerts(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # !: the Alerts tab, firing first, then pending, then the armed market rule
        assert snap_compare(alerts_scene(), terminal_size=size, run_before=show_alerts)

    @pytest.mark.parametrize("size", SIZES)
    def test_history(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        async def history(pilot: Pilot[Any]) -> None:
            await show_alerts(pilot, "v", "v", "v", "v")  # all -> ... -> history

        assert snap_compare(alerts_scene(), terminal_size=size, run_before=history)
