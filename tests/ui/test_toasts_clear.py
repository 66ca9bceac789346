"""Toasts never cover a dialog's controls (seen at 80x24 on the welcome dialog)."""

from __future__ import annotations

import pytest
from textual.widget import Widget
from textual.widgets import Button, Input

from tests.ui.conftest import AppBuilder

LONG = (
    "keyring_unavailable: no usable keyring backend was found; set SOR_CLIENT_SECRET, use a "
    ".env file readable only by you, or install an encrypted backend"
)


def _controls(screen: Widget) -> list[Widget]:
    return [w for w in screen.query("*") if isinstance(w, Button | Input) and w.display]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
async def test_toasts_stay_off_the_welcome_dialogs_buttons(
    desk_app: AppBuilder, size: tuple[int, int]
) -> None:
    app = desk_app(with_source=False)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "WelcomeScreen"
        for number in range(4):
            app.notify(LONG, title=f"problem {number}", severity="error", timeout=30)
        await pilot.pause()
        await pilot.pause()
        toasts = [w for w in app.screen.query("Toast") if w.region.area]
        buttons = _controls(app.screen)
        assert len(buttons) == 3
        for toast in toasts:
            for button in buttons:
                assert not toast.region.overlaps(button.region), (toast.region, button.region)
        # the keys still work
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ != "WelcomeScreen"
