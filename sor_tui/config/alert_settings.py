"""The ``[alerts]`` settings: feed-health thresholds, delivery, and the user's market rules.

In ``config.toml``::

    [alerts]
    silent_seconds = 10
    webhook_url = "https://hooks.example.com/desk"

    [[alerts.rules]]
    kind = "price_cross"
    market = "BTCUSD"
    price = "65000"
    direction = "up"
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

MarketRuleKind = Literal["price_cross", "spread_wide", "large_print", "thin_depth"]


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MarketRuleSettings(BaseModel):
    """One market alert rule the user defined (decimal strings keep prices exact)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(default="", max_length=40, pattern=r"^[A-Za-z0-9._-]*$")
    """A name for the rule; empty gets one made from its kind and market."""
    kind: MarketRuleKind
    """price_cross, spread_wide, large_print or thin_depth."""
    market: str = Field(min_length=1, max_length=16)
    """The market the rule watches, e.g. BTCUSD."""
    price: Decimal | None = Field(default=None, gt=0)
    """price_cross: the price to cross."""
    watch: Literal["last", "mid"] = "last"
    """price_cross: the last trade or the mid."""
    direction: Literal["up", "down", "either"] = "either"
    """price_cross: which way the price must cross."""
    bps: Decimal | None = Field(default=None, gt=0)
    """spread_wide: spread wider than this; thin_depth: how far from the mid to count."""
    amount: Decimal | None = Field(default=None, gt=0)
    """large_print: notional from which a print alerts; thin_depth: the least size."""
    side: Literal["bid", "ask", "both"] = "both"
    """thin_depth: which side of the book."""
    repeat: bool = False
    """False: one-shot (the rule disarms once it has fired and resolved)."""
    pending_seconds: float = Field(default=0.0, ge=0)
    """How long the condition must hold before the alert fires."""
    clear_seconds: float = Field(default=1.0, ge=0)
    """How long the condition must be gone before the alert resolves."""

    @field_validator("market")
    @classmethod
    def _upper_market(cls, value: str) -> str:
        market = value.strip().upper()
        if not market.isascii() or not market.isalnum():
            raise ValueError(f"{market!r} is not a market name like BTCUSD")
        return market


class AlertSettings(BaseModel):
    """Alert thresholds and delivery (feed-health alerts are on by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    health: bool = True
    """Feed-health alerts (silence, disconnects, resyncs, token, clock, recording)."""
    silent_seconds: float = Field(default=10.0, gt=0)
    """A live market with no update this long while connected (stretched to its pace)."""
    disconnected_seconds: float = Field(default=10.0, ge=0)
    """Disconnected longer than this."""
    resync_count: int = Field(default=3, ge=0)
    """A market resynced more than this many times ..."""
    resync_minutes: float = Field(default=5.0, gt=0)
    """... within this many minutes."""
    untrusted_seconds: float = Field(default=15.0, ge=0)
    """A book not live (syncing, resyncing, stale) this long while connected."""
    clock_offset_ms: Decimal = Field(default=Decimal(1000), gt=0)
    """Server clock further off than this, in milliseconds."""
    pending_seconds: float = Field(default=2.0, ge=0)
    """How long the other health conditions must hold before they alert."""
    clear_seconds: float = Field(default=2.0, ge=0)
    """How long a health condition must be gone before its alert resolves."""
    toast: bool = True
    """Show a toast on the desk for each fired alert."""
    bell: bool = True
    """Ring the terminal bell for each fired alert."""
    desktop: bool = True
    """Desktop notification by OSC 9 and OSC 777 (through tmux when inside it)."""
    webhook_url: str = Field(default="", repr=False)
    """POST each fired and resolved alert as JSON here (https://, http:// only loopback)."""
    webhook_timeout: float = Field(default=5.0, gt=0, le=60)
    """Seconds per webhook attempt."""
    webhook_retries: int = Field(default=2, ge=0, le=10)
    """Extra webhook attempts after a failure (with a growing delay)."""
    rules: tuple[MarketRuleSettings, ...] = ()
    """Market alert rules ([[alerts.rules]] tables)."""

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook(cls, value: str) -> str:
        url = value.strip()
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry a user name or password")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("http:// is only allowed for loopback hosts; use https://")
        return url
