"""Feed tuning (``FeedOptions``), the desired channels from settings, the token interface."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sor_tui.core.events import Channel, ChannelType

if TYPE_CHECKING:
    from sor_tui.config.settings import Settings


class SecretLike(Protocol):
    """A pydantic ``SecretStr`` or anything unwrapped the same way."""

    def get_secret_value(self) -> str:
        """The secret in clear text."""
        ...


class TokenLike(Protocol):
    """An access token as the feed uses it."""

    @property
    def value(self) -> SecretLike:
        """The bearer token, wrapped."""
        ...


class TokenSource(Protocol):
    """What the feed needs from ``TokenProvider``."""

    async def get_token(self, min_ttl: float | None = None) -> Any:
        """A token (with ``.value.get_secret_value()``) valid for more than ``min_ttl`` s."""
        ...

    def invalidate(self, token: Any) -> None:
        """Forget ``token`` after the server rejected it (handshake 401)."""
        ...

    def expires_in(self) -> float | None:
        """Seconds left on the cached token, or None."""
        ...


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """Tuning of the feed; build it from the settings with ``from_settings``."""

    backoff_floor: float = 0.5
    backoff_cap: float = 30.0
    heartbeat_timeout: float = 15.0
    heartbeat_first_timeout: float = 60.0  # until a second beat shows the server's interval
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    open_timeout: float = 10.0
    snapshot_timeout: float = 10.0
    max_frame_bytes: int = 64 * 1024 * 1024
    token_min_ttl: float = 300.0  # protocol §10.4: reconnect only with ample token lifetime
    request_spacing: float = 1.0  # protocol §10.5: >= 1 s between subscribe requests
    resync_interval: float = 2.0  # at most one resync per market in this many seconds
    healthy_after: float = 10.0  # a connection this old that carried data resets the backoff
    close_timeout: float = 2.0
    tick: float = 0.1  # watchdog period

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> FeedOptions:
        """Options from the user's settings, with keyword overrides (tests, benchmarks)."""
        values: dict[str, Any] = {
            "backoff_floor": settings.backoff_floor,
            "backoff_cap": settings.backoff_cap,
            "heartbeat_timeout": settings.heartbeat_timeout,
            "heartbeat_first_timeout": settings.heartbeat_first_timeout,
            "ping_interval": settings.ping_interval,
            "ping_timeout": settings.ping_timeout,
            "open_timeout": settings.open_timeout,
            "snapshot_timeout": settings.snapshot_timeout,
            "max_frame_bytes": settings.max_frame_bytes,
        }
        values.update(overrides)
        return cls(**values)


def channels_from_settings(markets: Iterable[str], channel_types: Iterable[str]) -> list[Channel]:
    """The desired channels: every market channel type per market, heartbeat once."""
    types = list(channel_types)
    channels = [
        Channel(kind, market.upper())
        for market in markets
        for kind in types
        if kind != ChannelType.HEARTBEAT
    ]
    if ChannelType.HEARTBEAT in types:
        channels.append(Channel(ChannelType.HEARTBEAT))
    return channels
