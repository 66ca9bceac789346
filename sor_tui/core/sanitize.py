"""Make server-provided text safe to show on a terminal or write to a log.

Everything a server (or an attacker in the middle) can put in a string could
otherwise move the cursor, retitle the terminal, hide text with bidi overrides
or spoof look-alike content. The output is plain text: callers render it with
``rich.text.Text(...)``, never as markup, so ``[`` needs no escaping here.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# Whole escape sequences go first, so their printable tails ("[31m", "]0;title")
# do not survive as visible garbage once the ESC itself is dropped. The string
# bodies exclude every introducer (ESC and the C1 forms), so an unterminated
# sequence stops at the next one: matching stays linear on hostile input.
_INTRODUCERS = "\x1b\x90\x98\x9b\x9d\x9e\x9f"
_ESCAPE_SEQUENCE = re.compile(
    rf"""
      (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]                # CSI
    | (?:\x1b\]|\x9d)[^\x07\x9c{_INTRODUCERS}]*(?:\x07|\x1b\\|\x9c)     # OSC: BEL or ST
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x9c{_INTRODUCERS}]*(?:\x1b\\|\x9c)  # DCS/SOS/PM/APC
    | \x1b[\x20-\x2f]*[\x30-\x7e]                                      # 2-char and nF ESC
    """,
    re.VERBOSE,
)

# Default-ignorable code points outside category Cf: invisible fillers, the
# combining grapheme joiner and variation selectors. Cf itself is handled below.
_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
    "\ufff0-\ufff8\U000e0000-\U000e0fff]"
)

# Tab, newline and friends become a space so words stay apart.
_AS_SPACE = frozenset("\t\n\r\x0b\x0c\u2028\u2029\x85")

# Categories removed outright: controls, format characters (bidi overrides and
# isolates, zero-width and invisible characters, BOM, tag characters) and
# surrogates, which cannot be encoded and so would break any log or screen.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

# Bound the work done on hostile megabyte strings: nothing past this many input
# characters can reach the output anyway, apart from a rare long escape run.
_INPUT_FACTOR = 8
_INPUT_FLOOR = 4096


def _clean_char(char: str) -> str:
    """Return the replacement for one non-ASCII-printable character."""
    if char in _AS_SPACE:
        return " "
    if unicodedata.category(char) in _DROP_CATEGORIES:
        return ""
    return char


def _cap(text: str, max_len: int) -> str:
    """Cut ``text`` to at most ``max_len`` characters, marking the cut with an ellipsis."""
    if len(text) <= max_len:
        return text
    if max_len <= 0:
        return ""
    return text[: max_len - 1] + ELLIPSIS


def sanitize(text: str, max_len: int = 200) -> str:
    """Strip control, escape and invisible formatting characters and cap the length."""
    if text.isascii() and text.isprintable():
        return _cap(text, max_len)
    limit = max(max_len * _INPUT_FACTOR, _INPUT_FLOOR)
    if len(text) > limit:
        text = text[:limit]
    text = _INVISIBLE.sub("", _ESCAPE_SEQUENCE.sub("", text))
    cleaned = "".join(char if " " <= char <= "~" else _clean_char(char) for char in text)
    return _cap(cleaned, max_len)


def escape_identifier(text: str, max_len: int = 64) -> str:
    """Make an identifier (market, channel type, error code) safe while keeping it distinct.

    Printable ASCII is kept as is; anything else becomes a visible escape such as
    ``\\u200b``, so "BTC<zero-width space>USD" can never pose as "BTCUSD" the way
    plain stripping would let it.
    """
    if text.isascii() and text.isprintable():
        return _cap(text, max_len)
    limit = max(max_len * _INPUT_FACTOR, _INPUT_FLOOR)
    escaped = text[:limit].encode("ascii", "backslashreplace").decode("ascii")
    # backslashreplace leaves ASCII controls (ESC, NUL, DEL) alone: escape those too.
    visible = "".join(char if " " <= char <= "~" else f"\\x{ord(char):02x}" for char in escaped)
    return _cap(visible, max_len)


def excerpt(raw: str | bytes, max_len: int = 120) -> str:
    """Return a short, safe excerpt of a (possibly hostile or binary) frame for display."""
    if isinstance(raw, bytes | bytearray | memoryview):
        # repr() escapes every non-printable and non-ASCII byte, so the result is
        # pure printable ASCII; sanitize() then only caps the length.
        text = repr(bytes(raw[:max_len]))
        return sanitize(text, max_len)
    return sanitize(raw[: max(max_len * _INPUT_FACTOR, _INPUT_FLOOR)], max_len)
