"""msgspec wire shapes and the validation of values inside them (used by ``protocol``).

Everything here is internal to the decoder: Structs that mirror the JSON,
bounded parse caches, and the hot-path builders of levels and book events.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import msgspec

from sor_tui.core.events import BookUpdate, PriceLevel
from sor_tui.core.numbers import MAX_DECIMAL_CHARS, ZERO, is_signed_zero, parse_decimal
from sor_tui.core.reasons import BAD_NUMBER, BAD_TIMESTAMP, MISSING_FIELD, WRONG_TYPE
from sor_tui.core.sanitize import escape_identifier, sanitize
from sor_tui.core.timestamps import parse_rfc3339_ns

MARKET_MAX = 64
CODE_MAX = 64
DETAIL_MAX = 120

# --- wire shapes ---------------------------------------------------------------
# gc=False: decoded instances are short-lived trees that can never form a reference
# cycle, so the cycle collector need not track them (measurably faster allocation).


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
# Frames that look like market_data try the one-pass decoder first (compact and
# Python-json spacing); anything else, or any surprise, takes the general path.
BOOK_PREFIXES = ('{"channel":"market_data",', '{"channel": "market_data", ')
TOP = msgspec.json.Decoder(TopPayload)
EXECUTION = msgspec.json.Decoder(ExecutionPayload)
HEARTBEAT = msgspec.json.Decoder(HeartbeatPayload)
PROBE = msgspec.json.Decoder(Probe)
RESULTS = msgspec.json.Decoder(list[ResultWire])
CHANNELS = msgspec.json.Decoder(list[ChannelWire])


# The decoder's hottest calls build frozen dataclasses. Setting their slots through
# the slot descriptors is exactly what the generated __init__ does, minus a
# Python-level call per field; test_protocol checks the results compare equal.
# If a field is ever added to either class, the shortcut is switched off here
# rather than leaving the new slot unset.
_new = object.__new__
_set_price = PriceLevel.__dict__["price"].__set__
_set_amount = PriceLevel.__dict__["amount"].__set__
_UPDATE_FIELDS = ("market", "time_ns", "time_text", "bids", "asks")
_UPDATE_SLOTS = tuple(BookUpdate.__dict__[name].__set__ for name in _UPDATE_FIELDS)
FAST_LEVELS = tuple(f.name for f in dataclasses.fields(PriceLevel)) == ("price", "amount")
FAST_UPDATES = tuple(f.name for f in dataclasses.fields(BookUpdate)) == _UPDATE_FIELDS


def book_update(
    market: str,
    time_ns: int,
    time_text: str,
    bids: tuple[PriceLevel, ...],
    asks: tuple[PriceLevel, ...],
) -> BookUpdate:
    """Build a BookUpdate through its slot descriptors (same value as BookUpdate(...))."""
    if not FAST_UPDATES:
        return BookUpdate(market, time_ns, time_text, bids, asks)
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
# Amounts repeat far less than prices; a separate, smaller cache keeps a varied
# feed's amounts from flushing the prices out of DECIMALS.
AMOUNTS: dict[str, Decimal] = {}
AMOUNTS_MAX = 4096
SNAPSHOT_CACHED = 64
"""The levels of each SNAPSHOT side, best first, whose strings go into the caches."""


def parse_wire(text: str) -> Decimal:
    """Parse a wire decimal without caching it (ValueError when invalid).

    Same grammar as numbers.parse_decimal, inlined because a feed with varied
    amounts parses one new string per level (test_protocol checks they agree).
    """
    if (
        len(text) > MAX_DECIMAL_CHARS
        or not (text.isascii() and text.replace(".", "", 1).isdigit())
        or text[0] == "."
    ):
        if is_signed_zero(text):
            return ZERO
        raise ValueError("decimal must be digits with an optional fraction")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def parse_cached(
    text: str, cache: dict[str, Decimal] = DECIMALS, limit: int = CACHE_MAX
) -> Decimal:
    """Parse a wire decimal and remember it (ValueError when invalid)."""
    value = parse_wire(text)
    if len(cache) >= limit:
        cache.clear()
    cache[text] = value
    return value


def decimal_value(
    text: str, what: str, cache: dict[str, Decimal] = DECIMALS, limit: int = CACHE_MAX
) -> Decimal:
    """Parse a wire decimal through a bounded cache, raising WireReject when invalid.

    Prices repeat and share ``DECIMALS``; pass ``AMOUNTS, AMOUNTS_MAX`` for amounts, which
    repeat far less and would otherwise flush the hot prices.
    """
    value = cache.get(text)
    if value is None:
        try:
            value = parse_cached(text, cache, limit)
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
        clean = escape_identifier(text, MARKET_MAX)
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
    if len(wire) == 1 and FAST_LEVELS:
        # Most UPDATEs carry one level: with both strings cached, no list and no loop.
        level = wire[0]
        price = DECIMALS.get(level.price)
        amount = AMOUNTS.get(level.amount)
        if price and amount is not None:
            built = _new(PriceLevel)
            _set_price(built, price)
            _set_amount(built, amount)
            return (built,)
    # The hottest loop of the decoder, inlined on purpose: cached strings cost two
    # dict lookups, new ones one parse; any invalid value drops to the slow path,
    # which redoes the work to name the offending field.
    decimals = DECIMALS
    amounts = AMOUNTS
    fast = FAST_LEVELS
    levels: list[PriceLevel] = []
    append = levels.append
    try:
        for level in wire:
            price = decimals.get(level.price)
            if price is None:
                price = parse_cached(level.price)
            amount = amounts.get(level.amount)
            if amount is None:
                amount = parse_cached(level.amount, amounts, AMOUNTS_MAX)
            if not price:
                raise ValueError("price must be > 0")
            if fast:
                built = _new(PriceLevel)
                _set_price(built, price)
                _set_amount(built, amount)
            else:
                built = PriceLevel(price, amount)
            append(built)
    except ValueError:
        _reject_levels(wire, side)
        raise  # _reject_levels always raises; this keeps the type checker honest
    return tuple(levels)


def build_snapshot_levels(wire: list[Level] | None, side: str) -> tuple[PriceLevel, ...]:
    """``build_levels`` for a SNAPSHOT: only its best ``SNAPSHOT_CACHED`` levels feed the caches.

    Live UPDATEs touch prices near the top of the book. Caching a deep snapshot's every
    price would flush those hot prices and hold tens of thousands of rarely seen strings
    and Decimals (about 40 B per book level in a 10 x 10k-level desk).
    """
    if not wire or len(wire) <= SNAPSHOT_CACHED:
        return build_levels(wire, side)
    levels = list(build_levels(wire[:SNAPSHOT_CACHED], side))
    decimals = DECIMALS
    amounts = AMOUNTS
    append = levels.append
    try:
        for index in range(SNAPSHOT_CACHED, len(wire)):
            level = wire[index]
            price = decimals.get(level.price)
            if price is None:
                price = parse_wire(level.price)
            amount = amounts.get(level.amount)
            if amount is None:
                amount = parse_wire(level.amount)
            if not price:
                raise ValueError("price must be > 0")
            if FAST_LEVELS:
                built = _new(PriceLevel)
                _set_price(built, price)
                _set_amount(built, amount)
            else:
                built = PriceLevel(price, amount)
            append(built)
    except ValueError:
        _reject_levels(wire, side)
        raise  # _reject_levels always raises; this keeps the type checker honest
    return tuple(levels)


def _reject_levels(wire: list[Level], side: str) -> None:
    """Find the first invalid level and raise WireReject naming it."""
    for index, level in enumerate(wire):
        price_value(level.price, f"{side}[{index}].price")
        decimal_value(level.amount, f"{side}[{index}].amount")


def top_side(levels: list[Level] | None, side: str) -> PriceLevel | None:
    """The best level of a top-of-book side; none for an empty side, whether it is
    missing, ``[]``, a zero amount or spelt ``[{"price": "0", "amount": "0"}]``."""
    if levels and len(levels) == 1 and _is_zero(levels[0].price) and _is_zero(levels[0].amount):
        return None
    built = build_levels(levels, side)
    return built[0] if built and built[0].amount else None


def _is_zero(text: str) -> bool:
    try:
        return not parse_wire(text)
    except ValueError:
        return False


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
