"""Benchmark 3: the desk TUI headless (``run_test``) fed through the real path at fixed rates.

The simulator runs in its own process at a fixed UPDATE rate split over two markets, with
``market_data``, ``execution_data`` and ``heartbeat`` subscribed (the app's defaults). The app
is built by ``make_app`` with a ``LiveSource`` pointed at the simulator, so the whole client
runs: token fetch, websockets, session, decode, desk state, frame timer, ladders, tape.

What is measured, over a window after warm-up:

- ingest: decoded messages/s applied to the desk state (``DeskState.events``);
- update-to-screen: for every UPDATE, from its exchange ``time`` (the simulator stamps it with
  the shared wall clock when it generates it) to the first line the compositor paints
  (``BookLadder.render_line``) of a view that contains it (``last_update_ns`` >= its time).
  Headless Textual composes every frame but skips encoding it for a terminal, so that last
  step is not included;
- keypress: ``g`` (cycle price grouping) is simulated every 250 ms; "handled" is key to the
  desk action having run (its ``MarketFocused`` message is dispatched), "to screen" is key to
  the first ladder render showing the new grouping (it waits for the next frame tick);
- CPU: ``time.process_time`` of this process (app + client) and /proc of the simulator.

The ladders' ``render_line`` is wrapped per instance to take these timestamps; the wrapper and the
per-UPDATE timestamp list cost well under 1 µs a message and are included in the CPU.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import defaultdict
from typing import Any

from pydantic import SecretStr
from textual.message import Message

from bench.harness import CpuMeter, Row, percentile
from bench.simproc import CLIENT_ID, CLIENT_SECRET, SimProcess, simulator
from sor_tui.config.credentials import Credentials
from sor_tui.config.settings import Settings, load_settings
from sor_tui.core.events import BookUpdate
from sor_tui.core.state import DeskState
from sor_tui.core.views import BookStatus
from sor_tui.runtime.sources import LiveSource
from sor_tui.ui.factory import make_app
from sor_tui.ui.messages import MarketFocused
from sor_tui.ui.widgets.book_ladder import BookLadder

NAME = "tui"
MARKETS = ("BTCUSD", "ETHUSD")
SIZE = (200, 62)  # wide enough for both ladders; tall enough for 27 levels a side
KEY_PERIOD = 0.25
FAST_STEPS_FROM = 10_000
"""Offered rates from which the simulator uses its cheap steps (``sor-tui sim --fast-steps``)."""


class SimSource(LiveSource):
    """The real client path (token provider + feed) pointed at the simulator process."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, Credentials(CLIENT_ID, SecretStr(CLIENT_SECRET), "env"))
        self.environment = "demo"


class Recorder:
    """Timestamps of UPDATE arrivals, ladder renders and key presses."""

    def __init__(self) -> None:
        self.active = False
        self.updates: dict[str, list[int]] = defaultdict(list)
        self.renders: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.key_sent: float | None = None
        self.key_handled: list[float] = []
        self.key_screen: list[float] = []
        self._screen_pending = False
        self._handled_pending = False
        self._group_seen: object = None

    def wrap_inbox(self, on_event: Any) -> Any:
        """The feed callback, recording each UPDATE's market and exchange time first."""
        updates = self.updates

        def record(event: Any) -> None:
            if self.active and type(event) is BookUpdate:
                updates[event.market].append(event.time_ns)
            on_event(event)

        return record

    def wrap_ladder(self, ladder: BookLadder, first: bool) -> None:
        """Time the first painted line of each new view (an instance attribute shadows it).

        ``render_line`` is Textual's public per-line paint call: the compositor asks for the
        lines of a refreshed widget when it composes the frame, whatever the widget's own
        drawing code is.
        """
        original = ladder.render_line
        shown: list[object] = [None]

        def render_line(y: int) -> Any:
            result = original(y)
            view = ladder.view
            if view is not shown[0]:
                shown[0] = view
                if self.active and view is not None and view.last_update_ns is not None:
                    self.renders[ladder.market].append((time.time_ns(), view.last_update_ns))
            if first and self._screen_pending and ladder.group != self._group_seen:
                self._screen_pending = False
                if self.key_sent is not None:
                    self.key_screen.append(time.perf_counter() - self.key_sent)
            if first:
                self._group_seen = ladder.group
            return result

        ladder.render_line = render_line  # type: ignore[method-assign]

    def on_message(self, message: Message) -> None:
        """``run_test`` message hook: the desk action of the key ran."""
        if isinstance(message, MarketFocused) and self._handled_pending:
            self._handled_pending = False
            if self.key_sent is not None:
                self.key_handled.append(time.perf_counter() - self.key_sent)

    def press(self) -> None:
        """Note the time of a key press."""
        self.key_sent = time.perf_counter()
        self._screen_pending = True
        self._handled_pending = True

    def latencies_ms(self) -> list[float]:
        """Per UPDATE: first render that contains it minus its exchange time, in ms."""
        out: list[float] = []
        for market, times in self.updates.items():
            renders = self.renders.get(market, [])
            shown = [shown_ns for _, shown_ns in renders]
            # A later render never shows an older book, so "shown" is non-decreasing; keep
            # a running maximum anyway so bisect stays valid.
            running: list[int] = []
            top = 0
            for value in shown:
                top = max(top, value)
                running.append(top)
            for time_ns in times:
                index = bisect.bisect_left(running, time_ns)
                if index < len(renders):
                    out.append((renders[index][0] - time_ns) / 1e6)
        return out


async def _wait_live(app: Any, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while True:
        feed = app.feed
        if feed is not None:
            books = [feed.state.book(m) for m in MARKETS]
            if all(b is not None and b.status is BookStatus.LIVE for b in books):
                return
        if time.monotonic() > deadline:
            raise TimeoutError("books did not become LIVE")
        await asyncio.sleep(0.05)


async def measure(
    sim: SimProcess, seconds: float, warmup: float, *, tune_gc: bool = True, chart: str = "off"
) -> dict[str, Any]:
    """Run the app headless on the simulator and return the window's figures."""
    settings = load_settings(
        environment="demo",
        ws_url=sim.ws_url,
        oauth_url=sim.oauth_url,
        markets=",".join(MARKETS),
    )
    app = make_app(settings, source=SimSource(settings), tune_gc=tune_gc)
    recorder = Recorder()
    app.inbox.on_event = recorder.wrap_inbox(app.inbox.on_event)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, message_hook=recorder.on_message):
        await _wait_live(app)
        show_chart(app, chart)
        for index, ladder in enumerate(app.desk.ladders()):
            recorder.wrap_ladder(ladder, first=index == 0)
        await asyncio.sleep(warmup)
        assert app.feed is not None
        state = app.feed.state
        assert isinstance(state, DeskState)
        meter = CpuMeter(sim.pid)
        events_before = state.events
        recorder.active = True
        meter.start()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            recorder.press()
            app.simulate_key("g")
            await asyncio.sleep(KEY_PERIOD)
        wall, cpu, sim_cpu = meter.stop()
        recorder.active = False
        events = state.events - events_before
        rejects = dict(state.rejects_by_reason)
        await app.action_quit()
    latencies = recorder.latencies_ms()
    updates = sum(len(v) for v in recorder.updates.values())
    return {
        "ingest": events / wall,
        "updates": updates / wall,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "key_p99": percentile(recorder.key_handled, 0.99) * 1e3,
        "key_screen_p99": percentile(recorder.key_screen, 0.99) * 1e3,
        "keys": len(recorder.key_handled),
        "cpu": cpu,
        "sim_cpu": sim_cpu,
        "rejects": rejects,
        "render_rate": settings.render_rate,
        "waited": meter.waited,
    }


def show_chart(app: Any, chart: str) -> None:
    """Show a chart beside the ladders; candles at 1 s, so they change every second."""
    if chart == "off":
        return
    panel = app.desk.chart_panel
    panel.set_mode(chart)
    panel.set_timeframe("1s")
    app.desk.refresh_layout()


def chart_rows(sim: SimProcess, seconds: float, warmup: float, off: dict[str, Any]) -> list[Row]:
    """CPU with each chart shown, beside the same run's figure with charts off."""
    rows = []
    for chart in ("candles", "depth"):
        shown = asyncio.run(measure(sim, seconds, warmup, chart=chart))
        rows.append(
            Row(
                NAME,
                f"CPU (app + client) with the {chart} chart, 1k msgs/s offered",
                shown["cpu"] * 100,
                "% of a core",
                target="<= 25%",
                holds=shown["cpu"] <= 0.25,
                higher_is_better=False,
                baselines={"charts off": off["cpu"] * 100},
                note=f"ingest {shown['ingest']:,.0f} msgs/s; chart beside two ladders",
            )
        )
    return rows


def run(quick: bool = False, rates: tuple[int, ...] | None = None) -> list[Row]:
    """One simulator process per rate; the app as launched (``GcPolicy``) and with CPython's
    default garbage collection (the baseline column)."""
    rates = rates or ((1_000,) if quick else (1_000, 10_000, 50_000))
    seconds = 1.0 if quick else 8.0
    warmup = 0.3 if quick else 2.0
    rows: list[Row] = []
    for rate in rates:
        # Full simulator steps cost ~40 µs each: past a few thousand a second the simulator,
        # not the app, would be the limit on this 2-core machine. The cheap steps keep the
        # trades, sweeps and requotes (1 in 16) but mostly change one level near the top.
        fast = rate >= FAST_STEPS_FROM
        with simulator(list(MARKETS), rate=rate / len(MARKETS), fast_steps=fast) as sim:
            plain = asyncio.run(measure(sim, seconds, warmup))
            default = plain if quick else asyncio.run(measure(sim, seconds, warmup, tune_gc=False))
            charts = chart_rows(sim, seconds, warmup, plain) if rate == 1_000 else []
        plain["steps"] = default["steps"] = "fast" if fast else "full"
        rows.extend(_rows(rate, plain, default))
        rows.extend(charts)
    return rows


def _rows(rate: int, plain: dict[str, Any], default: dict[str, Any]) -> list[Row]:
    label = f"{rate // 1000}k msgs/s offered"
    cpu_target = 0.25 if rate <= 1_000 else 0.75
    note = (
        f"sim ({plain['steps']} steps) at {plain['sim_cpu']:.0%} of a core; "
        f"{plain['updates']:,.0f} UPDATEs/s; "
        f"render rate {plain['render_rate']:g} Hz; rejects {plain['rejects'] or 'none'}; "
        f"runnable but waiting for a CPU {plain['waited']:.0%} of the time"
    )
    rows = [
        Row(NAME, f"ingest, {label}", plain["ingest"], "msgs/s", note=note),
        Row(
            NAME,
            f"update-to-screen p50, {label}",
            plain["p50"],
            "ms",
            higher_is_better=False,
            baselines={"default GC": default["p50"]},
        ),
        Row(
            NAME,
            f"update-to-screen p99, {label}",
            plain["p99"],
            "ms",
            target="<= 70 ms" if rate >= 50_000 else "",
            holds=plain["p99"] <= 70 if rate >= 50_000 else None,
            higher_is_better=False,
            baselines={"default GC": default["p99"]},
        ),
        Row(
            NAME,
            f"keypress handled p99, {label}",
            plain["key_p99"],
            "ms",
            target="<= 20 ms" if rate >= 50_000 else "",
            holds=plain["key_p99"] <= 20 if rate >= 50_000 else None,
            higher_is_better=False,
            baselines={"default GC": default["key_p99"]},
            note=f"{plain['keys']} presses",
        ),
        Row(
            NAME,
            f"keypress to screen p99, {label}",
            plain["key_screen_p99"],
            "ms",
            higher_is_better=False,
            note="includes waiting for the next frame tick",
        ),
        Row(
            NAME,
            f"CPU (app + client), {label}",
            plain["cpu"] * 100,
            "% of a core",
            target=f"<= {cpu_target:.0%}" if rate in (1_000, 50_000) else "",
            holds=plain["cpu"] <= cpu_target if rate in (1_000, 50_000) else None,
            higher_is_better=False,
            baselines={"default GC": default["cpu"] * 100},
            note="of the ingest actually achieved (see the ingest row)",
        ),
        Row(
            NAME,
            f"CPU per message (app + client), {label}",
            plain["cpu"] / max(plain["ingest"], 1.0) * 1e6,
            "us",
            higher_is_better=False,
            note="includes the fixed cost of drawing frames, spread over the messages",
        ),
    ]
    return rows
