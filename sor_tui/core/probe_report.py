"""What a server chose where the docs are silent, observed from its raw frames (``probe``).

``ProbeObserver`` is fed every raw frame with its receive time and a few facts from the
transport (token, handshake, compression, close reasons); ``report()`` names the answer
to each open question (protocol §14) as plain data for a JSON file, and ``summary()``
turns it into lines for a person. Pure: no I/O; nothing secret is ever stored (frames
carry none, and only their shapes and counts are kept).
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from itertools import pairwise
from typing import Any

from sor_tui.core.sanitize import escape_identifier

MAX_SHAPE_BYTES = 4 * 1024 * 1024
"""Frames larger than this are counted but not taken apart (a huge SNAPSHOT)."""
EXAMPLES = 4
DISTINCT_MAX = 64
"""Distinct names counted per kind (markets, channels, spellings); the rest count as "other"."""
BEATS_KEPT = 1024
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
_CLOSE = re.compile(r"closed by server \((\d{3,4})")
_MARKET_CHANNELS = ("market_data", "market_data.top_of_book", "execution_data")


def _count(counter: Counter[str], key: str) -> None:
    """Count ``key``, bounded: a server cannot grow the report with endless new names."""
    if key not in counter and len(counter) >= DISTINCT_MAX:
        key = "other"
    counter[key] += 1


def decimal_form(text: str) -> str:
    """The spelling class of a wire decimal: integer, trailing_zeros, minimal, signed, other."""
    if text[:1] == "-":
        return "signed_zero" if not text[1:].replace(".", "").strip("0") else "signed"
    if not text.replace(".", "", 1).isdigit():
        return "other"
    if "." not in text:
        return "integer"
    return "trailing_zeros" if text.endswith("0") or text.endswith(".") else "minimal"


def error_shape(frame: dict[str, Any]) -> str | None:
    """How a refusal is spelt, or None when the frame refuses nothing."""
    kind = frame.get("type")
    channels = frame.get("channels")
    if isinstance(channels, list) and kind in ("subscribe", "unsubscribe"):
        failures = [c for c in channels if isinstance(c, dict) and "error" in c]
        if not failures:
            return None
        if all("success" in c for c in failures):
            return "per_channel"
        return "per_channel_no_success"
    if kind in ("subscribe", "unsubscribe") and ("error" in frame or "code" in frame):
        return "request_channels_null" if "channels" in frame else "request_under_type"
    if kind == "error":
        return "type_error_code" if "error" not in frame else "type_error"
    if kind is None and "error" in frame:
        return "bare_error"
    return None


class ProbeObserver:
    """Collects the observations of one probe run."""

    def __init__(self, unknown_market: str) -> None:
        self.unknown_market = unknown_market
        self.frames = 0
        self.bytes = 0
        self.unparsed = 0
        self.channels: Counter[str] = Counter()
        self.updates: Counter[str] = Counter()
        self.fractions: Counter[int] = Counter()
        self.offsets: Counter[str] = Counter()
        self.decimals: Counter[str] = Counter()
        self.decimal_examples: dict[str, list[str]] = {}
        self.zero_spellings: Counter[str] = Counter()
        self.heartbeat_keys: Counter[str] = Counter()
        self._beats: deque[int] = deque(maxlen=BEATS_KEPT)
        self.beats = 0
        self.result_params: Counter[str] = Counter()  # echoed / missing
        self.list_params: Counter[str] = Counter()
        self.error_shapes: Counter[str] = Counter()
        self.unknown_market_answer: str | None = None
        self._acked: dict[str, int] = {}
        self.snapshot_latency_ms: dict[str, float] = {}
        self.close_codes: Counter[int] = Counter()
        self.statuses: list[str] = []
        self.handshake: str | None = None
        self.compression: list[str] = []
        self.token: dict[str, Any] = {}
        self.clock_offset_ms: float | None = None
        self.clock_source: str | None = None
        self.duration_s = 0.0
        self.connections = 0

    # -- feeding ---------------------------------------------------------------------

    def frame(self, data: str | bytes, received_ns: int) -> None:
        """One raw frame as received."""
        self.frames += 1
        self.bytes += len(data)
        if not isinstance(data, str) or len(data) > MAX_SHAPE_BYTES:
            self.unparsed += 1
            return
        try:
            frame = json.loads(data)
        except (ValueError, RecursionError):
            self.unparsed += 1
            return
        if not isinstance(frame, dict):
            self.unparsed += 1
            return
        channel = frame.get("channel")
        if isinstance(channel, str):
            self._stream(escape_identifier(channel, 40), frame.get("payload"), received_ns)
        else:
            self._operation(frame, received_ns)

    def _stream(self, channel: str, payload: Any, received_ns: int) -> None:
        _count(self.channels, channel)
        if not isinstance(payload, dict):
            return
        market = payload.get("market")
        market = escape_identifier(market, 40) if isinstance(market, str) else "?"
        for key in ("time", "timestamp", "executed_at"):
            if isinstance(payload.get(key), str):
                self._time(payload[key])
        if channel == "heartbeat":
            self._beats.append(received_ns)
            self.beats += 1
            _count(self.heartbeat_keys, escape_identifier(",".join(sorted(map(str, payload))), 60))
            return
        kind = payload.get("type")
        if channel == "market_data" and kind == "SNAPSHOT" and market in self._acked:
            latency = (received_ns - self._acked.pop(market)) / 1e6
            self.snapshot_latency_ms.setdefault(market, round(latency, 1))
        if channel == "market_data" and kind == "UPDATE":
            _count(self.updates, market)
        for side in ("bids", "asks"):
            for level in payload.get(side) or ():
                if isinstance(level, dict):
                    self._decimal(level.get("price"))
                    self._decimal(level.get("amount"))
        self._decimal(payload.get("price"))
        self._decimal(payload.get("amount"))

    def _time(self, text: str) -> None:
        match = _TIME.match(text)
        if match is None:
            self.offsets["unparsable"] += 1
            return
        self.fractions[len(match.group(1) or "")] += 1
        self.offsets["Z" if match.group(2) == "Z" else "numeric"] += 1

    def _decimal(self, value: Any) -> None:
        if not isinstance(value, str) or len(value) > 64:
            return
        form = decimal_form(value)
        self.decimals[form] += 1
        examples = self.decimal_examples.setdefault(form, [])
        if len(examples) < EXAMPLES and value not in examples:
            examples.append(escape_identifier(value, 40))
        if value.replace("-", "", 1).replace(".", "", 1).strip("0") == "":
            _count(self.zero_spellings, escape_identifier(value, 20))

    def _operation(self, frame: dict[str, Any], received_ns: int) -> None:
        kind = frame.get("type")
        channels = frame.get("channels")
        shape = error_shape(frame)
        if shape is not None:
            # The probe's only refused request is its unknown market: the first refusal.
            self.error_shapes[shape] += 1
            self.unknown_market_answer = self.unknown_market_answer or shape
        if not isinstance(channels, list):
            return
        for item in channels:
            if not isinstance(item, dict) or item.get("type") not in _MARKET_CHANNELS:
                continue
            params = item.get("params")
            echoed = "echoed" if isinstance(params, dict) else "missing"
            if kind == "subscription_list":
                self.list_params[echoed] += 1
                continue
            self.result_params[echoed] += 1
            market = params.get("market") if isinstance(params, dict) else None
            acked = kind == "subscribe" and item.get("type") == "market_data"
            if acked and "error" not in item and isinstance(market, str):
                self._acked.setdefault(escape_identifier(market, 40), received_ns)

    def status(self, state: str, detail: str) -> None:
        """A feed status change (connect, close, handshake outcome)."""
        self.statuses.append(f"{state}: {detail}"[:120])
        if state == "CONNECTED":
            self.connections += 1
            self.handshake = self.handshake or "accepted (101)"
        elif self.handshake is None and ("handshake" in detail or "HTTP" in detail):
            self.handshake = detail[:120]
        match = _CLOSE.search(detail)
        if match:
            self.close_codes[int(match.group(1))] += 1

    # -- reading -----------------------------------------------------------------------

    def heartbeat_interval_s(self) -> float | None:
        """The median interval between heartbeats, if two arrived."""
        gaps = sorted(b - a for a, b in pairwise(self._beats))
        return None if not gaps else round(gaps[len(gaps) // 2] / 1e9, 3)

    def report(self) -> dict[str, Any]:
        """Every observation as plain JSON-ready data."""
        duration = max(self.duration_s, 1e-9)
        fractions = dict(sorted(self.fractions.items()))
        return {
            "duration_s": round(self.duration_s, 1),
            "connections": self.connections,
            "token": self.token,
            "handshake": self.handshake,
            "compression": self.compression,
            "heartbeat": {
                "interval_s": self.heartbeat_interval_s(),
                "count": self.beats,
                "payload_keys": dict(self.heartbeat_keys),
            },
            "timestamps": {
                "fraction_digits": {str(k): v for k, v in fractions.items()},
                "trimmed": len(fractions) > 1 or (bool(fractions) and 9 not in fractions),
                "offsets": dict(self.offsets),
            },
            "decimals": {
                "forms": dict(self.decimals),
                "examples": self.decimal_examples,
                "zero_spellings": dict(self.zero_spellings),
            },
            "results": {"params": dict(self.result_params)},
            "subscription_list": {"params": dict(self.list_params)},
            "errors": {
                "shapes": dict(self.error_shapes),
                "unknown_market": self.unknown_market,
                "unknown_market_answer": self.unknown_market_answer,
            },
            "snapshot_latency_ms": self.snapshot_latency_ms,
            "updates_per_second": {m: round(n / duration, 2) for m, n in self.updates.items()},
            "channels": dict(self.channels),
            "server_clock": {"offset_ms": self.clock_offset_ms, "source": self.clock_source},
            "close_codes": {str(k): v for k, v in self.close_codes.items()},
            "statuses": self.statuses[-20:],
            "frames": {"count": self.frames, "bytes": self.bytes, "unparsed": self.unparsed},
        }


def _params_word(counts: dict[str, int]) -> str:
    if not counts:
        return "not seen"
    if counts.get("missing") and not counts.get("echoed"):
        return "not echoed (older server)"
    return "echoed" if not counts.get("missing") else "mixed"


def summary(report: dict[str, Any]) -> list[str]:
    """The report as short lines for a person (one finding a line)."""
    hb = report["heartbeat"]
    stamps = report["timestamps"]
    clock = report["server_clock"]
    token = report["token"]
    digits = ", ".join(stamps["fraction_digits"]) or "none seen"
    offset = clock["offset_ms"]
    latency = report["snapshot_latency_ms"]
    return [
        f"probe ran {report['duration_s']} s, {report['connections']} connection(s),"
        f" {report['frames']['count']} frames",
        f"token: lifetime {token.get('lifetime_s', '?')} s, scope {token.get('scope', '?')}",
        f"handshake: {report['handshake'] or 'never completed'}",
        f"compression: {', '.join(report['compression']) or 'none'}",
        f"heartbeat: every {hb['interval_s']} s ({hb['count']} seen)"
        if hb["interval_s"] is not None
        else f"heartbeat: interval unknown ({hb['count']} seen)",
        f"timestamps: fraction digits {digits};"
        f" offsets {', '.join(stamps['offsets']) or 'none seen'}",
        f"decimals: {', '.join(sorted(report['decimals']['forms'])) or 'none seen'};"
        f" zeros spelt {', '.join(sorted(report['decimals']['zero_spellings'])) or '-'}",
        f"results: params {_params_word(report['results']['params'])};"
        f" subscription_list: params {_params_word(report['subscription_list']['params'])}",
        f"refusal of unknown market {report['errors']['unknown_market']}:"
        f" {report['errors']['unknown_market_answer'] or 'no answer seen'}",
        "snapshot latency: "
        + (", ".join(f"{m} {v:g} ms" for m, v in sorted(latency.items())) or "none seen"),
        "updates/s: "
        + (", ".join(f"{m} {v:g}" for m, v in sorted(report["updates_per_second"].items())) or "0"),
        "server clock: "
        + ("unknown" if offset is None else f"{offset:+,.0f} ms ({clock['source']})"),
        f"close codes: {', '.join(report['close_codes']) or 'none'}",
    ]
