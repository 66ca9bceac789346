"""The simulator's own encoders: frame headers, decimals and trimmed RFC3339Nano times."""

from __future__ import annotations

import random

import pytest
from websockets.frames import Frame, Opcode

from sor_tui.sim import wire
from sor_tui.sim.session import ws_frame
from tests.sim.conftest import canon, parse_ns


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
@pytest.mark.parametrize("binary", [False, True])
def test_frame_header_matches_the_websockets_serializer(size: int, binary: bool) -> None:
    payload = random.Random(size).randbytes(size)
    opcode = Opcode.BINARY if binary else Opcode.TEXT
    expected = Frame(opcode, payload).serialize(mask=False)
    assert ws_frame(payload, binary) == expected


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (1_772_460_307_000_000_000, "2026-03-02T14:05:07Z"),
        (1_772_460_307_310_000_000, "2026-03-02T14:05:07.31Z"),
        (1_772_460_307_310_004_000, "2026-03-02T14:05:07.310004Z"),
        (1_772_460_307_412_118_903, "2026-03-02T14:05:07.412118903Z"),
        (1_772_460_307_000_000_001, "2026-03-02T14:05:07.000000001Z"),
    ],
)
def test_times_are_go_rfc3339nano(ns: int, text: str) -> None:
    assert wire.format_time(ns) == text
    assert parse_ns(text) == ns


@pytest.mark.parametrize(
    ("units", "decimals", "fixed", "canonical"),
    [
        (6500025, 2, "65000.25", "65000.25"),
        (6500000, 2, "65000.00", "65000"),
        (10, 8, "0.00000010", "0.0000001"),
        (0, 8, "0.00000000", "0"),
        (123, 0, "123", "123"),
    ],
)
def test_decimals(units: int, decimals: int, fixed: str, canonical: str) -> None:
    assert wire.fixed(units, decimals) == fixed
    assert wire.canonical(units, decimals) == canonical


def test_mixed_spellings_are_equal_in_value() -> None:
    rng = random.Random(3)
    for units in (0, 1, 315000, 315005, 100_000_000):
        spellings = {wire.mixed(units, 2, rng) for _ in range(60)}
        assert len(spellings) >= 3
        assert {canon(s) for s in spellings} == {canon(wire.canonical(units, 2))}


@pytest.mark.parametrize("is_bid", [True, False])
def test_one_level_update_is_the_same_text_as_the_general_encoder(is_bid: bool) -> None:
    level = [("65000.25", "0.5")]
    general = wire.book_frame(
        "UPDATE", "BTCUSD", "2026-03-02T14:05:07Z", level if is_bid else [], [] if is_bid else level
    )
    fast = wire.one_level_update_frame("BTCUSD", "2026-03-02T14:05:07Z", is_bid, "65000.25", "0.5")
    assert fast == general
