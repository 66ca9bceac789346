"""Alert rules: feed-health rules (on by default) and market rules the user defines.

A rule is a frozen value; ``condition`` says whether it holds for one subject (a market,
or the desk) now: True, False, or None for "no data". Thresholds on numbers keep a band
once the alert fires (``HYSTERESIS``), so a value hovering at the threshold cannot
resolve and fire again. Money is Decimal throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sor_tui.core.alerts.machine import Timing
from sor_tui.core.alerts.signals import DeskSignals

BPS = Decimal(10_000)
HYSTERESIS = Decimal("0.1")
"""A firing numeric alert holds until its value is this fraction back inside the threshold."""
SILENT_FACTOR = 10
"""A market is silent after this many of its usual intervals (never less than the rule's)."""
PRINT_HOLD = 5.0
"""Seconds a large-print alert holds after the print (so it is seen, then resolves)."""


class RuleKind(StrEnum):
    """What a rule watches."""

    MARKET_SILENT = "market_silent"
    DISCONNECTED = "disconnected"
    RESYNC_STORM = "resync_storm"
    UNTRUSTED = "untrusted"
    TOKEN_FAILING = "token_failing"
    CLOCK_OFFSET = "clock_offset"
    RECORDING_FAILED = "recording_failed"
    SUBSCRIPTION_REFUSED = "subscription_refused"
    PRICE_CROSS = "price_cross"
    SPREAD_WIDE = "spread_wide"
    LARGE_PRINT = "large_print"
    THIN_DEPTH = "thin_depth"


PER_MARKET = frozenset(
    {
        RuleKind.MARKET_SILENT,
        RuleKind.RESYNC_STORM,
        RuleKind.UNTRUSTED,
        RuleKind.SUBSCRIPTION_REFUSED,
    }
)
"""Health rules without a market apply to every market, each with its own state."""
MARKET_KINDS = frozenset(
    {RuleKind.PRICE_CROSS, RuleKind.SPREAD_WIDE, RuleKind.LARGE_PRINT, RuleKind.THIN_DEPTH}
)


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule; which fields matter depends on ``kind`` (see ``describe``)."""

    id: str
    kind: RuleKind
    market: str | None = None
    price: Decimal | None = None
    watch: str = "last"
    direction: str = "either"
    bps: Decimal | None = None
    amount: Decimal | None = None
    side: str = "both"
    seconds: float = 0.0
    count: int = 0
    window: float = 0.0
    timing: Timing = field(default_factory=Timing)
    severity: str = "warning"

    def describe(self) -> str:
        """A short human description of what the rule watches."""
        where = self.market or "each market"
        kind = self.kind
        if kind is RuleKind.PRICE_CROSS:
            return f"{where} {self.watch} crosses {self.price} ({self.direction})"
        if kind is RuleKind.SPREAD_WIDE:
            return f"{where} spread wider than {self.bps} bps"
        if kind is RuleKind.LARGE_PRINT:
            return f"{where} print of {self.amount} notional or more"
        if kind is RuleKind.THIN_DEPTH:
            return f"{where} {self.side} depth within {self.bps} bps below {self.amount}"
        if kind is RuleKind.MARKET_SILENT:
            return f"{where} silent {self.seconds:g} s (adapts to its rate) while connected"
        if kind is RuleKind.RESYNC_STORM:
            return f"{where} resynced more than {self.count}x in {self.window / 60:g} min"
        if kind is RuleKind.UNTRUSTED:
            return f"{where} book untrusted {self.timing.pending:g} s while connected"
        if kind is RuleKind.DISCONNECTED:
            return f"disconnected {self.timing.pending:g} s"
        if kind is RuleKind.CLOCK_OFFSET:
            return f"server clock off by more than {self.amount} ms"
        return kind.value.replace("_", " ")

    def subjects(self, signals: DeskSignals) -> tuple[str, ...]:
        """What the rule is judged for: each market, its own market, or the desk ("")."""
        if self.market is not None:
            return (self.market,)
        if self.kind in PER_MARKET:
            return tuple(sorted(signals.markets))
        return ("",)
