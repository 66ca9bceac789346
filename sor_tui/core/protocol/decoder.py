"""Decode SOR server frames into typed events (protocol §4, §6).

``decode`` never raises: a frame that fails validation anywhere becomes one
``Rejected`` event and nothing of it is applied. Wire shapes are msgspec
Structs (unknown fields ignored, for forward compatibility); prices, amounts
and times are then validated strictly into Decimals and integer nanoseconds.
"""

from __future__ import annotations

import msgspec

from sor_tui.core.events import (
    BookSnapshot,
    Channel,
    ChannelResult,
    ChannelType,
    Execution,
    Heartbeat,
    Ignored,
    OperationResult,
    Rejected,
    ServerError,
    ServerEvent,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.protocol.shapes import (
    BOOK,
    BOOK_FRAME,
    CHANNELS,
    CODE_MAX,
    DETAIL_MAX,
    ENVELOPE,
    EXECUTION,
    HEARTBEAT,
    PROBE,
    RESULTS,
    TOP,
    BookPayload,
    Envelope,
    Params,
    Probe,
)
from sor_tui.core.protocol.values import (
    AMOUNTS,
    MARKETS,
    WireReject,
    book_update,
    build_levels,
    build_snapshot_levels,
    decimal_value,
    market_name,
    price_value,
    time_value,
    top_side,
    validation_reject,
)
from sor_tui.core.reasons import (
    BAD_NUMBER,
    BAD_UTF8,
    BINARY_FRAME,
    INTERNAL,
    MISSING_FIELD,
    NOT_JSON,
    NOT_OBJECT,
    TOO_DEEP,
    TOO_LARGE,
    TOO_MANY_LEVELS,
    UNCLASSIFIED,
    UNKNOWN_CHANNEL,
    UNKNOWN_PAYLOAD_TYPE,
    UNKNOWN_TYPE,
    WRONG_TYPE,
)
from sor_tui.core.sanitize import escape_identifier, excerpt, sanitize
from sor_tui.core.timestamps import parse_rfc3339_ns

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_LEVELS = 1_000_000

# Frames that look like market_data try the one-pass decoder first (compact and
# Python-json spacing); anything else, or any surprise, takes the general path.
BOOK_PREFIXES = ('{"channel":"market_data",', '{"channel": "market_data", ')
OPERATIONS = frozenset({"subscribe", "unsubscribe", "subscription_list"})
_decode_book_frame = BOOK_FRAME.decode


# --- streaming channels -------------------------------------------------------------


def _book(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    try:
        wire = BOOK.decode(payload)
    except msgspec.ValidationError as exc:
        probe = _probe(payload)
        if isinstance(probe.type, str) and probe.type not in ("SNAPSHOT", "UPDATE"):
            return Ignored(
                f"market_data:{escape_identifier(probe.type, CODE_MAX)}", UNKNOWN_PAYLOAD_TYPE
            )
        raise validation_reject(exc, "payload") from None
    return _book_event(wire, max_levels)


def _book_event(wire: BookPayload, max_levels: int) -> ServerEvent:
    """Validate a decoded market_data payload into a BookSnapshot or BookUpdate."""
    kind = wire.type
    if kind != "UPDATE" and kind != "SNAPSHOT":
        return Ignored(f"market_data:{escape_identifier(kind, CODE_MAX)}", UNKNOWN_PAYLOAD_TYPE)
    bids, asks = wire.bids, wire.asks
    count = (len(bids) if bids else 0) + (len(asks) if asks else 0)
    if count > max_levels:
        raise WireReject(TOO_MANY_LEVELS, f"{count} levels, limit {max_levels}")
    try:
        time_ns = parse_rfc3339_ns(wire.time)
    except ValueError:
        time_ns = time_value(wire.time, "time")  # raises with the message
    market = MARKETS.get(wire.market) or market_name(wire.market)
    if kind == "UPDATE":
        # Many UPDATEs touch one side only: skip the call for an empty or missing side.
        bid_levels = build_levels(bids, "bids") if bids else ()
        ask_levels = build_levels(asks, "asks") if asks else ()
        return book_update(market, time_ns, wire.time, bid_levels, ask_levels)
    bid_levels = build_snapshot_levels(bids, "bids")
    ask_levels = build_snapshot_levels(asks, "asks")
    return BookSnapshot(market, time_ns, wire.time, bid_levels, ask_levels)


def _top(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    wire = TOP.decode(payload)
    if wire.type is not None and wire.type != "TOP_OF_BOOK":
        return Ignored(
            f"top_of_book:{escape_identifier(wire.type, CODE_MAX)}", UNKNOWN_PAYLOAD_TYPE
        )
    count = (len(wire.bids) if wire.bids else 0) + (len(wire.asks) if wire.asks else 0)
    if count > max_levels:
        raise WireReject(TOO_MANY_LEVELS, f"{count} levels, limit {max_levels}")
    time_ns = time_value(wire.timestamp, "timestamp")
    bid = top_side(wire.bids, "bids")
    ask = top_side(wire.asks, "asks")
    return TopOfBook(market_name(wire.market), time_ns, wire.timestamp, bid, ask)


def _execution(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    wire = EXECUTION.decode(payload)
    price = price_value(wire.price, "price")
    amount = decimal_value(wire.amount, "amount", AMOUNTS)
    if not amount:
        raise WireReject(BAD_NUMBER, "amount: an execution must have a positive amount")
    time_ns = time_value(wire.executed_at, "executed_at")
    return Execution(market_name(wire.market), price, amount, time_ns, wire.executed_at)


def _heartbeat(payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    wire = HEARTBEAT.decode(payload)
    return Heartbeat(time_value(wire.timestamp, "timestamp"), wire.timestamp)


_STREAM_HANDLERS = {
    ChannelType.MARKET_DATA.value: _book,
    ChannelType.TOP_OF_BOOK.value: _top,
    ChannelType.EXECUTION_DATA.value: _execution,
    ChannelType.HEARTBEAT.value: _heartbeat,
}


def _probe(payload: msgspec.Raw) -> Probe:
    """Decode a payload leniently; an empty probe if even that fails."""
    try:
        return PROBE.decode(payload)
    except (msgspec.MsgspecError, RecursionError, UnicodeError):
        return Probe()


def _stream(channel: str, payload: msgspec.Raw, max_levels: int) -> ServerEvent:
    handler = _STREAM_HANDLERS.get(channel)
    if handler is None:
        return Ignored(f"channel:{escape_identifier(channel, CODE_MAX)}", UNKNOWN_CHANNEL)
    if not payload:
        raise WireReject(MISSING_FIELD, "payload: missing")
    try:
        return handler(payload, max_levels)
    except msgspec.ValidationError as exc:
        raise validation_reject(exc, "payload") from None


# --- operation responses --------------------------------------------------------------


def _code(value: object, field: str) -> str:
    """A string field used as an identifier, escaped; anything else is malformed."""
    if not isinstance(value, str):
        raise WireReject(WRONG_TYPE, f"{field}: expected a string")
    return escape_identifier(value, CODE_MAX)


def _channel_market(params: Params | None) -> str | None:
    if params is None or params.market is None:
        return None
    return market_name(params.market)


def _error_code(envelope: Envelope) -> str | None:
    """The request-level error code under ``error`` or ``code``, if the frame has one."""
    value = envelope.error if envelope.error is not None else envelope.code
    return None if value is None else _code(value, "error")


def _operation(action: str, envelope: Envelope) -> ServerEvent:
    if not envelope.channels or bytes(envelope.channels) == b"null":
        # A request-level failure may come back under the operation's own type (§14 #7).
        code = _error_code(envelope)
        if code is not None:
            return ServerError(code, None if action == "subscription_list" else action)
        raise WireReject(MISSING_FIELD, f"{action}: channels missing")
    try:
        if action == "subscription_list":
            channels = CHANNELS.decode(envelope.channels)
            return SubscriptionList(
                tuple(
                    Channel(escape_identifier(item.type, CODE_MAX), _channel_market(item.params))
                    for item in channels
                )
            )
        results = RESULTS.decode(envelope.channels)
    except msgspec.ValidationError as exc:
        raise validation_reject(exc, "channels") from None
    return OperationResult(
        action,
        tuple(
            ChannelResult(
                type=escape_identifier(item.type, CODE_MAX),
                market=_channel_market(item.params),
                # A result with only ``error`` is a refusal; with neither, an acknowledgement.
                success=item.error is None if item.success is None else item.success,
                error=None if item.error is None else escape_identifier(item.error, CODE_MAX),
                params_echoed=item.params is not None,
            )
            for item in results
        ),
    )


# --- entry point --------------------------------------------------------------------------


def _rejected(reason: str, detail: str, frame: str | bytes, envelope: Envelope | None) -> Rejected:
    market: str | None = None
    channel: str | None = None
    if envelope is not None and isinstance(envelope.channel, str):
        channel = escape_identifier(envelope.channel, CODE_MAX)
        if envelope.payload:
            probe = _probe(envelope.payload)
            if isinstance(probe.market, str):
                market = market_name(probe.market)
    return Rejected(reason, excerpt(frame), market, channel, sanitize(detail, DETAIL_MAX))


def _decode(frame: str | bytes, max_bytes: int, max_levels: int) -> ServerEvent:
    if not isinstance(frame, str):
        if isinstance(frame, bytes | bytearray | memoryview):
            return _rejected(
                BINARY_FRAME, "binary frames are not part of the protocol", frame, None
            )
        return Rejected(WRONG_TYPE, "", detail=f"frame is a {type(frame).__name__}")
    if len(frame) > max_bytes or (len(frame) * 4 > max_bytes and _utf8_len(frame) > max_bytes):
        return _rejected(TOO_LARGE, f"frame exceeds {max_bytes} bytes", frame, None)
    envelope: Envelope | None = None
    try:
        envelope = ENVELOPE.decode(frame)
        channel, kind = envelope.channel, envelope.type
        if channel is not None:
            if not isinstance(channel, str):
                raise WireReject(WRONG_TYPE, "channel: expected a string")
            return _stream(channel, envelope.payload, max_levels)
        if kind is None:
            # A bare {"error": CODE} is still the server refusing something (§14 #7).
            code = _error_code(envelope) if envelope.error is not None else None
            return Ignored("object", UNCLASSIFIED) if code is None else ServerError(code)
        if not isinstance(kind, str):
            raise WireReject(WRONG_TYPE, "type: expected a string")
        if kind in OPERATIONS:
            return _operation(kind, envelope)
        if kind == "error":
            code = _error_code(envelope)
            if code is None:
                raise WireReject(MISSING_FIELD, "error: missing")
            return ServerError(code)
        return Ignored(f"type:{escape_identifier(kind, CODE_MAX)}", UNKNOWN_TYPE)
    except WireReject as exc:
        return _rejected(exc.reason, exc.detail, frame, envelope)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if message.startswith("Expected `object`"):
            return _rejected(NOT_OBJECT, message, frame, None)
        reject = validation_reject(exc, "envelope")
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
        # Hot path for the bulk of the traffic. Any failure (even a valid frame of an
        # unexpected shape, or bytes) falls through to the general path, which
        # produces the authoritative result, so the two can never disagree.
        if frame.startswith(BOOK_PREFIXES) and len(frame) * 4 <= max_bytes:  # type: ignore[arg-type]
            whole = _decode_book_frame(frame)
            if whole.channel == "market_data":  # a duplicate "channel" key wins in JSON
                return _book_event(whole.payload, max_levels)
    except Exception:
        pass
    try:
        return _decode(frame, max_bytes, max_levels)
    except Exception as exc:  # a decoder bug must not kill the feed: surface it instead
        try:
            shown = excerpt(frame) if isinstance(frame, str | bytes) else ""
        except Exception:
            shown = ""
        return Rejected(INTERNAL, shown, detail=sanitize(type(exc).__name__, DETAIL_MAX))
