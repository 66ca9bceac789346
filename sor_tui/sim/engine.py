"""The market engine: steps the generators and fans frames out to subscribed sessions."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from dataclasses import dataclass

from sor_tui.sim import wire
from sor_tui.sim.config import SimConfig
from sor_tui.sim.generator import Execution, MarketEvent, MarketGenerator
from sor_tui.sim.markets import AMOUNT_DECIMALS, market_spec
from sor_tui.sim.scenarios import ScenarioSet
from sor_tui.sim.session import Session
from sor_tui.sim.variants import FieldVariants

_SNAPSHOT_TICK = 0.05
"""Seconds between wall-clock snapshot checks (a slow market still gets its SNAPSHOT on time)."""

MD, TOB, EXE, HB = "market_data", "market_data.top_of_book", "execution_data", "heartbeat"


@dataclass(slots=True)
class PendingSnapshot:
    """A market_data subscription waiting for its one SNAPSHOT."""

    due_ns: int
    frame: bytes | None = None
    lag: int = 0
    captured_at: float = 0.0
    time_ns: int = 0
    """The SNAPSHOT's time (the market's time at the capture)."""
    """Monotonic seconds of the capture (wall-clock mode delivers late snapshots by time)."""


class Engine:
    """Owns the books; encodes each event once and queues it to every subscriber."""

    def __init__(self, config: SimConfig, scenarios: ScenarioSet, frames: Counter[str]) -> None:
        self.config = config
        self.scenarios = scenarios
        self.frames = frames
        fixed = config.clock == "fixed"
        self.generators: dict[str, MarketGenerator] = {
            name: MarketGenerator(
                market_spec(name),
                config.seed,
                config.depth,
                None if fixed else time.time_ns,
                config.fixed_epoch_ns if fixed else time.time_ns(),
                config.rate,
            )
            for name in config.markets
        }
        self.subscribers: dict[tuple[str, str | None], set[Session]] = {}
        self.pending: dict[str, dict[Session, PendingSnapshot]] = {m: {} for m in config.markets}
        self.leaks: dict[str, set[Session]] = {m: set() for m in config.markets}
        self.sent_executions: deque[dict[str, str]] = deque(maxlen=config.max_recorded_executions)
        self.paused = False
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._format_rng = random.Random(config.seed ^ 0x5EED)
        self._mixed = self._omit = False
        self._plain_off = False  # a scenario reshapes frames: no one-level shortcut
        self.variants = FieldVariants(scenarios)
        self._price_text: dict[str, dict[int, str]] = {m: {} for m in config.markets}
        self._amount_text: dict[int, str] = {}

    # -- formatting --------------------------------------------------------------------

    def _price(self, gen: MarketGenerator, units: int) -> str:
        if self._mixed:
            return wire.mixed(units, gen.spec.price_decimals, self._format_rng)
        cache = self._price_text[gen.spec.name]
        text = cache.get(units)
        if text is None:
            if len(cache) > 200_000:
                cache.clear()
            text = cache[units] = wire.fixed(units, gen.spec.price_decimals)
        return text

    def _amount(self, units: int) -> str:
        if not units and self.variants.signed_zero:
            return "-0"
        if self._mixed:
            return wire.mixed(units, AMOUNT_DECIMALS, self._format_rng)
        text = self._amount_text.get(units)
        if text is None:
            if len(self._amount_text) > 200_000:
                self._amount_text.clear()
            text = self._amount_text[units] = wire.canonical(units, AMOUNT_DECIMALS)
        return text

    def _levels(self, gen: MarketGenerator, changes: dict[int, int]) -> list[wire.Level]:
        return [(self._price(gen, p), self._amount(a)) for p, a in changes.items()]

    def snapshot_frame(self, gen: MarketGenerator) -> bytes:
        """Encode the current book of a market as a SNAPSHOT at the market's time."""
        bids = [(self._price(gen, p), self._amount(a)) for p, a in reversed(gen.bids.items())]
        asks = [(self._price(gen, p), self._amount(a)) for p, a in gen.asks.items()]
        omit = self.scenarios.on("omit_empty_arrays")
        text = wire.book_frame(
            "SNAPSHOT", gen.spec.name, self.variants.stamp(gen.time_ns), bids, asks, omit
        )
        return text.encode()

    def top_frame(self, gen: MarketGenerator) -> bytes:
        """Encode the current best bid and ask of a market."""
        bid, ask = gen.best_bid(), gen.best_ask()
        return wire.top_of_book_frame(
            gen.spec.name,
            self.variants.stamp(gen.time_ns),
            (self._price(gen, bid[0]), self._amount(bid[1])) if bid else None,
            (self._price(gen, ask[0]), self._amount(ask[1])) if ask else None,
            self.scenarios.on("omit_empty_arrays"),
        ).encode()

    def execution_payload(self, market: str, execution: Execution) -> dict[str, str]:
        """The wire payload of one execution."""
        gen = self.generators[market]
        return {
            "market": market,
            "price": self._price(gen, execution.price),
            "amount": self._amount(execution.amount),
            "executed_at": self.variants.stamp(execution.time_ns),
        }

    # -- stepping ----------------------------------------------------------------------

    def apply_scenarios(self) -> None:
        """Push data-shaping scenario switches into the generators."""
        huge = self.scenarios.params("huge_snapshot")
        depth = max(self.config.depth, int(huge["levels"])) if huge else self.config.depth
        self._mixed = self.scenarios.on("mixed_decimals")
        self._omit = self.scenarios.on("omit_empty_arrays")
        self.variants.refresh()
        self._plain_off = self._mixed or self._omit or self.variants.any_data
        for gen in self.generators.values():
            gen.crossed = self.scenarios.on("crossed_book")
            gen.long_cross = self.scenarios.on("long_cross")
            gen.out_of_order = self.scenarios.on("out_of_order_executions")
            gen.unordered_times = self.scenarios.on("unordered_times")
            if gen.target_depth != depth:
                self._fan_out(gen, gen.resize(depth))

    def step(self, market: str) -> None:
        """Advance one market by one event and fan its frames out."""
        gen = self.generators[market]
        self._fan_out(gen, gen.step())

    def fast_step(self, market: str) -> None:
        """A firehose step: single-level changes go straight from the book to one frame."""
        gen = self.generators[market]
        if self._plain_off or self.pending[market] or self.leaks[market]:
            self._fan_out(gen, gen.fast_step())
            return
        change = gen.fast_change()
        if change is None:
            self._fan_out(gen, gen.step())
            return
        is_bid, price, amount, top_changed = change
        md = self.subscribers.get((MD, market))
        if md:
            frame = wire.one_level_update_frame(
                market,
                wire.format_time(gen.time_ns),
                is_bid,
                self._price(gen, price),
                self._amount(amount),
            ).encode()
            for session in md:
                session.send_update(frame)
                if session.update_seen:
                    seen = session.update_seen.get(market)
                    if seen is not None:
                        seen.set()
        if top_changed:
            tob = self.subscribers.get((TOB, market))
            if tob:
                frame = self.top_frame(gen)
                for session in tob:
                    session.send(frame, "TOP_OF_BOOK")

    def _fan_out(self, gen: MarketGenerator, event: MarketEvent) -> None:
        market = gen.spec.name
        md = self.subscribers.get((MD, market))
        leaks = self.leaks[market]
        if (md or leaks) and (event.bids or event.asks):
            omit = self.scenarios.on("omit_empty_arrays")
            frame = wire.book_frame(
                "UPDATE",
                market,
                self.variants.update_time(market, event.time_ns),
                self._levels(gen, event.bids),
                self._levels(gen, event.asks),
                omit,
            ).encode()
            for session in md or ():
                session.send(frame, "UPDATE")
                seen = session.update_seen.get(market)
                if seen is not None:
                    seen.set()
            for session in leaks:
                session.send(frame, "UPDATE")
            leaks.clear()
        if self.pending[market]:
            self._advance_snapshots(gen, event.time_ns)
        tob = self.subscribers.get((TOB, market))
        if tob and event.top_changed:
            frame = self.top_frame(gen)
            for session in tob:
                session.send(frame, "TOP_OF_BOOK")
        exe = self.subscribers.get((EXE, market))
        if exe and event.executions:
            for execution in event.executions:
                payload = self.execution_payload(market, execution)
                frame = wire.execution_frame(**payload).encode()
                # identical_prints: a second trade with the same price, amount and time.
                for _ in range(2 if self.variants.identical_prints else 1):
                    self.sent_executions.append(payload)
                    for session in exe:
                        session.send(frame, "execution")

    def _advance_snapshots(self, gen: MarketGenerator, now_ns: int) -> None:
        pending = self.pending[gen.spec.name]
        for session, state in list(pending.items()):
            if state.frame is None:
                if now_ns >= state.due_ns:
                    self._capture(gen, state)
            else:
                state.lag -= 1
            if state.frame is not None and state.lag <= 0:
                del pending[session]
                self._deliver(gen, session, state)

    def _deliver(self, gen: MarketGenerator, session: Session, state: PendingSnapshot) -> None:
        assert state.frame is not None
        session.send(state.frame, "SNAPSHOT")
        self.variants.snapshot_sent(gen.spec.name, state.time_ns)

    def _capture(self, gen: MarketGenerator, state: PendingSnapshot) -> None:
        state.frame = self.snapshot_frame(gen)
        state.time_ns = gen.time_ns
        state.lag = self.config.snapshot_lag_updates
        state.captured_at = time.monotonic()
        # Everything after the snapshot must be later than its time (§8.1).  Event times
        # strictly increase by default; the floor keeps ``unordered_times`` above it too.
        gen.time_floor = gen.time_ns + 1

    def flush_snapshots(self) -> None:
        """Deliver every pending SNAPSHOT now (used while paused, so tests never wait)."""
        for market, pending in self.pending.items():
            gen = self.generators[market]
            for session, state in list(pending.items()):
                if state.frame is None:
                    self._capture(gen, state)
                del pending[session]
                self._deliver(gen, session, state)

    # -- subscriptions -----------------------------------------------------------------

    def activate(self, session: Session, key: tuple[str, str | None]) -> list[tuple[bytes, str]]:
        """Start streaming a channel to a session; return the frames to send after the ack."""
        channel, market = key
        self.subscribers.setdefault(key, set()).add(session)
        initial: list[tuple[bytes, str]] = []
        if market is None:
            return initial
        gen = self.generators[market]
        if channel == MD:
            delay_ns = int(self.config.snapshot_delay * 1e9)
            state = PendingSnapshot(gen.time_ns + delay_ns)
            if self.paused:
                self._capture(gen, state)
                initial.append((state.frame or b"", "SNAPSHOT"))
                self.variants.snapshot_sent(market, state.time_ns)
            else:
                self.pending[market][session] = state
                if delay_ns <= 0:
                    self._capture(gen, state)
        elif channel == TOB:
            initial += self.variants.empty_top(market, gen.time_ns)
            initial.append((self.top_frame(gen), "TOP_OF_BOOK"))
        elif channel == EXE and self.scenarios.on("replay_last_execution"):
            last = gen.last_execution
            if last is not None:
                payload = self.execution_payload(market, last)
                initial.append((wire.execution_frame(**payload).encode(), "execution"))
        return initial

    def deactivate(self, session: Session, key: tuple[str, str | None], leak: bool) -> None:
        """Stop streaming a channel to a session."""
        subs = self.subscribers.get(key)
        if subs is not None:
            subs.discard(session)
            if not subs:
                del self.subscribers[key]
        channel, market = key
        if market is not None and channel == MD:
            self.pending[market].pop(session, None)
            if leak:
                self.leaks[market].add(session)

    def forget(self, session: Session) -> None:
        """Remove a closed session everywhere."""
        for key in list(session.subscriptions):
            self.deactivate(session, key, leak=False)
        for leaks in self.leaks.values():
            leaks.discard(session)

    def heartbeat_time(self) -> int:
        """The heartbeat timestamp: wall clock, or the latest simulated market time."""
        if self.config.clock == "fixed":
            return max(gen.time_ns for gen in self.generators.values())
        return time.time_ns()

    def active_markets(self) -> list[str]:
        """Markets with at least one subscriber on any channel (firehose steps only those)."""
        return [
            m for m in self.generators if any((c, m) in self.subscribers for c in (MD, TOB, EXE))
        ]

    # -- pacing ------------------------------------------------------------------------

    def pause(self) -> None:
        """Stop generating events; pending snapshots are delivered at once."""
        self.paused = True
        self._resumed.clear()
        self.flush_snapshots()

    def resume(self) -> None:
        """Resume generating events."""
        self.paused = False
        self._resumed.set()

    async def run(self, sessions: set[Session]) -> None:
        """Generate events at the configured rate (or as fast as clients take them)."""
        loop = asyncio.get_running_loop()
        rate = max(self.config.rate, 0.001)
        markets = list(self.generators)
        while True:
            if self.paused:
                await self._resumed.wait()
            if self.config.firehose:
                await self._firehose_round(sessions)
                continue
            start, produced = loop.time(), 0
            while not self.paused and not self.config.firehose:
                due = int((loop.time() - start) * rate) - produced
                if due > 0:
                    burst = max(1, int(rate * 0.25))
                    if due > burst:  # too far behind (a stall): skip ahead, never flood
                        produced += due - burst
                        due = burst
                    step = self.fast_step if self.config.fast_steps else self.step
                    for _ in range(due):
                        for market in markets:
                            step(market)
                    produced += due
                    if self.config.fast_steps:
                        for session in list(sessions):
                            session.flush()  # fast steps hold their UPDATEs for one write
                if self.config.clock == "wall":
                    self.tick_snapshots()
                wait = (produced + 1) / rate - (loop.time() - start)
                await asyncio.sleep(min(max(0.0, wait), _SNAPSHOT_TICK))

    def tick_snapshots(self) -> None:
        """Wall-clock mode: capture and deliver SNAPSHOTs on time even when a market is slow."""
        now_ns, now = time.time_ns(), time.monotonic()
        for market, pending in self.pending.items():
            gen = self.generators[market]
            for session, state in list(pending.items()):
                if state.frame is None and now_ns >= state.due_ns:
                    self._capture(gen, state)
                elif state.frame is not None and now - state.captured_at >= _SNAPSHOT_TICK * 2:
                    del pending[session]
                    self._deliver(gen, session, state)

    async def _firehose_round(self, sessions: set[Session]) -> None:
        markets = self.active_markets()
        if not markets:
            await asyncio.sleep(0.01)
            return
        for session in list(sessions):
            if not session.drained.is_set():
                try:
                    async with asyncio.timeout(0.2):
                        await session.drained.wait()
                except TimeoutError:
                    pass
        for _ in range(max(1, 256 // len(markets))):
            for market in markets:
                self.fast_step(market)
        for session in list(sessions):
            session.flush()
        await asyncio.sleep(0)
