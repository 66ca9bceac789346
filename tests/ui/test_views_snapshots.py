"""SVG snapshots of the charts and the markets board at 80x24 and 160x48 (seeded history)."""

from __future__ import annotations

import pytest

from tests.ui.scenes import SCENES
from tests.ui.test_snapshots import SIZES, SnapCompare, check


class TestCharts:
    """The chart panel on the books tab (instead of the ladder at 80 columns, beside at 160)."""

    @pytest.mark.parametrize("size", SIZES)
    def test_candles(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "v" shows 1-minute candles with volume; the disconnect is a shaded gap.
        check(snap_compare, SCENES["chart-candles"], size)

    @pytest.mark.parametrize("size", SIZES)
    def test_depth(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "v" three times: cumulative depth around the mid.
        check(snap_compare, SCENES["chart-depth"], size)


class TestBoard:
    """The markets board screen."""

    @pytest.mark.parametrize("size", SIZES)
    def test_board(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "m" opens the board: one row per market, exact or marked ≈.
        check(snap_compare, SCENES["board"], size)
