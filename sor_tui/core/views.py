"""Frozen views handed from the core to consumers (UI, headless stream, recorder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum

from sor_tui.core.events import Execution


class BookStatus(StrEnum):
    """Whether a book can be trusted right now."""

    IDLE = "IDLE"  # not subscribed
    SYNCING = "SYNCING"  # subscribed, waiting for the SNAPSHOT (UPDATEs buffered)
    LIVE = "LIVE"  # snapshot applied, updates flowing
    STALE = "STALE"  # connection lost or feed silent: last known state, not current
    RESYNCING = "RESYNCING"  # judged untrustworthy; a resync was requested


class LevelChange(IntEnum):
    """How a level changed since the previous view of the same book."""

    NONE = 0
    UP = 1  # size increased
    DOWN = 2  # size decreased
    NEW = 3  # level appeared


@dataclass(frozen=True, slots=True)
class LevelView:
    """One displayed level: price, size, cumulative size from the best, change mark."""

    price: Decimal
    amount: Decimal
    cumulative: Decimal
    change: LevelChange = LevelChange.NONE


@dataclass(frozen=True, slots=True)
class BookView:
    """A frozen, best-first view of one market's book."""

    market: str
    status: BookStatus
    bids: tuple[LevelView, ...]
    asks: tuple[LevelView, ...]
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread: Decimal | None
    spread_bps: Decimal | None
    mid: Decimal | None
    crossed: bool  # best bid > best ask
    locked: bool  # best bid == best ask
    snapshot_time_ns: int | None
    last_update_ns: int | None
    bid_levels: int  # total levels on the side, not only the displayed ones
    ask_levels: int
    updates_applied: int
    version: int  # increments on every applied change; equal versions mean equal books
    flags: tuple[str, ...] = ()  # human-readable integrity warnings


@dataclass(frozen=True, slots=True)
class TapeStats:
    """Exact per-market statistics of executions."""

    market: str
    count: int = 0
    volume: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    vwap: Decimal | None = None
    last: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None


class Tick(IntEnum):
    """Tick direction of a print against the previous print of its market (by executed_at)."""

    ZERO = 0  # first print, or same price as the previous one with no earlier direction
    UP = 1
    DOWN = -1


@dataclass(frozen=True, slots=True)
class TapeEntry:
    """One execution on the tape with its tick direction and large-trade flag."""

    execution: Execution
    tick: Tick
    large: bool = False


@dataclass(frozen=True, slots=True)
class TapeView:
    """Recent executions newest-first by executed_at, with session and window stats."""

    entries: tuple[TapeEntry, ...]
    session: dict[str, TapeStats] = field(default_factory=dict)
    window: dict[str, TapeStats] = field(default_factory=dict)
    duplicates_suppressed: int = 0
