"""Strict RFC3339Nano parsing to integer nanoseconds, and Go-style formatting."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core import timestamps
from sor_tui.core.bounded import BoundedCache
from sor_tui.core.timestamps import format_rfc3339_ns, parse_rfc3339_ns

BASE = "2026-03-02T14:05:07"
BASE_NS = int(datetime(2026, 3, 2, 14, 5, 7, tzinfo=UTC).timestamp()) * 1_000_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000000001Z", 1),
        (f"{BASE}Z", BASE_NS),
        (f"{BASE}.31Z", BASE_NS + 310_000_000),
        (f"{BASE}.310004Z", BASE_NS + 310_004_000),
        (f"{BASE}.412118903Z", BASE_NS + 412_118_903),
        (f"{BASE}.000000000Z", BASE_NS),
        (f"{BASE}.5+00:00", BASE_NS + 500_000_000),
        (f"{BASE}.5-00:00", BASE_NS + 500_000_000),
        (f"{BASE}+01:00", BASE_NS - 3600 * 1_000_000_000),
        (f"{BASE}-05:30", BASE_NS + 19800 * 1_000_000_000),
        ("2024-02-29T23:59:59.999999999Z", 1_709_251_199_999_999_999),
        ("2000-02-29T00:00:00Z", 951_782_400 * 1_000_000_000),
    ],
)
def test_parses_to_exact_nanoseconds(text: str, expected: int) -> None:
    assert parse_rfc3339_ns(text) == expected


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        # §8.3 counter-examples: the string order is the wrong way round.
        ("2026-03-02T14:05:00.1Z", "2026-03-02T14:05:00.123Z"),
        ("2026-03-02T14:05:00Z", "2026-03-02T14:05:00.5Z"),
        ("2026-03-02T14:05:09.9Z", "2026-03-02T14:05:10Z"),
        ("2026-03-02T15:00:00+01:00", "2026-03-02T14:30:00Z"),
    ],
)
def test_order_is_numeric_not_lexicographic(earlier: str, later: str) -> None:
    assert parse_rfc3339_ns(earlier) < parse_rfc3339_ns(later)


def test_string_comparison_would_have_got_the_counter_examples_wrong() -> None:
    """Guards the test above: these pairs really do sort the other way as text."""
    assert "2026-03-02T14:05:00.1Z" > "2026-03-02T14:05:00.123Z"
    assert "2026-03-02T14:05:00Z" > "2026-03-02T14:05:00.5Z"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"{BASE}.412118903Z", f"{BASE}.412118904Z"),
        (f"{BASE}.000000001Z", f"{BASE}Z"),
        (f"{BASE}.123456789Z", f"{BASE}.1234567Z"),
    ],
)
def test_nanosecond_values_that_collapse_at_microseconds_stay_distinct(
    first: str, second: str
) -> None:
    assert parse_rfc3339_ns(first) != parse_rfc3339_ns(second)
    # The same values through a microsecond type would compare equal.
    micro = [datetime.fromisoformat(t[:26].rstrip("Z") + "+00:00") for t in (first, second)]
    assert micro[0] == micro[1]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-03-02",
        "2026-03-02T14:05:07",  # no zone
        "2026-03-02 14:05:07Z",  # space instead of T
        "2026-03-02t14:05:07z",
        "2026-03-02T14:05:07.Z",  # empty fraction
        "2026-03-02T14:05:07.1234567890Z",  # 10 digits
        "2026-03-02T14:05:07,5Z",
        "2026-02-30T00:00:00Z",  # Feb 30
        "2025-02-29T00:00:00Z",  # not a leap year
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-03-00T00:00:00Z",
        "2026-03-02T24:00:00Z",  # hour 24
        "2026-03-02T14:60:00Z",
        "2026-03-02T14:05:60Z",  # leap second: Go rejects it too
        "2026-03-02T14:05:07+24:00",
        "2026-03-02T14:05:07+01:60",
        "2026-03-02T14:05:07+0100",
        "0000-01-01T00:00:00Z",  # absurd years
        "9999-12-31T23:59:59Z",
        "1969-12-31T23:59:59Z",  # before the epoch
        "1970-01-01T00:30:00+01:00",  # before the epoch after the offset
        " 2026-03-02T14:05:07Z",
        "2026-03-02T14:05:07Z ",
        "2026-03-02T14:05:07Z\n",
        "\uff12\uff10\uff12\uff16-03-02T14:05:07Z",  # full-width digits
        "2026-03-02T14:05:07.\u0661Z",  # Arabic-Indic digit in the fraction
        "2026-03-02T14:05:07.1_2Z",  # int() would accept the underscore
        "2026-03-02T14:05:07.+1Z",
        "2026-03-02T14:05:07. 1Z",
        "2026-03-02T14:05:07.1Zjunk",
        "x" * 1000,
    ],
)
@pytest.mark.parametrize("warm", ["cold", "head_cache", "last_head"])
def test_rejects_invalid_forms(text: str, warm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each of the three paths (regex, cached head, previous head) must see the bad text.
    monkeypatch.setattr(timestamps, "_HEAD_CACHE", BoundedCache(4096))
    monkeypatch.setattr(timestamps, "_DAY_CACHE", BoundedCache(4096))
    monkeypatch.setattr(timestamps, "_LAST", ("\x00never", 0))
    if warm == "head_cache":
        timestamps._HEAD_CACHE[BASE] = BASE_NS // 1_000_000_000
    elif warm == "last_head":
        monkeypatch.setattr(timestamps, "_LAST", (BASE, BASE_NS))
    with pytest.raises(ValueError, match="timestamp"):
        parse_rfc3339_ns(text)


@pytest.mark.parametrize("warm", ["cold", "head_cache", "last_head"])
@pytest.mark.parametrize(
    "tail", ["Z", ".5Z", ".000000001Z", ".123456789Z", ".1+00:00", "-01:30", ".12345678Z"]
)
def test_every_path_gives_the_same_value(
    tail: str, warm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = BASE + tail
    monkeypatch.setattr(timestamps, "_HEAD_CACHE", BoundedCache(4096))
    monkeypatch.setattr(timestamps, "_LAST", ("\x00never", 0))
    expected = parse_rfc3339_ns(text)  # cold: the regex path
    if warm == "last_head":
        monkeypatch.setattr(timestamps, "_LAST", (BASE, BASE_NS))
    elif warm == "cold":
        monkeypatch.setattr(timestamps, "_HEAD_CACHE", BoundedCache(4096))
    assert parse_rfc3339_ns(text) == expected


def test_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_rfc3339_ns(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (BASE_NS, f"{BASE}Z"),
        (BASE_NS + 310_000_000, f"{BASE}.31Z"),
        (BASE_NS + 310_004_000, f"{BASE}.310004Z"),
        (BASE_NS + 412_118_903, f"{BASE}.412118903Z"),
        (BASE_NS + 1, f"{BASE}.000000001Z"),
    ],
)
def test_formats_go_style(value: int, text: str) -> None:
    assert format_rfc3339_ns(value) == text


@pytest.mark.parametrize(
    "text", [f"{BASE}.100Z", f"{BASE}.5+02:00", "2024-02-29T23:59:59.999999999Z"]
)
def test_round_trip_through_canonical_form(text: str) -> None:
    value = parse_rfc3339_ns(text)
    assert parse_rfc3339_ns(format_rfc3339_ns(value)) == value


@pytest.mark.parametrize("value", [10**30, 253_402_300_800 * 10**9, -(10**30)])
def test_format_rejects_unrepresentable_values(value: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        format_rfc3339_ns(value)


def test_format_handles_times_before_the_epoch() -> None:
    assert format_rfc3339_ns(-1) == "1969-12-31T23:59:59.999999999Z"


ORACLE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def oracle_ns(text: str) -> int | None:
    """An independent reference: datetime for the calendar, integers for the rest."""
    match = ORACLE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone, sign, off_h, off_m = match.groups()[6:]
    if zone != "Z" and (int(off_h) > 23 or int(off_m) > 59):
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    seconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
    if zone != "Z":
        offset = int(off_h) * 3600 + int(off_m) * 60
        seconds -= offset if sign == "+" else -offset
    result = seconds * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))
    if result < 0 or not 1970 <= year <= 2261:
        return None
    return result


TIMESTAMP_TEXT = st.builds(
    "{}-{}-{}T{}:{}:{}{}{}".format,
    st.sampled_from(["1970", "2000", "2024", "2025", "2026", "2261", "2262", "0000", "9999"]),
    st.sampled_from(["01", "02", "04", "12", "13", "00", "1"]),
    st.sampled_from(["01", "28", "29", "30", "31", "32", "00"]),
    st.sampled_from(["00", "09", "23", "24"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "07", "59", "60", "5"]),
    st.sampled_from(["", ".", ".5", ".123456789", ".1234567890", ".000000001", ".12_3", ". 1"]),
    st.sampled_from(["Z", "z", "+00:00", "-05:30", "+23:59", "+24:00", "+01:60", "", "+0100"]),
)


@settings(max_examples=300, deadline=None)
@given(TIMESTAMP_TEXT)
def test_parser_agrees_with_an_independent_oracle(text: str) -> None:
    expected = oracle_ns(text)
    try:
        got: int | None = parse_rfc3339_ns(text)
    except ValueError:
        got = None
    assert got == expected
    if got is not None:  # and again through the warm caches
        assert parse_rfc3339_ns(text) == got
