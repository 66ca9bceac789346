"""Hostile frames for the ``garbage_frames`` scenario: every one must be survived by a client."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GarbageFrame:
    """One garbage frame: raw bytes and whether it goes out as a binary frame."""

    kind: str
    data: bytes
    binary: bool = False


_ESCAPES = "\u001b[2J\u001b[31m[bold red]PWNED[/bold red]\u202eevil\u2066x\u0007\u0000"

GARBAGE: tuple[GarbageFrame, ...] = (
    GarbageFrame("not_json", b"this is not JSON {"),
    GarbageFrame("binary", b"\x00\x01\x02\xffbinary frame", binary=True),
    GarbageFrame("non_object", b"[1,2,3]"),
    GarbageFrame("null", b"null"),
    GarbageFrame(
        "nan",
        b'{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE",'
        b'"time":"2026-03-02T14:05:07Z","bids":[{"price":NaN,"amount":"1"}],"asks":[]}}',
    ),
    GarbageFrame(
        "wrong_types",
        b'{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE",'
        b'"time":12345,"bids":"nope","asks":null}}',
    ),
    GarbageFrame(
        "wrong_types_execution",
        b'{"channel":"execution_data","payload":{"market":"BTCUSD","price":1.5,'
        b'"amount":["x"],"executed_at":true}}',
    ),
    GarbageFrame(
        "escapes_error",
        json.dumps({"type": "error", "error": _ESCAPES}).encode(),
    ),
    GarbageFrame(
        "escapes_channel",
        (
            b'{"channel":"[link=http://evil.example]click[/link]\\u001b]8;;http://evil\\u0007",'
            b'"payload":{"market":"\\u202eDSUCTB","note":"[blink]x[/blink]\\u001b[5m"}}'
        ),
    ),
    GarbageFrame(
        "escapes_result",
        (
            b'{"type":"subscribe","channels":[{"type":"market_data","params":'
            b'{"market":"\\u001b[31mBTCUSD\\u202e"},"success":false,'
            b'"error":"[bold]\\u001b[5mBLINK\\u0007"}]}'
        ),
    ),
    GarbageFrame("deep_nesting", b"[" * 50_000 + b"]" * 50_000),
    GarbageFrame("huge_number", b'{"channel":"heartbeat","payload":{"timestamp":1e999}}'),
    GarbageFrame(
        "exponent_decimal",
        b'{"channel":"market_data","payload":{"market":"NOPEUSD","type":"UPDATE",'
        b'"time":"2026-03-02T14:05:07Z","bids":[{"price":"6.5E+4","amount":"1e-3"}],"asks":[]}}',
    ),
    GarbageFrame("invalid_utf8", b'{"channel":"heartbeat","payload":{"timestamp":"\xff\xfe"}}'),
)
"""Every garbage frame, by kind.  ``invalid_utf8`` makes compliant clients close with 1007."""

DEFAULT_KINDS: tuple[str, ...] = tuple(g.kind for g in GARBAGE if g.kind != "invalid_utf8")


def garbage_cycle(kinds: tuple[str, ...] | str | None) -> list[GarbageFrame]:
    """Return the garbage frames to inject, in order, for a ``kinds`` parameter."""
    if isinstance(kinds, str):
        kinds = tuple(k.strip() for k in kinds.replace("+", ",").split(",") if k.strip())
    wanted = set(kinds or DEFAULT_KINDS)
    unknown = wanted - {g.kind for g in GARBAGE}
    if unknown:
        raise ValueError(f"unknown garbage kinds: {', '.join(sorted(unknown))}")
    return [g for g in GARBAGE if g.kind in wanted]
