"""The named, deterministic app states shared by the snapshot tests and make_screenshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from sor_tui.runtime.clock import FrozenClock
from sor_tui.transport.status import (
    FeedState,
    FeedStatus,
    Problem,
    StatusChanged,
    SubscriptionsChanged,
)
from sor_tui.ui.app import SorApp
from tests.ui.chart_history import add_history, gap_script
from tests.ui.conftest import build_app
from tests.ui.fakes import FakeFeed, build_state, entries, problems


@dataclass(frozen=True)
class Scene:
    """A fake feed's script and the keys pressed before the picture."""

    name: str
    keys: tuple[str, ...] = ()
    status: FeedStatus | None = None
    stale: bool = False
    script: tuple[object, ...] = field(default_factory=tuple)
    history: bool = False  # 45 minutes of BTCUSD prints with a disconnect (chart pictures)


_MONO = FrozenClock().mono

SCENES = {
    scene.name: scene
    for scene in (
        Scene("desk", script=(SubscriptionsChanged(entries()),)),
        Scene("desk-tape-shown", keys=("t",), script=(SubscriptionsChanged(entries()),)),
        Scene(
            "reconnecting",
            status=FeedStatus(
                FeedState.RECONNECTING,
                "connection lost (1006); retrying",
                retry_at=_MONO + 3.2,
                attempt=2,
            ),
            stale=True,
        ),
        Scene(
            "auth-failed",
            status=FeedStatus(
                FeedState.AUTH_FAILED, "invalid_client: the client id or secret was rejected"
            ),
            stale=True,
            script=(Problem("token", "invalid_client", "the client id or secret was rejected"),),
        ),
        Scene(
            "subscriptions",
            keys=("s", "down", "down", "down", "down", "down", "down", "down", "down", "down"),
            script=(
                SubscriptionsChanged(entries(error_market="NOPEUSD")),
                Problem(
                    "channel",
                    "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
                    "subscribe market_data NOPEUSD refused",
                    "NOPEUSD",
                ),
            ),
        ),
        Scene("errors", keys=("e",), script=tuple(problems())),
        Scene("credentials", keys=("k",)),
        Scene("help", keys=("question_mark",)),
        Scene("chart-candles", keys=("v",), history=True, script=gap_script()),
        Scene("chart-depth", keys=("v", "v", "v"), history=True),
        Scene("board", keys=("m",), history=True),
    )
}


def build_scene(scene: Scene) -> SorApp:
    """The desk app showing ``scene`` once its first frame is drawn."""
    state = build_state()
    if scene.history:
        add_history(state)
    if scene.stale:
        state.connection_lost()
    feed = FakeFeed(state=state, script=list(scene.script))
    if scene.status is not None:
        feed.status = scene.status
        feed.script.insert(0, StatusChanged(scene.status))
    return build_app(feed)


async def prepare(pilot: Pilot[Any], scene: Scene, *, toasts: bool = False) -> None:
    """Draw one frame from the fake state, press the scene's keys, stop cursor blinking.

    Toasts arrive on the real-time frame timer, so whether one is up yet is a race:
    compared snapshots drop them (their flows assert notifications instead); the README
    pictures keep them.
    """
    await pilot.pause()
    pilot.app.render_frame()
    await pilot.pause()
    for key in scene.keys:
        await pilot.press(key)
    # A blinking cursor would make two pictures of the same state differ.
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()
    if not toasts:
        pilot.app.clear_notifications()
        await pilot.pause()
