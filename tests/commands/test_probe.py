"""``sor-tui probe`` against the simulator: it names each variant the simulator runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from sor_tui.cli import main
from sor_tui.commands.probe import probe
from sor_tui.config.credentials import Credentials
from sor_tui.config.settings import load_settings
from sor_tui.core.probe_report import decimal_form, error_shape
from sor_tui.transport.status import FeedState
from tests.transport.feed_harness import simulator

DURATION = 1.5


async def probe_sim(*scenarios: str, **sim_changes: Any) -> dict[str, Any]:
    """Probe a simulator running ``scenarios`` for a short while; return the report."""
    sim_changes.setdefault("heartbeat_interval", 0.2)
    async with simulator(scenarios=list(scenarios), **sim_changes) as sim:
        settings = load_settings(
            environment="demo",
            ws_url=sim.ws_url,
            oauth_url=sim.oauth_url,
            markets=("BTCUSD",),
        )
        credentials = Credentials(sim.client_id, SecretStr(sim.client_secret), "env")
        report, state = await probe(settings, credentials, DURATION)
        assert state is FeedState.STOPPED
        text = json.dumps(report)
        assert sim.client_secret not in text and sim.client_id not in text
        issued = list(sim.tokens._tokens)
        assert issued and not any(token in text for token in issued)
        return report


async def test_default_server() -> None:
    report = await probe_sim()
    assert report["handshake"] == "accepted (101)"
    assert report["connections"] == 1
    assert report["token"]["lifetime_s"] == 3600
    assert report["compression"] == []
    assert report["heartbeat"]["interval_s"] == pytest.approx(0.2, abs=0.05)
    assert report["timestamps"]["trimmed"] is True
    assert report["timestamps"]["offsets"] == {"Z": report["timestamps"]["offsets"]["Z"]}
    assert report["results"]["params"].get("missing", 0) == 0
    assert report["subscription_list"]["params"].get("missing", 0) == 0
    assert report["errors"]["unknown_market_answer"] == "per_channel"
    assert report["snapshot_latency_ms"]["BTCUSD"] > 0
    assert report["updates_per_second"]["BTCUSD"] > 1
    assert abs(report["server_clock"]["offset_ms"]) < 1000
    assert "signed_zero" not in report["decimals"]["forms"]


async def test_heartbeat_interval() -> None:
    report = await probe_sim("heartbeat_interval:seconds=0.5")
    assert report["heartbeat"]["interval_s"] == pytest.approx(0.5, abs=0.1)


async def test_list_and_results_without_params() -> None:
    report = await probe_sim("list_without_params", "legacy_results")
    assert report["results"]["params"] == {"missing": report["results"]["params"]["missing"]}
    assert report["subscription_list"]["params"].get("echoed", 0) == 0
    assert report["subscription_list"]["params"]["missing"] >= 1


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ("no_success", "per_channel_no_success"),
        ("channels_null", "request_channels_null"),
        ("bare", "bare_error"),
        ("type_error_code", "type_error_code"),
    ],
)
async def test_refusal_shapes(form: str, named: str) -> None:
    report = await probe_sim(f"result_error_shape:form={form}")
    assert report["errors"]["unknown_market_answer"] == named


async def test_clock_offset() -> None:
    report = await probe_sim("clock_offset:seconds=360")
    assert report["server_clock"]["offset_ms"] == pytest.approx(360_000, abs=1_000)
    assert report["server_clock"]["source"] == "heartbeat"


async def test_compression() -> None:
    report = await probe_sim("compress")
    assert report["compression"] == ["permessage-deflate"]
    assert report["frames"]["unparsed"] == 0


async def test_signed_zero_and_mixed_decimals() -> None:
    report = await probe_sim("signed_zero", "mixed_decimals", rate=200.0)
    assert report["decimals"]["zero_spellings"].get("-0", 0) > 0
    assert {"integer", "trailing_zeros", "minimal"} <= set(report["decimals"]["forms"])


async def test_close_code() -> None:
    report = await probe_sim("close:code=1001,after_frames=40", rate=100.0)
    assert report["close_codes"].get("1001", 0) >= 1
    assert report["connections"] >= 2


def test_decimal_forms_and_error_shapes() -> None:
    assert [decimal_form(t) for t in ("3150", "3150.00", "3150.5", "-0", "-1", "1e3")] == [
        "integer",
        "trailing_zeros",
        "minimal",
        "signed_zero",
        "signed",
        "other",
    ]
    assert error_shape({"type": "subscribe", "channels": [{"type": "x", "success": True}]}) is None
    assert error_shape({"type": "error", "error": "X"}) == "type_error"
    assert error_shape({"type": "subscribe", "error": "X"}) == "request_under_type"


def test_probe_command_writes_a_json_report_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "probe.json"
    args = ["probe", "--sim", "--duration", "1.2", "--markets", "BTCUSD", "--json", str(out)]
    assert main([*args, "--scenario", "compress"]) == 0
    printed = capsys.readouterr().out
    assert "compression: permessage-deflate" in printed
    assert "handshake: accepted (101)" in printed
    report = json.loads(out.read_text())
    assert report["compression"] == ["permessage-deflate"]
    assert "demo-secret" not in out.read_text() and "demo-client" not in out.read_text()


def test_probe_command_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--duration", "0"]) == 2
    assert main(["probe", "--scenario", "compress"]) == 2
    assert "needs --sim" in capsys.readouterr().err


def test_a_hostile_server_cannot_grow_the_report() -> None:
    from sor_tui.core.probe_report import DISTINCT_MAX, ProbeObserver

    observer = ProbeObserver("ZZZPROBEUSD")
    for index in range(5 * DISTINCT_MAX):
        frame = {
            "channel": f"chan{index}",
            "payload": {"market": f"M{index}", "type": "UPDATE", "time": "2026-01-01T00:00:00Z"},
        }
        observer.frame(json.dumps(frame), index)
        observer.frame(json.dumps({**frame, "channel": "market_data"}), index)
    report = observer.report()
    assert len(report["channels"]) <= DISTINCT_MAX + 1
    assert len(report["updates_per_second"]) <= DISTINCT_MAX + 1
