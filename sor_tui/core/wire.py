"""msgspec wire shapes and the validation of values inside them (used by ``protocol``).

Everything here is internal to the decoder: Structs that mirror the JSON,
bounded parse caches, and the hot-path builders of levels and book events.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from sor_tui.core.events import BookUpdate, PriceLevel
from sor_tui.core.numbers import MAX_DECIMAL_CHARS, parse_decimal
from sor_tui.core.reasons import BAD_NUMBER, BAD_TIMESTAMP, MISSING_FIELD, WRONG_TYPE
from sor_tui.core.sanitize import sanitize
from sor_tui.core.timestamps import parse_rfc3339_ns

MARKET_MAX = 64
CODE_MAX = 64
DETAIL_MAX = 120

# --- wire shapes ---------------------------------------------------------------


class Envelope(msgspec.Struct):
    channel: str | None = None
    type: str | None = None
    error: str | None = None
    payload: msgspec.Raw = msgspec.Raw()
    channels: msgspec.Raw = msgspec.Raw()


class Level(msgspec.Struct):
    price: str
    amount: str


class BookPayload(msgspec.Struct):
    market: str
    type: str
    time: str
    bids: list[Level] | None = None
    asks: list[Level] | None = None


class BookFrame(msgspec.Struct):
    """The hot path: a whole market_data frame decoded in one pass."""

    channel: str
    payload: BookPayload


class TopPayload(msgspec.Struct):
    market: str
    timestamp: str
    type: str | None = None
    bids: list[Level] | None = None
    asks: list[Level] | None = None


class ExecutionPayload(msgspec.Struct):
    market: str
    price: str
    amount: str
    executed_at: str


class HeartbeatPayload(msgspec.Struct):
    timestamp: str


class Probe(msgspec.Struct):
    """Lenient view of a payload, used only on error paths to attribute a rejection."""

    market: object = None
    type: object = None


class Params(msgspec.Struct):
    market: str | None = None


class ResultWire(msgspec.Struct):
    type: str
    success: bool
    params: Params | None = None
    error: str | None = None


class ChannelWire(msgspec.Struct):
    type: str
    params: Params | None = None


ENVELOPE = msgspec.json.Decoder(Envelope)
BOOK = msgspec.json.Decoder(BookPayload)
BOOK_FRAME = msgspec.json.Decoder(BookFrame)
BOOK_PREFIX = '{"channel":"market_data","payload":{'
TOP = msgspec.json.Decoder(TopPayload)
EXECUTION = msgspec.json.Decoder(ExecutionPayload)
HEARTBEAT = msgspec.json.Decoder(HeartbeatPayload)
PROBE = msgspec.json.Decoder(Probe)
RESULTS = msgspec.json.Decoder(list[ResultWire])
CHANNELS = msgspec.json.Decoder(list[ChannelWire])


# The decoder's hottest calls build frozen dataclasses. Setting their slots through
# the slot descriptors is exactly what the generated __init__ does, minus a
# Python-level call per field; test_protocol checks the results compare equal.
_new = object.__new__
_set_price = PriceLevel.__dict__["price"].__set__
_set_amount = PriceLevel.__dict__["amount"].__set__
_UPDATE_SLOTS = tuple(
    BookUpdate.__dict__[name].__set__ for name in ("market", "time_ns", "time_text", "bids", "asks")
)


def book_update(
    market: str,
    time_ns: int,
    time_text: str,
    bids: tuple[PriceLevel, ...],
    asks: tuple[PriceLevel, ...],
) -> BookUpdate:
    """Build a BookUpdate through its slot descriptors (same value as BookUpdate(...))."""
    update = _new(BookUpdate)
    set_market, set_time_ns, set_time_text, set_bids, set_asks = _UPDATE_SLOTS
    set_market(update, market)
    set_time_ns(update, time_ns)
    set_time_text(update, time_text)
    set_bids(update, bids)
    set_asks(update, asks)
    return update


class WireReject(Exception):
    """Internal signal: the frame fails validation with a stable reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# --- bounded caches (price strings and market names repeat constantly) -----------

CACHE_MAX = 65_536
DECIMALS: dict[str, Decimal] = {}
MARKETS: dict[str, str] = {}
LEVELS: dict[tuple[str, str], PriceLevel] = {}


def parse_cached(text: str) -> Decimal:
    """Parse a wire decimal and remember it (ValueError when invalid).

    Same grammar as numbers.parse_decimal, inlined because a feed with varied
    amounts parses one new string per level (test_protocol checks they agree).
    """
    if (
        len(text) > MAX_DECIMAL_CHARS
        or not (text.isascii() and text.replace(".", "", 1).isdigit())
        or text[0] == "."
    ):
        raise ValueError("decimal must be digits with an optional fraction")
    value = Decimal(text.rstrip("0").rstrip(".") if "." in text else text)
    if len(DECIMALS) >= CACHE_MAX:
        DECIMALS.clear()
    DECIMALS[text] = value
    return value


def decimal_value(text: str, what: str) -> Decimal:
    """Parse a wire decimal through the bounded cache, raising WireReject when invalid."""
    value = DECIMALS.get(text)
    if value is None:
        try:
            value = parse_cached(text)
        except ValueError:
            try:
                parse_decimal(text)  # for its more specific message
            except ValueError as exc:
                raise WireReject(BAD_NUMBER, f"{what} {sanitize(repr(text), 60)}: {exc}") from None
            raise  # the two parsers disagree: a bug, reported as "internal"
    return value


def price_value(text: str, what: str) -> Decimal:
    """Parse a price, which must be strictly positive."""
    value = decimal_value(text, what)
    if not value:
        raise WireReject(BAD_NUMBER, f"{what} {sanitize(repr(text), 60)}: price must be > 0")
    return value


def market_name(text: str) -> str:
    """Sanitize a market name once and remember it."""
    clean = MARKETS.get(text)
    if clean is None:
        clean = sanitize(text, MARKET_MAX)
        if len(MARKETS) >= 4096:
            MARKETS.clear()
        MARKETS[text] = clean
    return clean


def time_value(text: str, what: str) -> int:
    """Parse a wire timestamp, raising WireReject when invalid."""
    try:
        return parse_rfc3339_ns(text)
    except ValueError as exc:
        raise WireReject(BAD_TIMESTAMP, f"{what} {sanitize(repr(text), 60)}: {exc}") from None


def build_levels(wire: list[Level] | None, side: str) -> tuple[PriceLevel, ...]:
    """Validate one side's levels; a missing side is empty, duplicates are kept in order."""
    if not wire:
        return ()
    levels = []
    built_levels = LEVELS
    for level in wire:
        # Hot path, inlined on purpose: a (price, amount) pair seen before is already
        # validated, and PriceLevel is immutable, so the same object can be shared.
        key = (level.price, level.amount)
        built = built_levels.get(key)
        if built is None:
            built = new_level(level, wire, side)
            if len(built_levels) >= CACHE_MAX:
                built_levels.clear()
            built_levels[key] = built
        levels.append(built)
    return tuple(levels)


def new_level(level: Level, wire: list[Level], side: str) -> PriceLevel:
    """Validate and build one level; error messages name its position."""
    price: Decimal | None
    amount: Decimal | None
    try:
        price = DECIMALS.get(level.price) or parse_cached(level.price)
        amount = DECIMALS.get(level.amount)
        if amount is None:
            amount = parse_cached(level.amount)
    except ValueError:
        price = amount = None
    if not price or amount is None:
        # Slow path, errors only: redo the work to produce the precise message.
        index = wire.index(level)
        price = price_value(level.price, f"{side}[{index}].price")
        amount = decimal_value(level.amount, f"{side}[{index}].amount")
    built = _new(PriceLevel)
    _set_price(built, price)
    _set_amount(built, amount)
    return built


def validation_reject(exc: msgspec.ValidationError, where: str) -> WireReject:
    """Map a msgspec validation error to a stable reason code."""
    message = str(exc)
    if message.startswith("Object missing required field"):
        reason = MISSING_FIELD
    elif message.startswith("Number out of range"):
        reason = BAD_NUMBER
    else:
        reason = WRONG_TYPE
    return WireReject(reason, sanitize(f"{where}: {message}", DETAIL_MAX))
