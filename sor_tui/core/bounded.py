"""The one bounded cache of the core: a dict that empties itself when it is full.

Parsed prices, market names, timestamps and views repeat constantly, so caching them pays;
but every key can come from the server, so each cache has a bound. Emptying the whole
dict when it is full (rather than evicting one entry) keeps a hit a plain C-level
``dict.get`` and lets drifting keys start over instead of freezing an old set.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """A ``dict`` of at most ``limit`` entries: read it with ``get``, fill it with ``put``."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` under ``key`` (emptying the cache first when full); returns it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
