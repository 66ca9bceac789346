"""The TUI logs to Settings.log_file only, through the redaction filter, never to stderr."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from sor_tui.config.settings import Settings
from sor_tui.runtime.sources import DemoSource
from sor_tui.ui.logfile import setup_logging
from tests.ui.test_flows_sim import _live, demo_app
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def _settings(**values: Any) -> Settings:
    return Settings(**values)


async def test_the_log_file_gets_records_with_secrets_redacted(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "tui.log"
    logs = setup_logging(_settings(log_file=path, log_level="DEBUG"))
    try:
        app = demo_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(lambda: _live(app, "BTCUSD"), pilot=pilot)
            source = app.source
            assert isinstance(source, DemoSource) and source.simulator is not None
            secret = source.simulator.client_secret
            # websockets logs request headers at DEBUG on a child logger.
            logging.getLogger("websockets.client").debug("> Authorization: Bearer abc.def")
            logging.getLogger("sor_tui.test").warning("secret is %s", secret)
    finally:
        logs.close()
    text = path.read_text(encoding="utf-8")
    assert "secret is [REDACTED]" in text and secret not in text
    assert "abc.def" not in text and "Authorization: Bearer [REDACTED]" in text
    assert path.stat().st_mode & 0o077 == 0
    assert not logs.handlers and logs.problems == []


def test_without_a_log_file_nothing_reaches_the_terminal(
    capfd: pytest.CaptureFixture[str],
) -> None:
    logs = setup_logging(_settings())
    # Python's last-resort stderr handler only runs when no handler exists at all.
    assert [type(h) for h in logs.handlers] == [logging.NullHandler]
    try:
        logging.getLogger("sor_tui.test").error("must not reach stderr")
    finally:
        logs.close()
    captured = capfd.readouterr()
    assert "must not reach stderr" not in captured.err + captured.out


def test_an_unwritable_log_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    logs = setup_logging(_settings(log_file=blocker / "tui.log"))
    logs.close()
    assert [p.code for p in logs.problems] == ["log_file"]
