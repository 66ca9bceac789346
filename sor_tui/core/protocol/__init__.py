"""The SOR wire protocol: frames decoded into typed events, requests encoded.

``shapes`` mirrors the JSON (msgspec Structs), ``values`` validates what is inside them
(exact decimals, times, names, levels) through bounded caches, ``decoder`` turns one frame
into exactly one event and never raises, ``encoder`` builds the client's requests.
"""

from sor_tui.core.protocol.decoder import DEFAULT_MAX_BYTES, DEFAULT_MAX_LEVELS, decode
from sor_tui.core.protocol.encoder import (
    encode_subscribe,
    encode_subscription_list,
    encode_unsubscribe,
)
from sor_tui.core.reasons import REJECT_REASONS

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_LEVELS",
    "REJECT_REASONS",
    "decode",
    "encode_subscribe",
    "encode_subscription_list",
    "encode_unsubscribe",
]
