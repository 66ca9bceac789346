"""Frozen views of one book, built incrementally from the previous view of the same read.

``cache`` keeps the previous view of each (depth, group) read (bounded) and computes the
spread figures; ``sides`` rebuilds one side of a view from its first changed level down.
"""

from sor_tui.core.book_views.cache import (
    BPS,
    BPS_QUANTUM,
    Figures,
    ViewCache,
    spread_figures,
)
from sor_tui.core.book_views.sides import SideWatch

__all__ = [
    "BPS",
    "BPS_QUANTUM",
    "Figures",
    "SideWatch",
    "ViewCache",
    "spread_figures",
]
