"""Validated values of a decoded frame: exact decimals, times, names and levels.

Prices, amounts and market names repeat constantly, so their parses go through bounded
caches (``BoundedCache``). Level and update objects are built through their mutable twins
(``core.frozen``): the decoder's hottest loop builds one per level. An invalid value raises
``WireReject`` with a stable reason code naming the field.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from sor_tui.core.bounded import BoundedCache
from sor_tui.core.events import BookUpdate, PriceLevel
from sor_tui.core.frozen import twin
from sor_tui.core.numbers import MAX_DECIMAL_CHARS, ZERO, is_signed_zero, parse_decimal
from sor_tui.core.protocol.shapes import DETAIL_MAX, MARKET_MAX, Level
from sor_tui.core.reasons import BAD_NUMBER, BAD_TIMESTAMP, MISSING_FIELD, WRONG_TYPE
from sor_tui.core.sanitize import escape_identifier, sanitize
from sor_tui.core.timestamps import parse_rfc3339_ns

_PRICE_LEVEL = twin(PriceLevel)
_BOOK_UPDATE = twin(BookUpdate)


def book_update(
    market: str,
    time_ns: int,
    time_text: str,
    bids: tuple[PriceLevel, ...],
    asks: tuple[PriceLevel, ...],
) -> BookUpdate:
    """Build a BookUpdate through its twin (the same value as ``BookUpdate(...)``)."""
    update = _BOOK_UPDATE()
    update.market = market
    update.time_ns = time_ns
    update.time_text = time_text
    update.bids = bids
    update.asks = asks
    update.__class__ = BookUpdate
    return update  # type: ignore[no-any-return]  # a BookUpdate now


class WireReject(Exception):
    """Internal signal: the frame fails validation with a stable reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# --- bounded caches (price strings and market names repeat constantly) -----------

CACHE_MAX = 65_536
DECIMALS: BoundedCache[str, Decimal] = BoundedCache(CACHE_MAX)
MARKETS: BoundedCache[str, str] = BoundedCache(4096)
# Amounts repeat far less than prices; a separate, smaller cache keeps a varied
# feed's amounts from flushing the prices out of DECIMALS.
AMOUNTS_MAX = 4096
AMOUNTS: BoundedCache[str, Decimal] = BoundedCache(AMOUNTS_MAX)
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


def parse_cached(text: str, cache: BoundedCache[str, Decimal] = DECIMALS) -> Decimal:
    """Parse a wire decimal and remember it (ValueError when invalid)."""
    return cache.put(text, parse_wire(text))


def decimal_value(text: str, what: str, cache: BoundedCache[str, Decimal] = DECIMALS) -> Decimal:
    """Parse a wire decimal through a bounded cache, raising WireReject when invalid.

    Prices repeat and share ``DECIMALS``; pass ``AMOUNTS`` for amounts, which repeat far
    less and would otherwise flush the hot prices.
    """
    value = cache.get(text)
    if value is None:
        try:
            value = parse_cached(text, cache)
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
        clean = MARKETS.put(text, escape_identifier(text, MARKET_MAX))
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
    if len(wire) == 1:
        # Most UPDATEs carry one level: with both strings cached, no list and no loop.
        level = wire[0]
        price = DECIMALS.get(level.price)
        amount = AMOUNTS.get(level.amount)
        if price and amount is not None:
            built = _PRICE_LEVEL()
            built.price = price
            built.amount = amount
            built.__class__ = PriceLevel
            return (built,)
    # The hottest loop of the decoder, inlined on purpose: cached strings cost two
    # dict lookups, new ones one parse; any invalid value drops to the slow path,
    # which redoes the work to name the offending field.
    decimals = DECIMALS
    amounts = AMOUNTS
    make, frozen = _PRICE_LEVEL, PriceLevel
    levels: list[PriceLevel] = []
    append = levels.append
    try:
        for level in wire:
            price = decimals.get(level.price)
            if price is None:
                price = parse_cached(level.price)
            amount = amounts.get(level.amount)
            if amount is None:
                amount = parse_cached(level.amount, amounts)
            if not price:
                raise ValueError("price must be > 0")
            built = make()
            built.price = price
            built.amount = amount
            built.__class__ = frozen
            append(built)
    except ValueError:
        _reject_levels(wire, side)
        raise  # _reject_levels always raises; this keeps the type checker honest
    return tuple(levels)


def build_snapshot_levels(wire: list[Level] | None, side: str) -> tuple[PriceLevel, ...]:
    """``build_levels`` for a SNAPSHOT: only its best ``SNAPSHOT_CACHED`` levels feed the caches.

    Live UPDATEs touch prices near the top of the book. Caching a deep snapshot's every
    price would flush those hot prices and hold tens of thousands of rarely seen strings
    and Decimals.
    """
    if not wire or len(wire) <= SNAPSHOT_CACHED:
        return build_levels(wire, side)
    levels = list(build_levels(wire[:SNAPSHOT_CACHED], side))
    decimals = DECIMALS
    amounts = AMOUNTS
    make, frozen = _PRICE_LEVEL, PriceLevel
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
            built = make()
            built.price = price
            built.amount = amount
            built.__class__ = frozen
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
