"""The wire shapes of server frames: msgspec Structs that mirror the JSON, and their decoders.

Strings stay strings here (prices, amounts, times); ``values`` validates them strictly.
Unknown fields are ignored, for forward compatibility. ``gc=False``: decoded instances are
short-lived trees that can never form a reference cycle, so the cycle collector need not
track them.
"""

from __future__ import annotations

import msgspec

MARKET_MAX = 64
CODE_MAX = 64
DETAIL_MAX = 120


class Envelope(msgspec.Struct, gc=False):
    """Top level of any frame; payload and channels stay raw until the kind is known.

    The three keys are typed loosely so that a field which only matters to another
    message shape (say a future non-string ``type`` on a streaming frame) is ignored
    rather than rejected; protocol checks the type where the value is used.
    """

    channel: object = None
    type: object = None
    error: object = None
    code: object = None  # some servers name the error field ``code`` (§14 #7)
    payload: msgspec.Raw = msgspec.Raw()
    channels: msgspec.Raw = msgspec.Raw()


class Level(msgspec.Struct, gc=False):
    """One wire price level: decimal strings, validated later."""

    price: str
    amount: str


class BookPayload(msgspec.Struct, gc=False):
    """A market_data payload (SNAPSHOT or UPDATE)."""

    market: str
    type: str
    time: str
    bids: list[Level] | None = None
    asks: list[Level] | None = None


class BookFrame(msgspec.Struct, gc=False):
    """The hot path: a whole market_data frame decoded in one pass."""

    channel: str
    payload: BookPayload


class TopPayload(msgspec.Struct, gc=False):
    """A market_data.top_of_book payload."""

    market: str
    timestamp: str
    type: str | None = None
    bids: list[Level] | None = None
    asks: list[Level] | None = None


class ExecutionPayload(msgspec.Struct, gc=False):
    """An execution_data payload."""

    market: str
    price: str
    amount: str
    executed_at: str


class HeartbeatPayload(msgspec.Struct, gc=False):
    """A heartbeat payload."""

    timestamp: str


class Probe(msgspec.Struct, gc=False):
    """Lenient view of a payload, used only on error paths to attribute a rejection."""

    market: object = None
    type: object = None


class Params(msgspec.Struct, gc=False):
    """Channel params as echoed by the server."""

    market: str | None = None


class ResultWire(msgspec.Struct, gc=False):
    """One per-channel result of a subscribe or unsubscribe response.

    ``success`` may be missing when the server sends only ``error`` (a refusal) or
    neither (an acknowledgement); protocol decides which.
    """

    type: str
    success: bool | None = None
    params: Params | None = None
    error: str | None = None


class ChannelWire(msgspec.Struct, gc=False):
    """One entry of a subscription_list response."""

    type: str
    params: Params | None = None


ENVELOPE = msgspec.json.Decoder(Envelope)
BOOK = msgspec.json.Decoder(BookPayload)
BOOK_FRAME = msgspec.json.Decoder(BookFrame)
TOP = msgspec.json.Decoder(TopPayload)
EXECUTION = msgspec.json.Decoder(ExecutionPayload)
HEARTBEAT = msgspec.json.Decoder(HeartbeatPayload)
PROBE = msgspec.json.Decoder(Probe)
RESULTS = msgspec.json.Decoder(list[ResultWire])
CHANNELS = msgspec.json.Decoder(list[ChannelWire])
