"""The demo/live source wiring: recording (--record, ctrl+r, REC) and the demo's token test."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from sor_tui.record.reader import read_recording
from sor_tui.runtime.sources import DemoSource
from sor_tui.ui.screens.credentials import CredentialsScreen
from sor_tui.ui.widgets.secret_input import SecretInput
from tests.ui.test_flows_sim import _live, demo_app
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_record_setting_records_from_the_start_and_ctrl_r_toggles(tmp_path: Path) -> None:
    app = demo_app(record=True, record_dir=str(tmp_path / "rec"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
        source = app.source
        assert isinstance(source, DemoSource) and source.recording is not None
        assert source.recording.active
        await wait_until(lambda: app.desk.status_bar.line.recording, pilot=pilot)
        first = source.recording.path
        assert first is not None
        await pilot.press("ctrl+r")
        assert not source.recording.active
        await wait_until(lambda: not app.desk.status_bar.line.recording, pilot=pilot)
        await pilot.press("ctrl+r")
        assert source.recording.active and source.recording.path != first
        await pilot.press("q")
    recording = read_recording(first)
    marks = [(e.mark, e.market) for e in recording.entries if e.mark]
    assert ("begin_sync", "BTCUSD") in marks
    assert any(e.frame is not None and not e.synthetic for e in recording.entries)
    assert recording.header.markets == ("BTCUSD", "ETHUSD")
    assert len(list((tmp_path / "rec").iterdir())) >= 2  # the second file (and executions)


async def test_without_the_setting_nothing_is_recorded(tmp_path: Path) -> None:
    app = demo_app(record_dir=str(tmp_path / "rec"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
        source = app.source
        assert isinstance(source, DemoSource) and source.recording is not None
        assert not source.recording.active and not app.desk.status_bar.line.recording
    assert not (tmp_path / "rec").exists() or list((tmp_path / "rec").iterdir()) == []


async def test_demo_credentials_test_asks_the_simulator_not_the_environment() -> None:
    app = demo_app(oauth_url="https://oauth.example.invalid/oauth2/token")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
        source = app.source
        assert isinstance(source, DemoSource) and source.simulator is not None
        await pilot.press("k")
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        assert screen.context.oauth_url == source.simulator.oauth_url
        screen.query_one("#client-secret", SecretInput).value = source.simulator.client_secret
        await pilot.press("ctrl+t")
        result = screen.query_one("#credentials-result", Static)
        await wait_until(lambda: str(result.render()).startswith("OK"), pilot=pilot)
