"""Client requests: subscribe, unsubscribe, subscription_list and their error codes (§5, §6, §9)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from sor_tui.sim import wire
from sor_tui.sim.engine import EXE, HB, MD, TOB, Engine
from sor_tui.sim.scenarios import ScenarioSet
from sor_tui.sim.session import Session, SubKey
from sor_tui.sim.variants import REQUEST_LEVEL_FORMS

CHANNEL_TYPES = (MD, TOB, EXE, HB)
_MARKET_CHANNELS = (MD, TOB, EXE)


class Malformed(Exception):
    """The request cannot be understood at all: top-level MALFORMED_REQUEST."""


def _result(
    descriptor: dict[str, Any],
    success: bool,
    error: str | None,
    legacy: bool,
    error_only: bool = False,
) -> dict[str, Any]:
    result: dict[str, Any] = {"type": descriptor["type"]}
    if "params" in descriptor and not legacy:
        result["params"] = descriptor["params"]
    if success or not error_only:  # result_error_shape:form=no_success drops it on failures
        result["success"] = success
    if error is not None:
        result["error"] = error
    return result


class Operations:
    """Answers the requests of one simulator's sessions."""

    def __init__(self, engine: Engine, scenarios: ScenarioSet) -> None:
        self.engine = engine
        self.scenarios = scenarios
        self._next_free: dict[str, float] = {}

    def _rate_delay(self, session: Session) -> float:
        """Seconds to hold a new subscription's data back (§10.5: 1 per second per IP, silent)."""
        params = self.scenarios.params("subscribe_rate_limit")
        if params is None:
            return 0.0
        step = float(params["delay"])
        address = session.connection.remote_address
        ip = str(address[0]) if address else "?"
        now = asyncio.get_running_loop().time()
        free = self._next_free.get(ip, 0.0)
        self._next_free[ip] = max(free, now) + step
        return max(0.0, free - now)

    async def _activate_later(self, session: Session, key: SubKey, wait: float) -> None:
        await asyncio.sleep(wait)
        if key in session.subscriptions and not session.closing:
            for data, kind in self.engine.activate(session, key):
                session.send(data, kind)

    async def handle(self, session: Session, message: str | bytes) -> None:
        """Answer one client message."""
        if isinstance(message, bytes):
            self._error(session, "MALFORMED_REQUEST")
            return
        try:
            request = json.loads(message)
        except (ValueError, RecursionError):
            self._error(session, "MALFORMED_REQUEST")
            return
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            self._error(session, "MALFORMED_REQUEST")
            return
        action = request["type"]
        if action not in ("subscribe", "unsubscribe", "subscription_list"):
            self._error(session, "UNKNOWN_ACTION")
            return
        internal = self.scenarios.params("internal_error")
        if internal is not None and not internal["per_channel"]:
            self._error(session, "INTERNAL_SERVER_ERROR")
            return
        if action == "subscription_list":
            self._list(session)
            return
        try:
            descriptors = self._descriptors(request)
        except Malformed:
            self._error(session, "MALFORMED_REQUEST")
            return
        slow = self.scenarios.params("ack_delay")
        if slow is not None:  # a server working through requests one by one (§10.5)
            await asyncio.sleep(float(slow["seconds"]))
        if self._refused_whole(session, action, descriptors):
            return
        if action == "subscribe":
            await self._subscribe(session, descriptors)
        else:
            self._unsubscribe(session, descriptors)

    def _refused_whole(
        self, session: Session, action: str, descriptors: list[dict[str, Any]]
    ) -> bool:
        """Under a request-level ``result_error_shape``, one bad channel refuses them all."""
        variants = self.engine.variants
        if variants.error_form() not in REQUEST_LEVEL_FORMS:
            return False
        code = next((code for _, code in map(self._check, descriptors) if code), None)
        if code is None:
            return False
        frame = variants.request_error_frame(action, code)
        session.send(frame.encode(), "error", data_frame=False)
        return True

    def _error(self, session: Session, code: str) -> None:
        session.send(wire.error_frame(code).encode(), "error", data_frame=False)

    def _descriptors(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        channels = request.get("channels")
        if not isinstance(channels, list):
            raise Malformed
        for descriptor in channels:
            if not isinstance(descriptor, dict) or not isinstance(descriptor.get("type"), str):
                raise Malformed
            if "params" in descriptor and not isinstance(descriptor["params"], dict):
                raise Malformed
        return channels

    def _check(self, descriptor: dict[str, Any]) -> tuple[SubKey | None, str | None]:
        """Validate a descriptor: its subscription key, or the per-channel error code."""
        channel = descriptor["type"]
        if channel not in CHANNEL_TYPES:
            return None, "UNKNOWN_CHANNEL"
        if channel == HB:
            return (HB, None), None  # params on heartbeat are ignored (§14 #22)
        params = descriptor.get("params")
        if not isinstance(params, dict) or set(params) != {"market"}:
            return None, "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
        market = params["market"]
        if not isinstance(market, str) or market not in self.engine.generators:
            return None, "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"
        return (channel, market), None

    async def _subscribe(self, session: Session, descriptors: list[dict[str, Any]]) -> None:
        legacy = self.scenarios.on("legacy_results")
        error_only = self.engine.variants.error_form() == "no_success"
        per_channel_internal = self.scenarios.on("internal_error")
        results = []
        initial: list[tuple[bytes, str]] = []
        waits: list[asyncio.Event] = []
        for descriptor in descriptors:
            key, error = self._check(descriptor)
            if key is not None and per_channel_internal:
                error = "INTERNAL_SERVER_ERROR"
            elif key is not None and key in session.subscriptions:
                error = "NO_EFFECT_ACTION"
            if key is None or error is not None:
                results.append(_result(descriptor, False, error, legacy, error_only))
                continue
            session.subscriptions[key] = descriptor.get("params")
            if key[0] == MD and self.scenarios.on("update_before_ack"):
                assert key[1] is not None
                seen = session.update_seen.setdefault(key[1], asyncio.Event())
                seen.clear()
                waits.append(seen)
            wait = self._rate_delay(session)
            if wait > 0:
                session.spawn(self._activate_later(session, key, wait))
            else:
                initial += self.engine.activate(session, key)
            results.append(_result(descriptor, True, None, legacy))
        for seen in waits:
            # Data may precede the ack (§14 #9): hold the ack until an UPDATE went out.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await seen.wait()
        session.update_seen.clear()
        frame = wire.operation_frame("subscribe", results)
        session.send(frame.encode(), "subscribe", data_frame=False)
        for data, kind in initial:
            session.send(data, kind)

    def _unsubscribe(self, session: Session, descriptors: list[dict[str, Any]]) -> None:
        legacy = self.scenarios.on("legacy_results")
        error_only = self.engine.variants.error_form() == "no_success"
        leak = self.scenarios.on("leak_after_unsubscribe")
        results = []
        for descriptor in descriptors:
            key, error = self._check(descriptor)
            if key is not None and key not in session.subscriptions:
                error = "NO_EFFECT_ACTION"
            if key is None or error is not None:
                results.append(_result(descriptor, False, error, legacy, error_only))
                continue
            del session.subscriptions[key]
            self.engine.deactivate(session, key, leak=leak)
            results.append(_result(descriptor, True, None, legacy))
        frame = wire.operation_frame("unsubscribe", results)
        session.send(frame.encode(), "unsubscribe", data_frame=False)

    def _list(self, session: Session) -> None:
        channels: list[dict[str, Any]] = []
        for (channel, _market), params in session.subscriptions.items():
            entry: dict[str, Any] = {"type": channel}
            if channel != HB and params is not None and self.engine.variants.list_params:
                entry["params"] = params
            channels.append(entry)
        frame = wire.operation_frame("subscription_list", channels)
        session.send(frame.encode(), "subscription_list", data_frame=False)
