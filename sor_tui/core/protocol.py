"""Decode SOR server frames into typed events and encode client requests (protocol §4-§6).

``decode`` never raises: a frame that fails validation anywhere becomes one
``Rejected`` event and nothing of it is applied. Wire shapes are msgspec
Structs (unknown fields ignored, for forward compatibility); prices, amounts
and times are then validated strictly into Decimals and integer nanoseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import msgspec

from sor_tui.core.events import (
    MARKET_CHANNELS,
    BookSnapshot,
    BookUpdate,
    Channel,
    ChannelResult,
    ChannelType,
    Execution,
    Heartbeat,
    Ignored,
    OperationResult,
    PriceLevel,
    Rejected,
    ServerError,
    ServerEvent,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.numbers import parse_decimal
from sor_tui.core.sanitize import excerpt, sanitize
from sor_tui.core.timestamps import parse_rfc3339_ns

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_LEVELS = 1_000_000

# Stable Rejected.reason codes: counters group by these, explain() describes them.
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

OPERATIONS = frozenset({"subscribe", "unsubscribe", "subscription_list"})
_MARKET_MAX = 64
_CODE_MAX = 64
_DETAIL_MAX = 120


# --- wire shapes ---------------------------------------------------------------


class _Envelope(msgspec.Struct):
    channel: str | None = None
    type: str | None = None
    error: str | None = None
    payload: msgspec.Raw = msgspec.Raw()
    channels: msgspec.Raw = msgspec.Raw()


class _Level(msgspec.Struct):
    price: str
    amount: str


class _BookPayload(msgspec.Struct):
    market: str
    type: str
    time: str
    bids: list[_Level] | None = None
    asks: list[_Level] | None = None


class _TopPayload(msgspec.Struct):
    market: str
    timestamp: str
    type: str | None = None
    bids: list[_Level] | None = None
    asks: list[_Level] | None = None


class _ExecutionPayload(msgspec.Struct):
    market: str
    price: str
    amount: str
    executed_at: str


class _HeartbeatPayload(msgspec.Struct):
    timestamp: str


class _Probe(msgspec.Struct):
    """Lenient view of a payload, used only on error paths to attribute a rejection."""

    market: object = None
    type: object = None


class _Params(msgspec.Struct):
    market: str | None = None


class _ResultWire(msgspec.Struct):
    type: str
    success: bool
    params: _Params | None = None
    error: str | None = None


class _ChannelWire(msgspec.Struct):
    type: str
    params: _Params | None = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_BOOK = msgspec.json.Decoder(_BookPayload)
_TOP = msgspec.json.Decoder(_TopPayload)
_EXECUTION = msgspec.json.Decoder(_ExecutionPayload)
_HEARTBEAT = msgspec.json.Decoder(_HeartbeatPayload)
_PROBE = msgspec.json.Decoder(_Probe)
_RESULTS = msgspec.json.Decoder(list[_ResultWire])
_CHANNELS = msgspec.json.Decoder(list[_ChannelWire])


class _Reject(Exception):
    """Internal signal: the frame fails validation with a stable reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# --- bounded caches (price strings and market names repeat constantly) -----------

_CACHE_MAX = 65_536
_DECIMALS: dict[str, Decimal] = {}
_MARKETS: dict[str, str] = {}


def _decimal(text: str, what: str) -> Decimal:
    """Parse a wire decimal through the bounded cache, raising _Reject when invalid."""
    value = _DECIMALS.get(text)
    if value is None:
        try:
            value = parse_decimal(text)
        except ValueError as exc:
            raise _Reject(BAD_NUMBER, f"{what} {sanitize(repr(text), 60)}: {exc}") from None
        if len(_DECIMALS) >= _CACHE_MAX:
            _DECIMALS.clear()
        _DECIMALS[text] = value
    return value


def _price(text: str, what: str) -> Decimal:
    """Parse a price, which must be strictly positive."""
    value = _decimal(text, what)
    if not value:
        raise _Reject(BAD_NUMBER, f"{what} {sanitize(repr(text), 60)}: price must be > 0")
    return value


def _market(text: str) -> str:
    """Sanitize a market name once and remember it."""
    clean = _MARKETS.get(text)
    if clean is None:
        clean = sanitize(text, _MARKET_MAX)
        if len(_MARKETS) >= 4096:
            _MARKETS.clear()
        _MARKETS[text] = clean
    return clean


def _time(text: str, what: str) -> int:
    """Parse a wire timestamp, raising _Reject when invalid."""
    try:
        return parse_rfc3339_ns(text)
    except ValueError as exc:
        raise _Reject(BAD_TIMESTAMP, f"{what} {sanitize(repr(text), 60)}: {exc}") from None


def _levels(wire: list[_Level] | None, side: str) -> tuple[PriceLevel, ...]:
    """Validate one side's levels; a missing side is empty, duplicates are kept in order."""
    if not wire:
        return ()
    return tuple(
        PriceLevel(
            _price(level.price, f"{side}[{index}].price"),
            _decimal(level.amount, f"{side}[{index}].amount"),
        )
        for index, level in enumerate(wire)
    )


def _validation(exc: msgspec.ValidationError, where: str) -> _Reject:
    """Map a msgspec validation error to a stable reason code."""
    message = str(exc)
    if message.startswith("Object missing required field"):
        reason = MISSING_FIELD
    elif message.startswith("Number out of range"):
        reason = BAD_NUMBER
    else:
        reason = WRONG_TYPE
    return _Reject(reason, sanitize(f"{where}: {message}", _DETAIL_MAX))


# --- streaming channels -------------------------------------------------------------


def _book(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    try:
        wire = _BOOK.decode(payload)
    except msgspec.ValidationError as exc:
        probe = _probe(payload)
        if isinstance(probe.type, str) and probe.type not in ("SNAPSHOT", "UPDATE"):
            return Ignored(f"market_data:{sanitize(probe.type, _CODE_MAX)}", UNKNOWN_PAYLOAD_TYPE)
        raise _validation(exc, "payload") from None
    if wire.type not in ("SNAPSHOT", "UPDATE"):
        return Ignored(f"market_data:{sanitize(wire.type, _CODE_MAX)}", UNKNOWN_PAYLOAD_TYPE)
    count = (len(wire.bids) if wire.bids else 0) + (len(wire.asks) if wire.asks else 0)
    if count > max_levels:
        raise _Reject(TOO_MANY_LEVELS, f"{count} levels, limit {max_levels}")
    time_ns = _time(wire.time, "time")
    bids = _levels(wire.bids, "bids")
    asks = _levels(wire.asks, "asks")
    market = _market(wire.market)
    if wire.type == "UPDATE":
        return BookUpdate(market, time_ns, wire.time, bids, asks)
    return BookSnapshot(market, time_ns, wire.time, bids, asks)


def _best(levels: tuple[PriceLevel, ...]) -> PriceLevel | None:
    """The single best level of a top-of-book side; a zero amount means no level."""
    if not levels or not levels[0].amount:
        return None
    return levels[0]


def _top(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    wire = _TOP.decode(payload)
    if wire.type is not None and wire.type != "TOP_OF_BOOK":
        return Ignored(f"top_of_book:{sanitize(wire.type, _CODE_MAX)}", UNKNOWN_PAYLOAD_TYPE)
    count = (len(wire.bids) if wire.bids else 0) + (len(wire.asks) if wire.asks else 0)
    if count > max_levels:
        raise _Reject(TOO_MANY_LEVELS, f"{count} levels, limit {max_levels}")
    time_ns = _time(wire.timestamp, "timestamp")
    bid = _best(_levels(wire.bids, "bids"))
    ask = _best(_levels(wire.asks, "asks"))
    return TopOfBook(_market(wire.market), time_ns, wire.timestamp, bid, ask)


def _execution(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    wire = _EXECUTION.decode(payload)
    price = _price(wire.price, "price")
    amount = _decimal(wire.amount, "amount")
    if not amount:
        raise _Reject(BAD_NUMBER, "amount: an execution must have a positive amount")
    time_ns = _time(wire.executed_at, "executed_at")
    return Execution(_market(wire.market), price, amount, time_ns, wire.executed_at)


def _heartbeat(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    wire = _HEARTBEAT.decode(payload)
    return Heartbeat(_time(wire.timestamp, "timestamp"), wire.timestamp)


_STREAM_HANDLERS = {
    ChannelType.MARKET_DATA.value: _book,
    ChannelType.TOP_OF_BOOK.value: _top,
    ChannelType.EXECUTION_DATA.value: _execution,
    ChannelType.HEARTBEAT.value: _heartbeat,
}


def _probe(payload: msgspec.Raw) -> _Probe:
    """Decode a payload leniently; an empty probe if even that fails."""
    try:
        return _PROBE.decode(payload)
    except (msgspec.MsgspecError, RecursionError, UnicodeError):
        return _Probe()


def _stream(channel: str, payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    handler = _STREAM_HANDLERS.get(channel)
    if handler is None:
        return Ignored(f"channel:{sanitize(channel, _CODE_MAX)}", UNKNOWN_CHANNEL)
    if not payload:
        raise _Reject(MISSING_FIELD, "payload: missing")
    try:
        return handler(payload, max_levels)
    except msgspec.ValidationError as exc:
        raise _validation(exc, "payload") from None


# --- operation responses --------------------------------------------------------------


def _channel_market(params: _Params | None) -> str | None:
    if params is None or params.market is None:
        return None
    return _market(params.market)


def _operation(envelope: _Envelope) -> ServerEvent:
    action = envelope.type or ""
    if not envelope.channels:
        # A request-level failure may come back under the operation's own type (§14 #7).
        if envelope.error is not None:
            return ServerError(sanitize(envelope.error, _CODE_MAX))
        raise _Reject(MISSING_FIELD, f"{action}: channels missing")
    try:
        if action == "subscription_list":
            channels = _CHANNELS.decode(envelope.channels)
            return SubscriptionList(
                tuple(
                    Channel(sanitize(item.type, _CODE_MAX), _channel_market(item.params))
                    for item in channels
                )
            )
        results = _RESULTS.decode(envelope.channels)
    except msgspec.ValidationError as exc:
        raise _validation(exc, "channels") from None
    return OperationResult(
        action,
        tuple(
            ChannelResult(
                type=sanitize(item.type, _CODE_MAX),
                market=_channel_market(item.params),
                success=item.success,
                error=None if item.error is None else sanitize(item.error, _CODE_MAX),
                params_echoed=item.params is not None,
            )
            for item in results
        ),
    )


# --- entry point --------------------------------------------------------------------------


def _rejected(reason: str, detail: str, frame: str | bytes, envelope: _Envelope | None) -> Rejected:
    market: str | None = None
    channel: str | None = None
    if envelope is not None and envelope.channel is not None:
        channel = sanitize(envelope.channel, _CODE_MAX)
        if envelope.payload:
            probe = _probe(envelope.payload)
            if isinstance(probe.market, str):
                market = _market(probe.market)
    return Rejected(reason, excerpt(frame), market, channel, sanitize(detail, _DETAIL_MAX))


def _decode(frame: str | bytes, max_bytes: int, max_levels: int) -> ServerEvent:
    if not isinstance(frame, str):
        if isinstance(frame, bytes | bytearray | memoryview):
            return _rejected(
                BINARY_FRAME, "binary frames are not part of the protocol", frame, None
            )
        return Rejected(WRONG_TYPE, "", detail=f"frame is a {type(frame).__name__}")
    if len(frame) > max_bytes or (len(frame) * 4 > max_bytes and _utf8_len(frame) > max_bytes):
        return _rejected(TOO_LARGE, f"frame exceeds {max_bytes} bytes", frame, None)
    envelope: _Envelope | None = None
    try:
        envelope = _ENVELOPE.decode(frame)
        if envelope.channel is not None:
            return _stream(envelope.channel, envelope.payload, max_levels)
        if envelope.type in OPERATIONS:
            return _operation(envelope)
        if envelope.type == "error":
            if envelope.error is None:
                raise _Reject(MISSING_FIELD, "error: missing")
            return ServerError(sanitize(envelope.error, _CODE_MAX))
        if envelope.type is not None:
            return Ignored(f"type:{sanitize(envelope.type, _CODE_MAX)}", UNKNOWN_TYPE)
        return Ignored("object", UNCLASSIFIED)
    except _Reject as exc:
        return _rejected(exc.reason, exc.detail, frame, envelope)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if message.startswith("Expected `object`"):
            return _rejected(NOT_OBJECT, message, frame, None)
        reject = _validation(exc, "envelope")
        return _rejected(reject.reason, reject.detail, frame, envelope)
    except msgspec.DecodeError as exc:
        return _rejected(NOT_JSON, str(exc), frame, None)
    except RecursionError:
        return _rejected(TOO_DEEP, "JSON nesting is too deep", frame, None)
    except UnicodeError:
        return _rejected(BAD_UTF8, "text is not valid UTF-8 (lone surrogate)", frame, None)


def _utf8_len(text: str) -> int:
    """UTF-8 length of a str; lone surrogates count as 3 bytes like their escape."""
    return len(text.encode("utf-8", "surrogatepass"))


def decode(
    frame: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_levels: int = DEFAULT_MAX_LEVELS,
) -> ServerEvent:
    """Decode one server frame into exactly one event; never raises."""
    try:
        return _decode(frame, max_bytes, max_levels)
    except Exception as exc:  # a decoder bug must not kill the feed: surface it instead
        try:
            shown = excerpt(frame) if isinstance(frame, str | bytes) else ""
        except Exception:
            shown = ""
        return Rejected(INTERNAL, shown, detail=sanitize(type(exc).__name__, _DETAIL_MAX))


# --- client requests ---------------------------------------------------------------------


def _descriptor(channel: Channel) -> dict[str, object]:
    """One channel descriptor: heartbeat has no params, market channels need a market."""
    if channel.type == ChannelType.HEARTBEAT:
        return {"type": channel.type}
    if channel.market is None:
        if channel.type in MARKET_CHANNELS:
            raise ValueError(f"channel {channel.type!r} needs a market")
        return {"type": channel.type}
    return {"type": channel.type, "params": {"market": channel.market}}


def _encode(message: dict[str, object]) -> str:
    return msgspec.json.encode(message).decode("utf-8")


def encode_subscribe(channels: Iterable[Channel]) -> str:
    """Encode a compact ``subscribe`` request for the given channels (§5.2)."""
    return _encode({"type": "subscribe", "channels": [_descriptor(c) for c in channels]})


def encode_unsubscribe(channels: Iterable[Channel]) -> str:
    """Encode a compact ``unsubscribe`` request for the given channels (§5.3)."""
    return _encode({"type": "unsubscribe", "channels": [_descriptor(c) for c in channels]})


def encode_subscription_list() -> str:
    """Encode a ``subscription_list`` request (§5.4)."""
    return _encode({"type": "subscription_list"})
