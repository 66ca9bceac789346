"""Fast constructors of the frozen views: identical objects, built in a fraction of the time.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__``
(about 1 µs for a ``LevelView``). Here each view class has a mutable twin with the very same
slots: an instance of the twin (made by calling the class, cheaper than ``object.__new__``)
is filled with plain attribute stores (which CPython specializes to a direct slot write) and
then retyped to the frozen class by assigning ``__class__``, which CPython allows only
between classes of identical layout. The result is
an ordinary ``LevelView``/``BookView``: equal, hashable and frozen like one built normally.
This matters because a change at the top of a book gives every level below it a new
cumulative size, so a redraw builds many levels.

If a view class ever changes its fields, the twin no longer matches, the check below fails
at import and the constructors fall back to the classes' own ``__init__``.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from sor_tui.core.views import BookStatus, BookView, LevelChange, LevelView


class LevelSlots:
    """A mutable twin of ``LevelView`` (the same slots), retyped once filled."""

    __slots__ = ("amount", "change", "cumulative", "price")

    price: Decimal
    amount: Decimal
    cumulative: Decimal
    change: LevelChange


class ViewSlots:
    """A mutable twin of ``BookView`` (the same slots), retyped once filled."""

    __slots__ = (
        "ask_levels",
        "asks",
        "best_ask",
        "best_bid",
        "bid_levels",
        "bids",
        "crossed",
        "flags",
        "last_update_ns",
        "locked",
        "market",
        "mid",
        "snapshot_time_ns",
        "spread",
        "spread_bps",
        "status",
        "updates_applied",
        "version",
    )

    market: str
    status: BookStatus
    bids: tuple[LevelView, ...]
    asks: tuple[LevelView, ...]
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread: Decimal | None
    spread_bps: Decimal | None
    mid: Decimal | None
    crossed: bool
    locked: bool
    snapshot_time_ns: int | None
    last_update_ns: int | None
    bid_levels: int
    ask_levels: int
    updates_applied: int
    version: int
    flags: tuple[str, ...]


def retypable(twin: type, frozen: type) -> bool:
    """True when instances of ``twin`` can become ``frozen`` objects with the same fields."""
    # CPython lays slots out in sorted name order, so equal name sets mean equal layouts;
    # the __class__ assignment below checks that too and refuses anything else.
    if sorted(f.name for f in fields(frozen)) != sorted(getattr(twin, "__slots__", ())):
        return False
    probe: Any = object.__new__(twin)
    try:
        probe.__class__ = frozen
    except TypeError:
        return False
    return True


FAST_LEVELS = retypable(LevelSlots, LevelView)
FAST_VIEWS = retypable(ViewSlots, BookView)
VIEW_FIELDS = tuple(f.name for f in fields(BookView))
"""The order of ``make_view``'s arguments (BookView's own field order)."""


def make_level(
    price: Decimal, amount: Decimal, cumulative: Decimal, change: LevelChange
) -> LevelView:
    """Build a LevelView equal to ``LevelView(price, amount, cumulative, change)``, faster."""
    if not FAST_LEVELS:
        return LevelView(price, amount, cumulative, change)
    level: Any = LevelSlots()
    level.price = price
    level.amount = amount
    level.cumulative = cumulative
    level.change = change
    level.__class__ = LevelView
    return level  # type: ignore[no-any-return]  # a LevelView now (cast() would cost a call)


def make_view(*values: Any) -> BookView:
    """Build a BookView from its field values in ``VIEW_FIELDS`` order, equal to BookView(...)."""
    if not FAST_VIEWS:
        return BookView(*values)
    (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17) = values
    view: Any = ViewSlots()
    view.market = v0
    view.status = v1
    view.bids = v2
    view.asks = v3
    view.best_bid = v4
    view.best_ask = v5
    view.spread = v6
    view.spread_bps = v7
    view.mid = v8
    view.crossed = v9
    view.locked = v10
    view.snapshot_time_ns = v11
    view.last_update_ns = v12
    view.bid_levels = v13
    view.ask_levels = v14
    view.updates_applied = v15
    view.version = v16
    view.flags = v17
    view.__class__ = BookView
    return view  # type: ignore[no-any-return]  # a BookView now (cast() would cost a call)
