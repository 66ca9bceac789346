"""The feed thread writes the shared desk state while the UI thread reads views."""

from __future__ import annotations

import threading
from decimal import Decimal

from sor_tui.core.events import BookSnapshot, BookUpdate, Execution, PriceLevel
from sor_tui.runtime.shared_state import SharedDeskState

T0 = 1_772_460_307_000_000_000


def test_views_stay_consistent_while_another_thread_applies_updates() -> None:
    state = SharedDeskState()
    state.begin_sync("BTCUSD")
    bids = tuple(PriceLevel(Decimal(65000 - i), Decimal(1)) for i in range(50))
    asks = tuple(PriceLevel(Decimal(65001 + i), Decimal(1)) for i in range(50))
    state.apply(BookSnapshot("BTCUSD", T0, "", bids, asks), T0)
    done = threading.Event()

    def writer() -> None:
        for n in range(1, 3001):
            price = Decimal(64990 - n % 40)
            update = BookUpdate("BTCUSD", T0 + n, "", (PriceLevel(price, Decimal(n % 3)),), ())
            state.apply(update, T0 + n)
            if n % 10 == 0:
                state.apply(Execution("BTCUSD", price, Decimal(1), T0 + n, ""), T0 + n)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    seen = 0
    while not done.is_set() or reads == 0:
        view = state.book_view("BTCUSD", 25)
        assert view is not None
        prices = [level.price for level in view.bids]
        assert prices == sorted(prices, reverse=True)  # never a half-applied book
        seen += len(state.drain_new_executions())
        state.tape_view(50)
        reads += 1
    thread.join(timeout=10)
    seen += len(state.drain_new_executions())
    assert seen == 300  # every execution exactly once across threads
