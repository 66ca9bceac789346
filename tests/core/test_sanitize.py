"""sanitize() and excerpt(): nothing a server sends can drive or spoof the terminal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.sanitize import ELLIPSIS, escape_identifier, excerpt, sanitize

ESC = "\x1b"


def assert_inert(text: str) -> None:
    """No control, format or surrogate character survives, and no ESC at all."""
    for char in text:
        assert unicodedata.category(char) not in {"Cc", "Cf", "Cs"}, repr(char)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("BTCUSD", "BTCUSD"),
        ("ETH\tUSD", "ETH USD"),
        ("line1\nline2\r\n", "line1 line2  "),
        ("a\x00b\x07c\x08d\x7fe", "abcde"),
        ("a\x85b", "a b"),  # NEL is a line break
        ("a\x80\x9fb", "ab"),  # C1 controls
        (f"{ESC}[31mred{ESC}[0m", "red"),  # CSI SGR
        (f"{ESC}[2J{ESC}[H{ESC}[?25lhidden", "hidden"),  # clear screen, cursor
        (f"{ESC}[38;2;255;0;0mx", "x"),
        ("\x9b31mC1-CSI", "C1-CSI"),
        (f"{ESC}]0;pwned title\x07after", "after"),  # OSC, BEL terminated
        (f"{ESC}]8;;http://evil/{ESC}\\link{ESC}]8;;{ESC}\\", "link"),  # OSC 8, ST
        (f"{ESC}]52;c;ZXZpbA=={ESC}\\x", "x"),  # clipboard write
        ("\x9d0;t\x9cafter", "after"),  # C1 OSC and ST
        (f"{ESC}P1$r{ESC}\\dcs", "dcs"),  # DCS
        (f"{ESC}Xsos{ESC}\\a", "a"),
        (f"{ESC}^pm{ESC}\\b", "b"),
        (f"{ESC}_apc{ESC}\\c", "c"),
        (f"{ESC}7saved{ESC}8", "saved"),  # 2-char ESC sequences
        (f"{ESC}(0box", "box"),  # charset designation (nF)
        (f"{ESC}c", ""),  # full reset
        (f"{ESC}", ""),  # a lone ESC
        (f"{ESC}]0;unterminated", "0;unterminated"),  # inert once ESC is gone
        ("BTC\u202eDSU", "BTCDSU"),  # right-to-left override
        ("\u2066a\u2067b\u2068c\u2069", "abc"),  # isolates
        ("\u202a\u202b\u202c\u202d", ""),
        ("a\u200eb\u200fc\u061cd", "abcd"),  # marks
        ("\ufeffBOM", "BOM"),
        ("zero\u200bwidth\u200c\u200d\u2060", "zerowidth"),
        ("tag\U000e0041\U000e007f", "tag"),  # tag characters
        ("lone\ud800surrogate\udfff", "lonesurrogate"),
        ("a\u2028b\u2029c", "a b c"),
        ("BTC\u3164USD\u115f\u1160\uffa0", "BTCUSD"),  # Hangul fillers look like nothing
        ("a\u034fb\ufe0fc\U000e0100d\u180bz", "abcdz"),  # joiner, variation selectors
        ("soft\u00adhyphen", "softhyphen"),
        ("[bold red]markup[/]", "[bold red]markup[/]"),  # plain text, not escaped
        ("caf\u00e9 \u20ac \u65e5\u672c", "caf\u00e9 \u20ac \u65e5\u672c"),  # printable stays
    ],
)
def test_strips_controls_escapes_and_spoofing(raw: str, clean: str) -> None:
    result = sanitize(raw)
    assert result == clean
    assert_inert(result)


@pytest.mark.parametrize("max_len", [1, 2, 10, 200])
def test_caps_length_with_ellipsis(max_len: int) -> None:
    result = sanitize("x" * 500, max_len)
    assert len(result) == max_len
    assert result.endswith(ELLIPSIS)


def test_short_text_is_not_marked() -> None:
    assert sanitize("x" * 10, 10) == "x" * 10


def test_cap_applies_after_stripping() -> None:
    assert sanitize(f"{ESC}[31m" * 50 + "visible", 20) == "visible"


def test_huge_hostile_input_is_bounded() -> None:
    result = sanitize("\u202e" * 1_000_000 + "tail")
    assert len(result) <= 200
    assert_inert(result)


def test_excerpt_of_bytes_is_printable_ascii() -> None:
    raw = b"\x1b]0;x\x07\xff\xfe\x00{" * 100
    result = excerpt(raw)
    assert len(result) <= 120
    body = result.removesuffix(ELLIPSIS)
    assert body.isascii()
    assert body.isprintable()


def test_excerpt_of_text_is_sanitized_and_short() -> None:
    raw = '{"market":"' + f"{ESC}[2J\u202e" + "A" * 500 + '"}'
    result = excerpt(raw)
    assert len(result) <= 120
    assert_inert(result)
    assert result.startswith('{"market":"AAA')


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=300))
def test_sanitize_output_is_always_inert_and_bounded(text: str, max_len: int) -> None:
    result = sanitize(text, max_len)
    assert len(result) <= max_len
    assert_inert(result)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_excerpt_of_any_bytes_is_printable_ascii(raw: bytes) -> None:
    result = excerpt(raw).removesuffix(ELLIPSIS)
    assert len(result) <= 120
    assert result.isascii() and result.isprintable()


@pytest.mark.parametrize("introducer", ["\x9d", "\x90", "\x98", "\x9e", "\x9f", "\x1b]", "\x1bP"])
def test_runs_of_unterminated_introducers_are_removed(introducer: str) -> None:
    """Each one stops the previous unterminated body (this also keeps matching linear)."""
    result = sanitize(introducer * 1000 + "end")
    assert result == "end"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("BTCUSD", "BTCUSD"),
        ("[b]X[/b]", "[b]X[/b]"),
        ("BTC\u200bUSD", "BTC\\u200bUSD"),
        ("BTC\u202eDSU", "BTC\\u202eDSU"),
        ("\x1b]0;t\x07", "\\x1b]0;t\\x07"),
        ("A\x00\x7f", "A\\x00\\x7f"),
        ("\ud800", "\\ud800"),
        ("caf\u00e9", "caf\\xe9"),
    ],
)
def test_identifiers_are_escaped_not_stripped(raw: str, shown: str) -> None:
    result = escape_identifier(raw)
    assert result == shown
    assert result.isascii() and result.isprintable()


def test_escaped_identifiers_stay_distinct_and_capped() -> None:
    assert escape_identifier("BTC\u200bUSD") != escape_identifier("BTCUSD")
    assert len(escape_identifier("\u200b" * 10_000, 64)) == 64
