"""Strict decimal strings: exact values, canonical keys, numeric zero, rejects."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.numbers import (
    canonical_text,
    is_zero,
    parse_amount,
    parse_decimal,
    parse_price,
)


@pytest.mark.parametrize("spelling", ["50000", "50000.0", "50000.00", "050000", "50000."])
def test_equal_values_are_one_key(spelling: str) -> None:
    value = parse_decimal(spelling)
    assert value == Decimal(50000)
    assert {value: 1}.keys() == {Decimal("50000"): 1}.keys()
    assert canonical_text(value) == "50000"
    assert str(value) == "50000"  # no trailing zeros, no exponent


@pytest.mark.parametrize("spelling", ["0", "0.0", "0.00000000", "00", "000.000", "0."])
def test_every_zero_spelling_is_zero(spelling: str) -> None:
    value = parse_amount(spelling)
    assert is_zero(value)
    assert canonical_text(value) == "0"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("3150.05", "3150.05"),
        ("1.2341300", "1.23413"),
        ("19994.5", "19994.5"),
        ("0.00000001", "0.00000001"),
        ("0.000000000000000000000000000001", "0.000000000000000000000000000001"),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
    ],
)
def test_values_are_exact(text: str, canonical: str) -> None:
    value = parse_decimal(text)
    assert canonical_text(value) == canonical
    assert value == Decimal(text)


def test_sums_are_exact() -> None:
    total = sum((parse_decimal("0.1") for _ in range(10)), Decimal(0))
    assert total == parse_decimal("1.0")


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        " 1",
        "1 ",
        "1\n",
        "-1",
        "+1",
        "-0",
        "1e5",
        "1E5",
        "1.5e-3",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "sNaN",
        ".5",
        ".",
        "1.2.3",
        "1,5",
        "1_000",
        "0x10",
        "\u0661\u0662\u0663",  # Arabic-Indic digits: Decimal() would accept them
        "\uff11\uff12",  # full-width digits
        "\u00b2",
        "9" * 41,
        "0." + "0" * 39,
    ],
)
def test_rejects_anything_but_plain_digits(text: str) -> None:
    with pytest.raises(ValueError, match="decimal"):
        parse_decimal(text)


def test_forty_characters_is_the_limit() -> None:
    assert parse_decimal("1" * 40) == Decimal("1" * 40)


def test_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_decimal(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("spelling", ["0", "0.0", "0.000"])
def test_price_must_be_positive(spelling: str) -> None:
    with pytest.raises(ValueError, match="price"):
        parse_price(spelling)


def test_canonical_text_never_uses_exponents() -> None:
    assert canonical_text(Decimal("5E+4")) == "50000"
    assert canonical_text(Decimal("1E-8")) == "0.00000001"
    assert canonical_text(Decimal("-0")) == "0"


def test_canonical_text_rejects_non_finite() -> None:
    with pytest.raises(ValueError):
        canonical_text(Decimal("NaN"))


ORACLE = re.compile(r"[0-9]+(\.[0-9]*)?")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.-+eE _\u0661 n", max_size=45))
def test_grammar_matches_a_regex_oracle(text: str) -> None:
    """Accepted exactly when the plain-decimal grammar holds, and then exactly Decimal(text)."""
    valid = ORACLE.fullmatch(text) is not None and len(text) <= 40
    try:
        value = parse_decimal(text)
    except ValueError:
        assert not valid
    else:
        assert valid
        assert value == Decimal(text)
        assert "E" not in str(value) and not str(value).endswith(".")
