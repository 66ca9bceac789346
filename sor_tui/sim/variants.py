"""Field variants: the other plausible answers to the protocol's open questions (§14).

Each is a scenario (see scenarios.py) that the engine, the operations and the server
consult through one ``FieldVariants`` object, so that a client can be tried against a
server that chose differently from our default reading of the docs.
"""

from __future__ import annotations

import json
from typing import Any

from sor_tui.sim import wire
from sor_tui.sim.scenarios import ScenarioSet

REQUEST_LEVEL_FORMS = ("channels_null", "bare", "type_error_code")
"""``result_error_shape`` forms that refuse a whole request instead of one channel."""
ERROR_FORMS = ("per_channel", "no_success", *REQUEST_LEVEL_FORMS)

_SECOND = 1_000_000_000


class FieldVariants:
    """What the enabled field-variant scenarios change, read where frames are built."""

    def __init__(self, scenarios: ScenarioSet) -> None:
        self.scenarios = scenarios
        self.offset_ns = 0
        self.signed_zero = False
        self.identical_prints = False
        self.late_count = 0
        self.tob_empty_zero = False
        self._late: dict[str, list[Any]] = {}  # market -> [updates left, snapshot time text]

    def refresh(self) -> None:
        """Read the scenario switches again (after any change)."""
        sc = self.scenarios
        offset = sc.params("clock_offset")
        self.offset_ns = int(float(offset["seconds"]) * _SECOND) if offset else 0
        self.signed_zero = sc.on("signed_zero")
        self.identical_prints = sc.on("identical_prints")
        late = sc.params("nonmonotonic_live_times")
        self.late_count = int(late["count"]) if late else 0
        self.tob_empty_zero = sc.on("tob_empty_zero")

    @property
    def any_data(self) -> bool:
        """True when a variant changes data frames (the firehose's one-level shortcut is off)."""
        return bool(self.signed_zero or self.late_count or self.tob_empty_zero or self.offset_ns)

    # -- data ------------------------------------------------------------------------

    def stamp(self, ns: int) -> str:
        """A wire time as the server's (possibly skewed) clock writes it."""
        return wire.format_time(ns + self.offset_ns)

    def zero(self) -> str | None:
        """The spelling of a zero amount, when a variant changes it."""
        return "-0" if self.signed_zero else None

    def snapshot_sent(self, market: str, time_ns: int) -> None:
        """A SNAPSHOT went out: the next live UPDATEs may carry its time (or earlier)."""
        if self.late_count:
            self._late[market] = [self.late_count, self.stamp(time_ns)]

    def update_time(self, market: str, time_ns: int) -> str:
        """The time of a live UPDATE: the snapshot's own time for the first few after it."""
        late = self._late.get(market)
        if late is None:
            return self.stamp(time_ns)
        late[0] -= 1
        if late[0] <= 0:
            del self._late[market]
        return str(late[1])

    def empty_top(self, market: str, time_ns: int) -> list[tuple[bytes, str]]:
        """Under ``tob_empty_zero``, the first top of book: both sides spelt as a "0" level."""
        if not self.tob_empty_zero:
            return []
        frame = wire.top_of_book_frame(market, self.stamp(time_ns), None, None)
        return [(frame.replace("[]", wire.ZERO_LEVEL).encode(), "TOP_OF_BOOK")]

    def heartbeat_frame(self, time_ns: int) -> str:
        """A heartbeat, or under ``heartbeat_malformed`` one whose payload fails validation."""
        if self.scenarios.on("heartbeat_malformed"):
            return json.dumps({"channel": "heartbeat", "payload": {"time": self.stamp(time_ns)}})
        return wire.heartbeat_frame(self.stamp(time_ns))

    def heartbeat_interval(self, default: float) -> float:
        """Seconds between heartbeats."""
        params = self.scenarios.params("heartbeat_interval")
        return float(params["seconds"]) if params else default

    # -- operations --------------------------------------------------------------------

    def error_form(self) -> str:
        """How refusals are spelt (``result_error_shape``); ``per_channel`` by default."""
        params = self.scenarios.params("result_error_shape")
        form = str(params["form"]) if params else "per_channel"
        if form not in ERROR_FORMS:
            raise ValueError(f"result_error_shape form must be one of {', '.join(ERROR_FORMS)}")
        return form

    def request_error_frame(self, action: str, code: str) -> str:
        """A whole request refused, in the request-level form chosen."""
        form = self.error_form()
        if form == "channels_null":
            return json.dumps({"type": action, "channels": None, "error": code})
        if form == "bare":
            return json.dumps({"error": code})
        return json.dumps({"type": "error", "code": code})

    @property
    def list_params(self) -> bool:
        """Whether subscription_list entries carry ``params`` (not on older servers)."""
        return not self.scenarios.on("list_without_params")
