"""A recording that cannot be written is shown: REC FAILED in the status bar, the error pane."""

from __future__ import annotations

from pathlib import Path

import pytest

from sor_tui.record.reader import read_recording
from sor_tui.runtime.sources import DemoSource
from tests.record.disk_full import fill_disk_under
from tests.ui.test_flows_sim import _live, demo_app
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def _logged_codes(app: object) -> list[str]:
    problems = app.desk.error_log.problems  # type: ignore[attr-defined]
    return [problem.code for _, problem in problems]


async def test_a_full_disk_turns_rec_into_rec_failed_and_logs_it(tmp_path: Path) -> None:
    app = demo_app(record=True, record_dir=str(tmp_path / "rec"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
        source = app.source
        assert isinstance(source, DemoSource) and source.recording is not None
        path = source.recording.path
        assert path is not None
        await wait_until(lambda: app.desk.status_bar.line.recording, pilot=pilot)
        assert not app.desk.status_bar.line.recording_error
        fill_disk_under(path)  # the disk under the open recording is now full
        await wait_until(
            pilot=pilot, condition=lambda: bool(app.desk.status_bar.line.recording_error)
        )
        line = app.desk.status_bar.line
        assert "No space left on device" in line.recording_error
        assert "REC FAILED" in str(app.desk.status_bar.render())
        await wait_until(lambda: "recording_failed" in _logged_codes(app), pilot=pilot)
        await pilot.pause(0.3)
        assert _logged_codes(app).count("recording_failed") == 1  # once, not every frame
        await pilot.press("ctrl+r")  # stop the failed recording: the badge goes
        await wait_until(
            pilot=pilot, condition=lambda: not app.desk.status_bar.line.recording_error
        )
        assert "REC" not in str(app.desk.status_bar.render())
    # What was written before the disk filled stays readable.
    assert read_recording(path).header.markets == ("BTCUSD", "ETHUSD")


async def test_a_recording_folder_that_cannot_be_made_shows_rec_failed(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recordings folder should be")
    app = demo_app(record=True, record_dir=str(blocker / "rec"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
        await wait_until(lambda: "recording_failed" in _logged_codes(app), pilot=pilot)
        line = app.desk.status_bar.line
        assert not line.recording and "cannot record in" in line.recording_error
        assert "REC FAILED" in str(app.desk.status_bar.render())
