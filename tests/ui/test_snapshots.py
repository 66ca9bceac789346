"""SVG snapshots of the desk's main states at 80x24 and 160x48, and of the desk at every
size class (fake feed, frozen clock).

Update after a deliberate visual change with ``pytest tests/ui --snapshot-update`` and
review the SVGs. Pictures for the README come from ``python -m tests.ui.make_screenshots``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.scenes import SCENES, Scene, build_scene, prepare

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
SnapCompare = Callable[..., bool]


def settle(scene: Scene) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """The scene's preparation, run before the picture is taken."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await prepare(pilot, scene)

    return run_before


def check(snap_compare: SnapCompare, scene: Scene, size: tuple[int, int]) -> None:
    app = build_scene(scene)
    assert snap_compare(app, terminal_size=size, run_before=settle(scene))


class TestDesk:
    """The books tab: ladders, tape, market list, status bar."""

    @pytest.mark.parametrize("size", SIZES)
    def test_live_demo(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        check(snap_compare, SCENES["desk"], size)

    @pytest.mark.parametrize("size", SIZES)
    def test_reconnecting(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # Books stale, status bar counting down to the next attempt.
        check(snap_compare, SCENES["reconnecting"], size)

    @pytest.mark.parametrize("size", SIZES)
    def test_auth_failed(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # Final state with a toast and the reason in the status bar.
        check(snap_compare, SCENES["auth-failed"], size)


class TestSizes:
    """The desk at every size class: no cut number or badge, decimal points in line."""

    @pytest.mark.parametrize(
        "size",
        [
            pytest.param((39, 11), id="39x11-too-small"),
            pytest.param((40, 12), id="40x12"),
            pytest.param((60, 20), id="60x20"),  # narrow: the ladder, the tape hidden
            pytest.param((60, 50), id="60x50"),  # a tall split: the tape below
            pytest.param((70, 24), id="70x24"),
            pytest.param((100, 30), id="100x30"),
            pytest.param((120, 40), id="120x40"),
            pytest.param((240, 70), id="240x70"),  # wide: wider tape, deeper ladders
        ],
    )
    def test_desk(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        check(snap_compare, SCENES["desk"], size)

    def test_tape_brought_back(self, snap_compare: SnapCompare) -> None:
        # "t" on a narrow desk shows the tape below the ladder.
        check(snap_compare, SCENES["desk-tape-shown"], (60, 20))


class TestPanels:
    """The subscriptions and error tabs."""

    @pytest.mark.parametrize("size", SIZES)
    def test_subscription_errors(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "s" opens the subscriptions tab; the refused row explains its code.
        check(snap_compare, SCENES["subscriptions"], size)

    @pytest.mark.parametrize("size", SIZES)
    def test_error_pane(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "e" opens the error log; hostile text shows literally, without escapes.
        check(snap_compare, SCENES["errors"], size)


class TestDialogs:
    """Credentials and help."""

    @pytest.mark.parametrize("size", SIZES)
    def test_credentials(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "k" opens the credentials dialog.
        check(snap_compare, SCENES["credentials"], size)

    @pytest.mark.parametrize("size", SIZES)
    def test_help(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        # "?" opens the help.
        check(snap_compare, SCENES["help"], size)
