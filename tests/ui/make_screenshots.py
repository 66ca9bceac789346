"""Regenerate ``screenshots/*.svg`` from the app: ``python -m tests.ui.make_screenshots``.

Uses the same deterministic scenes as the snapshot tests (fake feed, frozen clock), so the
pictures change only when the UI does.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import keyring

from tests.memory_keyring import MemoryKeyring
from tests.ui.scenes import SCENES, Scene, build_scene, prepare

SIZES = ((80, 24), (160, 48))
SIZE_CLASSES = (("desk", (60, 20)), ("desk", (240, 70)))
"""The desk narrow (ladder first, tape hidden) and wide, for the README's terminal sizes."""
OUT = Path(__file__).resolve().parents[2] / "screenshots"


async def shoot(scene: Scene, size: tuple[int, int]) -> Path:
    """Run one scene headless at ``size`` and save its SVG."""
    app = build_scene(scene)
    async with app.run_test(size=size, notifications=True) as pilot:
        await prepare(pilot, scene, toasts=True)
        name = f"{scene.name}-{size[0]}x{size[1]}.svg"
        path = OUT / name
        path.write_text(app.export_screenshot(title=f"sor-tui {scene.name}"), encoding="utf-8")
    return path


async def main() -> int:
    """Write every scene at every size."""
    OUT.mkdir(exist_ok=True)
    keyring.set_keyring(MemoryKeyring())  # never touch the user's real keyring
    for scene in SCENES.values():
        for size in SIZES:
            print(await shoot(scene, size))
    for name, size in SIZE_CLASSES:
        print(await shoot(SCENES[name], size))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
