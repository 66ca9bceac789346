"""Stable reason codes of ``Rejected`` and ``Ignored`` events.

Counters group by these codes and ``explain()`` describes each one, so they
never change spelling; specifics go to ``Rejected.detail``.
"""

from __future__ import annotations

# Rejected.reason codes.
BINARY_FRAME = "binary_frame"
BAD_UTF8 = "bad_utf8"
TOO_LARGE = "too_large"
NOT_JSON = "not_json"
NOT_OBJECT = "not_object"
TOO_DEEP = "too_deep"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
BAD_NUMBER = "bad_number"
BAD_TIMESTAMP = "bad_timestamp"
TOO_MANY_LEVELS = "too_many_levels"
INTERNAL = "internal"
REJECT_REASONS = (
    BINARY_FRAME,
    BAD_UTF8,
    TOO_LARGE,
    NOT_JSON,
    NOT_OBJECT,
    TOO_DEEP,
    MISSING_FIELD,
    WRONG_TYPE,
    BAD_NUMBER,
    BAD_TIMESTAMP,
    TOO_MANY_LEVELS,
    INTERNAL,
)

# Stable Ignored.reason codes.
UNKNOWN_CHANNEL = "unknown_channel"
UNKNOWN_TYPE = "unknown_type"
UNKNOWN_PAYLOAD_TYPE = "unknown_payload_type"
UNCLASSIFIED = "unclassified"
IGNORE_REASONS = (UNKNOWN_CHANNEL, UNKNOWN_TYPE, UNKNOWN_PAYLOAD_TYPE, UNCLASSIFIED)
