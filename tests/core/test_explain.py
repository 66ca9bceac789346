"""explain(): every code a desk user can see gets an honest plain-language sentence."""

from __future__ import annotations

import pytest

from sor_tui.core.explain import explain
from sor_tui.core.reasons import IGNORE_REASONS, REJECT_REASONS

PROTOCOL_CODES = [
    "UNKNOWN_ACTION",
    "MALFORMED_REQUEST",
    "UNKNOWN_CHANNEL",
    "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
    "NO_EFFECT_ACTION",
    "INTERNAL_SERVER_ERROR",
]
HTTP = ["HTTP 401", "HTTP 403", "HTTP 429", "HTTP 5xx"]
TOKEN = ["invalid_client", "invalid_scope", "invalid_request", "unsupported_grant_type"]
# Codes our own transport and UI put in front of the user.
APP = ["missing_scope", "unavailable", "deadline", "protocol", "RESYNC", "feed_failed"]
GENERIC_MARK = "does not recognise"


@pytest.mark.parametrize(
    "code",
    PROTOCOL_CODES + HTTP + TOKEN + APP + ["rate_limited", *REJECT_REASONS, *IGNORE_REASONS],
)
def test_every_known_code_has_a_specific_explanation(code: str) -> None:
    text = explain(code)
    assert GENERIC_MARK not in text
    assert 20 < len(text) < 300
    assert text.endswith(".")
    assert text.count(". ") <= 2  # one or two sentences


def test_explanations_are_distinct() -> None:
    codes = PROTOCOL_CODES + HTTP + TOKEN + APP + list(REJECT_REASONS)
    assert len({explain(code) for code in codes}) == len(codes)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("HTTP 503", "HTTP 5xx"),
        ("HTTP 500", "HTTP 5xx"),
        ("502", "HTTP 5xx"),
        ("http 401", "HTTP 401"),
        ("403", "HTTP 403"),
        ("unknown_channel_params_configuration", "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"),
        ("bad_number: bids[0].price", "bad_number"),
        (" NO_EFFECT_ACTION ", "NO_EFFECT_ACTION"),
        ("rate limited", "rate_limited"),
    ],
)
def test_variants_map_to_the_same_explanation(variant: str, canonical: str) -> None:
    assert explain(variant) == explain(canonical)


def test_403_says_retrying_will_not_help() -> None:
    assert "scope" in explain("HTTP 403")
    assert "will not help" in explain("HTTP 403")


@pytest.mark.parametrize("code", ["SOMETHING_NEW", "HTTP 418", "", "x" * 500])
def test_unknown_codes_get_an_honest_generic_explanation(code: str) -> None:
    text = explain(code)
    assert GENERIC_MARK in text
    assert len(text) < 300


def test_unknown_code_is_sanitized_in_the_explanation() -> None:
    text = explain("EVIL\x1b]0;title\x07\u202eCODE")
    assert "\x1b" not in text and "\u202e" not in text
    assert "EVILCODE" in text
