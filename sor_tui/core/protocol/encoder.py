"""Encode client requests (protocol §5): compact JSON with one descriptor per channel."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from sor_tui.core.events import MARKET_CHANNELS, Channel, ChannelType


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
