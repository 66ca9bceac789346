"""Over SSH: the pause key, the link in the status bar, and the options people expect."""

from __future__ import annotations

import argparse

from sor_tui.commands.tui import add_display_arguments, overrides
from sor_tui.config.settings import Settings, load_settings
from sor_tui.core.frame_pacing import LinkFigures
from sor_tui.runtime.clock import FrozenClock
from sor_tui.ui.factory import make_app, render_rate
from sor_tui.ui.terminal_link import DisplayPause, with_link
from sor_tui.ui.widgets.book_ladder import BookLadder
from sor_tui.ui.widgets.status_bar import StatusLine
from sor_tui.ui.widgets.trade_tape import TradeTape
from tests.ui.conftest import AppBuilder
from tests.ui.fakes import FakeFeed, build_state


async def test_pause_freezes_the_display_and_resume_shows_the_latest(
    desk_app: AppBuilder,
) -> None:
    feed = FakeFeed()
    app = desk_app(feed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        ladder = app.desk.query_one("#ladder-0", BookLadder)
        before = ladder.view
        await pilot.press("space")  # pause
        feed.state = build_state(seed=99)  # the feed moves on
        app.composer.invalidate()
        assert isinstance(app.clock, FrozenClock)
        app.clock.advance(12)
        await pilot.pause(0.3)  # the bar redraws running numbers at most 4 times a second
        app.render_frame()
        await pilot.pause()
        assert ladder.view is before  # frozen
        bar = app.desk.status_bar
        assert bar.line.paused_for == 12
        shown = bar.render().plain
        assert shown.startswith(" demo  PAUSED 12s ")  # first after the environment
        await pilot.press("space")  # resume
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        assert ladder.view is not before
        assert bar.line.paused_for is None


async def test_the_paused_badge_is_never_cut_at_80_columns(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = StatusLine(
            environment="production",
            state="RECONNECTING",
            detail="connection closed by the server: a long explanation " * 3,
            retry_in=12.0,
            token_expires_in=3500,
            messages_per_second=51_234,
            lag_ms=1234,
            reconnects=12,
            recording=True,
            screen_lag_ms=2300,
            frames_per_second=3,
            terminal_bound=True,
            paused_for=3725,
        )
        bar = app.desk.status_bar
        bar.line = line  # rendered at once: the frame timer would show the feed's line
        visible = bar.render().plain[: bar.size.width]
        assert bar.size.width == 80
        assert "PAUSED 1h02m" in visible and "REC" in visible


def test_the_status_line_shows_screen_lag_rate_and_a_slow_link() -> None:
    pause = DisplayPause()
    base = StatusLine(environment="demo", state="CONNECTED")
    fast = with_link(base, LinkFigures(12.0, 20.0, False, True), pause, 0.0)
    assert fast.screen_lag_ms == 12.0 and fast.frames_per_second == 20.0
    slow = with_link(base, LinkFigures(850.0, 2.5, True, True), pause, 0.0)
    silent = with_link(base, LinkFigures(None, 20.0, False, False), pause, 0.0)
    assert silent.frames_per_second is None and silent.screen_lag_ms is None
    texts = {}
    for name, line in (("fast", fast), ("slow", slow)):
        texts[name] = "".join(part for part in _parts(line))
    assert "screen 12 ms 20 fps" in texts["fast"] and "slow link" not in texts["fast"]
    assert texts["slow"].startswith(" demo  CONNECTED │ slow link 850 ms 2 fps")


def _parts(line: StatusLine) -> list[str]:
    from sor_tui.ui.widgets.status_bar import StatusBar

    bar = StatusBar()
    bar.line = line
    bar.get_component_rich_style = lambda *a, **k: None  # type: ignore[method-assign]
    return [bar.render().plain]


def test_fps_low_bandwidth_and_mouse_options() -> None:
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    chosen = overrides(parser.parse_args(["--fps", "7", "--low-bandwidth", "--no-mouse"]))
    assert chosen == {"render_rate": 7.0, "low_bandwidth": True, "mouse": False}
    assert overrides(parser.parse_args([])) == {}
    assert render_rate(Settings(low_bandwidth=True)) == 5.0  # the profile's rate
    assert render_rate(Settings(low_bandwidth=True, render_rate=12)) == 12.0  # chosen wins
    assert make_app(Settings(mouse=False)).config.mouse is False  # app.run(mouse=...) reads it


def test_sor_render_rate_and_friends_from_the_environment(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("SOR_RENDER_RATE", "8")
    monkeypatch.setenv("SOR_MOUSE", "false")
    monkeypatch.setenv("SOR_LOW_BANDWIDTH", "true")
    settings = load_settings()
    assert settings.render_rate == 8 and settings.mouse is False and settings.low_bandwidth
    assert render_rate(settings) == 8  # SOR_RENDER_RATE is a choice too


async def test_low_bandwidth_drops_the_sparkline(desk_app: AppBuilder) -> None:
    app = desk_app(low_bandwidth=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.render_frame()
        await pilot.pause()
        tape = app.desk.query_one(TradeTape)
        assert tape.show_sparkline is False
        assert app.span_writer is not None and app.span_writer.color_system.name == "EIGHT_BIT"
