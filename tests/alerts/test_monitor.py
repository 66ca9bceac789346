"""The alert monitor reads the desk state: a failed recording, the server clock offset."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from sor_tui.config.alert_rules import alert_rules
from sor_tui.config.alert_settings import AlertSettings
from sor_tui.core.alerts.monitor import AlertMonitor
from sor_tui.core.state import DeskState
from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState

RULES = alert_rules(AlertSettings(clock_offset_ms=Decimal(250), pending_seconds=1.0))


def transitions(monitor: AlertMonitor, state: object, now: float, **kwargs: object) -> list[str]:
    events = monitor.evaluate(state, [], now, 0, **kwargs)  # type: ignore[arg-type]
    return [f"{e.rule_id} {e.transition.value}" for e in events]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_recording_that_fails_to_write_alerts(tmp_path: Path) -> None:
    state = RecordingDeskState()
    recorder = Recorder(tmp_path / "r.sorrec", flush_interval=60)
    state.start_recording(recorder)
    monitor = AlertMonitor(RULES)
    assert transitions(monitor, state, 0.0) == []
    recorder._file.close()
    recorder._file = open("/dev/full", "wb", buffering=0)  # noqa: SIM115 - a full disk
    state.frame('{"channel":"heartbeat"}', 1)
    recorder.flush()
    assert recorder.error is not None and "OSError" in recorder.error
    assert transitions(monitor, state, 1.0) == ["recording-failed fired"]
    (alert,) = [a for a in monitor.engine.views(1.0) if a.key[0] == "recording-failed"]
    assert "recording stopped" in alert.detail
    recorder.close()
    state.stop_recording()
    assert transitions(monitor, state, 2.0) == ["recording-failed resolved"]


def test_the_clock_offset_rule_takes_an_offset_value() -> None:
    monitor = AlertMonitor(RULES)
    state = DeskState()
    assert transitions(monitor, state, 0.0, clock_offset_ms=Decimal(-300)) == []  # pending
    assert transitions(monitor, state, 1.0, clock_offset_ms=Decimal(-300)) == ["clock-offset fired"]
    assert transitions(monitor, state, 2.0, clock_offset_ms=Decimal(100)) == []  # clearing
    assert transitions(monitor, state, 4.0, clock_offset_ms=Decimal(100)) == [
        "clock-offset resolved"
    ]


def test_the_clock_offset_is_read_from_the_desk_states_server_clock() -> None:
    monitor = AlertMonitor(RULES)
    state = DeskState()
    transitions(monitor, state, 0.0)
    assert [a for a in monitor.engine.views(0.0) if a.key[0] == "clock-offset"] == []
    state.server_clock.heartbeat(server_ns=10**18 + 400_000_000, local_ns=10**18)
    transitions(monitor, state, 0.0)
    assert transitions(monitor, state, 1.0) == ["clock-offset fired"]
    (alert,) = [a for a in monitor.engine.views(1.0) if a.key[0] == "clock-offset"]
    assert alert.detail == "server clock offset 400 ms"
