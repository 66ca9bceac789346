"""``sor-tui stream`` prints fired and resolved alerts as JSON Lines; rules from config.toml."""

from __future__ import annotations

from sor_tui.config import paths
from tests.transport.feed_harness import simulator
from tests.transport.test_stream import finish, stream
from tests.waiting import wait_until

CONFIG = """\
# the desk's own settings stay as they are
render_rate = 20

[alerts]
silent_seconds = 0.5
clear_seconds = 0.2
desktop = false

[[alerts.rules]]
id = "wide"
kind = "spread_wide"
market = "BTCUSD"
bps = "0.0001"
"""


async def test_the_stream_prints_fired_and_resolved_alert_lines() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG)
    async with simulator() as sim, stream(sim, "--markets", "BTCUSD") as proc:
        await wait_until(lambda: proc.of("alert"), within=15, what="the spread alert")
        (wide,) = proc.of("alert")
        assert wide["rule"] == "wide" and wide["state"] == "fired"
        assert wide["kind"] == "spread_wide" and wide["market"] == "BTCUSD"
        assert wide["detail"].startswith("spread ") and wide["detail"].endswith(" bps")
        sim.pause()  # the market stalls, heartbeats go on
        await wait_until(
            lambda: any(a["rule"] == "market-silent" for a in proc.of("alert")),
            within=15,
            what="the silence alert",
        )
        sim.resume()
        await wait_until(
            lambda: (
                [a["state"] for a in proc.of("alert") if a["rule"] == "market-silent"]
                == ["fired", "resolved"]
            ),
            within=15,
            what="the silence alert resolved",
        )
        proc.process.send_signal(2)
        code, _ = await finish(proc)
    assert code == 0
    silent = [a for a in proc.of("alert") if a["rule"] == "market-silent"]
    assert silent[0]["title"] == "BTCUSD silent 0.5 s (adapts to its rate) while connected"
    assert all(set(a) >= {"event", "state", "rule", "wall_ns", "severity"} for a in silent)
