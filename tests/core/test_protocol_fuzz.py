"""Hostile input: every reject reason, escape-laden strings, and fuzzing of decode()."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sor_tui.core import events
from sor_tui.core.events import (
    BookSnapshot,
    BookUpdate,
    Ignored,
    OperationResult,
    Rejected,
    ServerError,
    SubscriptionList,
)
from sor_tui.core.protocol import REJECT_REASONS, decode, decoder
from sor_tui.core.timestamps import format_rfc3339_ns

FRAMES = Path(__file__).parent.parent / "data" / "frames"
GOLDEN = sorted(p for p in FRAMES.glob("*.json") if not p.stem.startswith("request_"))

TIME = "2026-03-02T14:05:07Z"


def book(bids: Any = None, **payload: Any) -> str:
    """A compact UPDATE frame with overridable payload fields."""
    body: dict[str, Any] = {"market": "BTCUSD", "type": "UPDATE", "time": TIME}
    if bids is not None:
        body["bids"] = bids
    body.update(payload)
    return json.dumps({"channel": "market_data", "payload": body}, separators=(",", ":"))


def inert(text: str) -> bool:
    """True when no control, format (bidi, invisible) or surrogate character remains."""
    return all(unicodedata.category(char) not in {"Cc", "Cf", "Cs"} for char in text)


def strings_of(value: object) -> list[str]:
    """Every string inside an event, however deeply nested."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in strings_of(getattr(value, f.name))]
    if isinstance(value, tuple | list):
        return [s for item in value for s in strings_of(item)]
    return []


def assert_safe(event: object) -> None:
    """Every string a decoded event carries is inert; a rejection's excerpt is short."""
    assert isinstance(event, events.ServerEvent.__args__)  # type: ignore[attr-defined]
    for text in strings_of(event):
        assert inert(text), repr(text)
    if isinstance(event, Rejected):
        assert event.reason in REJECT_REASONS
        assert len(event.excerpt) <= 120


DEEP = "[" * 5000 + "]" * 5000

REJECTS = [
    ("binary_frame", b'{"channel":"heartbeat"}', {}),
    ("binary_frame", bytearray(b"\x00\x01"), {}),
    ("bad_utf8", '{"type":"error","error":"\udc80"}', {}),
    ("too_large", book([{"price": "1", "amount": "1"}] * 50), {"max_bytes": 200}),
    ("not_json", "", {}),
    ("not_json", "not json", {}),
    ("not_json", '{"channel":"market_data"', {}),
    ("not_json", '{"a":NaN}', {}),
    ("not_json", '{"a":Infinity}', {}),
    ("not_json", '{"type":"error","error":"\\ud800"}', {}),  # escaped lone surrogate
    ("not_object", "[]", {}),
    ("not_object", '"text"', {}),
    ("not_object", "42", {}),
    ("not_object", "null", {}),
    ("too_deep", '{"x":' + DEEP + "}", {}),
    ("too_deep", '{"channel":"market_data","payload":' + DEEP + "}", {}),
    (
        "missing_field",
        f'{{"channel":"market_data","payload":{{"type":"UPDATE","time":"{TIME}"}}}}',
        {},
    ),
    (
        "missing_field",
        '{"channel":"market_data","payload":{"market":"BTCUSD","type":"UPDATE"}}',
        {},
    ),
    ("missing_field", '{"channel":"heartbeat"}', {}),
    ("missing_field", book([{"price": "1"}]), {}),
    ("missing_field", '{"type":"subscribe"}', {}),
    ("missing_field", '{"type":"subscribe","channels":[{"success":true}]}', {}),
    ("missing_field", '{"type":"error"}', {}),
    ("wrong_type", book([{"price": 1, "amount": "1"}]), {}),
    ("wrong_type", book([{"price": "1", "amount": 1.5}]), {}),
    ("wrong_type", book({"price": "1"}), {}),
    ("wrong_type", book(market=7), {}),
    ("wrong_type", '{"channel":7}', {}),
    ("wrong_type", '{"channel":"heartbeat","payload":[]}', {}),
    ("wrong_type", '{"channel":"heartbeat","payload":null}', {}),
    ("wrong_type", '{"type":"error","error":5}', {}),
    ("wrong_type", '{"type":"subscribe","channels":{}}', {}),
    ("wrong_type", '{"type":"subscribe","channels":[{"type":"x","success":"yes"}]}', {}),
    ("wrong_type", '{"type":"subscription_list","channels":[{"type":"x","params":[]}]}', {}),
    ("bad_number", book([{"price": "-1", "amount": "1"}]), {}),
    ("bad_number", book([{"price": "1", "amount": "-0.5"}]), {}),
    ("bad_number", book([{"price": "0", "amount": "1"}]), {}),
    ("bad_number", book([{"price": "1e3", "amount": "1"}]), {}),
    ("bad_number", book([{"price": "NaN", "amount": "1"}]), {}),
    ("bad_number", book([{"price": "Infinity", "amount": "1"}]), {}),
    ("bad_number", book([{"price": "1", "amount": " 1"}]), {}),
    ("bad_number", book([{"price": "1" * 41, "amount": "1"}]), {}),
    ("bad_number", book([{"price": "1", "amount": "1"}, {"price": "2", "amount": "x"}]), {}),
    ("bad_number", '{"channel":1e999}', {}),
    ("bad_number", book([{"price": "1", "amount": "1"}]).replace('"1"}', "1e999}"), {}),
    (
        "bad_number",
        '{"channel":"execution_data","payload":{"market":"M","price":"1","amount":"0",'
        f'"executed_at":"{TIME}"}}}}',
        {},
    ),
    ("bad_timestamp", book(time="2026-02-30T00:00:00Z"), {}),
    ("bad_timestamp", book(time="1772460307"), {}),
    ("bad_timestamp", '{"channel":"heartbeat","payload":{"timestamp":"yesterday"}}', {}),
    ("too_many_levels", book([{"price": "1", "amount": "1"}] * 11), {"max_levels": 10}),
]


@pytest.mark.parametrize(("reason", "frame", "options"), REJECTS)
def test_each_reject_reason(reason: str, frame: str | bytes, options: dict[str, int]) -> None:
    event = decode(frame, **options)
    assert isinstance(event, Rejected), event
    assert event.reason == reason, event.detail
    assert_safe(event)


def test_every_reject_reason_except_internal_is_exercised() -> None:
    assert {reason for reason, _, _ in REJECTS} == set(REJECT_REASONS) - {"internal"}


def test_a_decoder_bug_becomes_an_internal_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr(decoder, "build_levels", broken)
    event = decode(book([{"price": "1", "amount": "1"}]))
    assert isinstance(event, Rejected)
    assert event.reason == "internal"


def test_a_rejected_frame_is_rejected_whole() -> None:
    good = {"price": "1", "amount": "1"}
    event = decode(book([good, good, {"price": "-2", "amount": "1"}]))
    assert isinstance(event, Rejected)
    assert event.market == "BTCUSD"  # so the book can resync this market


HOSTILE = [
    "\x1b[2J\x1b[H",
    "\x1b]0;pwned\x07",
    "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x9b31m\x9d0;t\x9c",
    "\x90q\x9c",
    "BTC\u202eDSU",
    "\u2066x\u2069\u200f\u061c",
    "\ufeff\u200b\u2060",
    "[bold red]markup[/][link=http://evil]x[/link]",
    "\x00\x07\x08\x7f",
]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize(
    "template",
    [
        lambda h: book([{"price": "1", "amount": "1"}], market=h),
        lambda h: book([{"price": "1", "amount": "1"}], market=h, time="bad"),
        lambda h: book([{"price": h, "amount": "1"}], market=h),
        lambda h: json.dumps({"channel": h, "payload": {}}),
        lambda h: json.dumps({"type": h}),
        lambda h: json.dumps({"type": "error", "error": h}),
        lambda h: json.dumps({"channel": "market_data", "payload": {"market": "M", "type": h}}),
        lambda h: json.dumps(
            {
                "type": "subscribe",
                "channels": [{"type": h, "params": {"market": h}, "success": False, "error": h}],
            }
        ),
        lambda h: json.dumps({"type": "subscription_list", "channels": [{"type": h}]}),
        # Raw (unescaped) C1 and bidi characters are legal inside JSON strings.
        lambda h: json.dumps({"type": "error", "error": h}, ensure_ascii=False),
        lambda h: "not json " + h,
    ],
)
def test_hostile_strings_never_leak(hostile: str, template: Any) -> None:
    event = decode(template(hostile))
    assert_safe(event)


def test_rich_markup_survives_as_plain_text() -> None:
    event = decode(book([{"price": "1", "amount": "1"}], market="[b]X[/b]"))
    assert isinstance(event, BookUpdate)
    assert event.market == "[b]X[/b]"  # rendered with Text(), never parsed as markup


@pytest.mark.parametrize("spoof", ["BTC\u200bUSD", "\ufeffBTCUSD", "BTCUSD\u202c", "BTC\x00USD"])
def test_invisible_characters_cannot_make_a_market_pose_as_another(spoof: str) -> None:
    event = decode(book([{"price": "1", "amount": "1"}], market=spoof))
    assert isinstance(event, BookUpdate)
    assert event.market != "BTCUSD"
    echo = decode(
        json.dumps(
            {
                "type": "subscribe",
                "channels": [
                    {"type": "market_data", "params": {"market": spoof}, "success": False}
                ],
            }
        )
    )
    assert isinstance(echo, OperationResult)
    assert echo.results[0].market != "BTCUSD"


def test_sanitized_fields_are_capped() -> None:
    event = decode(json.dumps({"type": "error", "error": "E" * 10_000}))
    assert isinstance(event, ServerError)
    assert len(event.code) <= 64


# --- fuzzing ------------------------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutate(root: Any, path: tuple[Any, ...], action: str, new: Any) -> Any:
    """Replace, delete or wrap the value at ``path``; returns the new root."""
    if not path:
        return new if action != "wrap" else [root]
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "wrap":
        parent[last] = [parent[last]]
    elif action == "stringify":
        parent[last] = json.dumps(parent[last])
    else:
        parent[last] = new
    return root


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decode_survives_structural_mutations_of_valid_frames(data: st.DataObject) -> None:
    original = json.loads(data.draw(st.sampled_from(GOLDEN)).read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(paths(original)))
    action = data.draw(st.sampled_from(["replace", "delete", "wrap", "stringify"]))
    new = data.draw(JSON_VALUES)
    mutated = mutate(original, path, action, new)
    compact = json.dumps(mutated, separators=(",", ":"))
    pretty = json.dumps(mutated, indent=2, ensure_ascii=False)
    slow = decode(pretty)  # indented: always the general path
    assert_safe(slow)
    # Compact and default-spaced forms may take the hot path; it must agree.
    for fast in (decode(compact), decode(json.dumps(mutated))):
        assert_safe(fast)
        assert type(fast) is type(slow)
        if isinstance(fast, Rejected) and isinstance(slow, Rejected):
            assert fast.reason == slow.reason
        else:
            assert fast == slow


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_decode_never_raises_on_any_text(text: str) -> None:
    assert_safe(decode(text))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_decode_never_raises_on_any_bytes(raw: bytes) -> None:
    event = decode(raw)
    assert isinstance(event, Rejected) and event.reason == "binary_frame"
    assert_safe(event)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_decode_never_raises_on_any_json(value: Any) -> None:
    event = decode(json.dumps(value))
    assert_safe(event)
    if not isinstance(value, dict):
        assert isinstance(event, Rejected)


def test_result_types_cover_the_classes() -> None:
    """Sanity check of the fixtures above: golden frames reach several event kinds."""
    kinds = {type(decode(p.read_text(encoding="utf-8"))) for p in GOLDEN}
    assert {OperationResult, SubscriptionList, ServerError, BookUpdate} <= kinds
    assert Ignored not in kinds and Rejected not in kinds


DECIMAL_TEXT = st.from_regex(r"[0-9]{1,12}(\.[0-9]{0,10})?", fullmatch=True)
LEVELS = st.lists(st.tuples(DECIMAL_TEXT, DECIMAL_TEXT), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    bids=LEVELS,
    asks=LEVELS,
    nanos=st.integers(min_value=0, max_value=4_102_444_799_999_999_999),
    kind=st.sampled_from(["UPDATE", "SNAPSHOT"]),
)
def test_valid_book_frames_decode_to_exact_values(
    bids: list[tuple[str, str]], asks: list[tuple[str, str]], nanos: int, kind: str
) -> None:
    time = format_rfc3339_ns(nanos)
    text = json.dumps(
        {
            "channel": "market_data",
            "payload": {
                "market": "ETHUSD",
                "type": kind,
                "time": time,
                "bids": [{"price": p, "amount": a} for p, a in bids],
                "asks": [{"price": p, "amount": a} for p, a in asks],
            },
        },
        separators=(",", ":"),
    )
    event = decode(text)
    if any(not Decimal(p) for p, _ in bids + asks):
        assert isinstance(event, Rejected) and event.reason == "bad_number"
        return
    assert isinstance(event, BookUpdate if kind == "UPDATE" else BookSnapshot)
    assert (event.market, event.time_ns, event.time_text) == ("ETHUSD", nanos, time)
    assert [(x.price, x.amount) for x in event.bids] == [(Decimal(p), Decimal(a)) for p, a in bids]
    assert [(x.price, x.amount) for x in event.asks] == [(Decimal(p), Decimal(a)) for p, a in asks]
