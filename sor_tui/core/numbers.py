"""Strict decimal strings for prices and amounts, exact and canonical.

The wire sends decimals as JSON strings in no fixed form ("50000", "50000.00",
"0.0"); equal values must become equal keys and every spelling of zero must
test as zero (protocol §8.5, pitfalls §13.2 and §13.3).
"""

from __future__ import annotations

from decimal import Decimal

MAX_DECIMAL_CHARS = 40

ZERO = Decimal(0)


def canonical_digits(text: str) -> str:
    """Strip leading integer zeros, trailing fraction zeros and a bare point from a digit string."""
    integer, _, fraction = text.partition(".")
    integer = integer.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{integer}.{fraction}" if fraction else integer


def parse_decimal(text: str) -> Decimal:
    """Parse a strict, unsigned decimal string (digits, optional fraction) into an exact Decimal.

    The result carries no trailing zeros, so "50000.00" gives Decimal("50000");
    signs, exponents, NaN/Infinity, whitespace and over-long strings raise ValueError.
    """
    if not isinstance(text, str):
        raise ValueError("decimal is not a string")
    if len(text) > MAX_DECIMAL_CHARS:
        raise ValueError(f"decimal is longer than {MAX_DECIMAL_CHARS} characters")
    # isdigit() alone would accept other scripts' digits and superscripts, hence
    # isascii(); removing one point leaves pure digits only for "123" or "1.5"-like text.
    if not (text.isascii() and text.replace(".", "", 1).isdigit()) or text[0] == ".":
        raise ValueError("decimal must be digits with an optional fraction")
    if "." in text:
        # Trailing zeros only: Decimal() already drops leading integer zeros.
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


def canonical_text(value: Decimal) -> str:
    """Render a Decimal in plain positional form without trailing zeros ("50000", "0.5")."""
    if not value.is_finite():
        raise ValueError("decimal is not finite")
    if value.is_zero():
        return "0"
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def parse_price(text: str) -> Decimal:
    """Parse a price: a strict decimal that must be greater than zero."""
    value = parse_decimal(text)
    if not value:
        raise ValueError("price must be greater than zero")
    return value


def parse_amount(text: str) -> Decimal:
    """Parse an amount: a strict decimal, zero allowed (zero deletes a level)."""
    return parse_decimal(text)


def is_zero(value: Decimal) -> bool:
    """Numeric zero test, true for every spelling ("0", "0.0", "0.00000000")."""
    return value.is_zero()


ZERO = Decimal(0)
"""Zero, as a signed zero such as ``"-0"`` parses."""


def is_signed_zero(text: str) -> bool:
    """True for a negative zero such as ``"-0"`` or ``"-0.00"``: a removal, not a sign error.

    A server formatting a float can print ``-0``; every other sign stays invalid.
    """
    digits = text[1:]
    return (
        text[:1] == "-"
        and 0 < len(digits) <= MAX_DECIMAL_CHARS
        and digits[0] != "."
        and digits.isascii()
        and digits.replace(".", "", 1).isdigit()
        and not digits.replace(".", "").strip("0")
    )
