"""Fast construction of frozen slotted dataclasses (the core's one construction shortcut).

A frozen dataclass's generated ``__init__`` sets each field through
``object.__setattr__``, several times the cost of the object itself. The hot paths
(decoded levels and updates, view levels and views) instead fill a mutable twin with the
very same slots using plain attribute stores, then retype it to the frozen class by
assigning ``__class__``, which CPython allows only between classes of identical layout::

    level = LEVEL_TWIN()
    level.price = price
    ...
    level.__class__ = LevelView

The result is an ordinary instance of the frozen class: equal, hashable and frozen like
one built normally. Every field must be set (defaults are not applied). The twin is made
from the class's own fields, so it cannot drift from it; a class that cannot be retyped
fails at import, never silently.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any


def twin(frozen: type) -> Any:
    """A mutable class with ``frozen``'s slots whose instances can become ``frozen``."""
    names = tuple(sorted(field.name for field in fields(frozen)))
    mutable: Any = type(f"{frozen.__name__}Twin", (), {"__slots__": names})
    probe = mutable()
    try:
        probe.__class__ = frozen
    except TypeError as exc:
        raise TypeError(f"{frozen.__name__} cannot be built through a twin: {exc}") from None
    return mutable
