"""The desk state's one lock, shared by the feed thread and the UI thread.

The feed thread holds it for a whole batch of events (``transport.reader``) and for any
other change it makes to the state; the UI thread holds it while it reads a frame's views.
So the UI never sees half a batch, and neither side takes it per event.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sor_tui.runtime.ports import FeedLike


def new_state_lock() -> threading.RLock:
    """The lock for one feed's desk state (re-entrant: a handler may resync a book)."""
    return threading.RLock()


def reading(feed: FeedLike | None) -> AbstractContextManager[Any]:
    """Hold the feed's state lock for a block of reads (nothing to hold without a feed)."""
    return feed.lock if feed is not None else nullcontext()
