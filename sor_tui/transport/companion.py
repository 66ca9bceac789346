"""What a headless command runs next to the stream's feed: a ``Companion`` (the recorder).

``sor-tui stream --record`` and ``sor-tui record`` hand ``transport.stream`` a plan: the
command's name, extra settings, whether JSON Lines go to stdout, and a factory for the
companion that provides the desk state and the raw-frame hook, watches the run and can
end it (a recording that cannot be written: exit 4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sor_tui.core.state import DeskState

if TYPE_CHECKING:
    from sor_tui.config.settings import Settings
    from sor_tui.transport.feed import Feed


class CompanionError(Exception):
    """A companion cannot start (the recordings folder cannot be written): a message."""


class Companion(Protocol):
    """What a command runs next to a headless feed (a recorder)."""

    @property
    def state(self) -> DeskState:
        """The desk state the feed applies events to."""
        ...

    def on_frame(self, data: str | bytes, received_ns: int) -> None:
        """Every raw frame with its receive time, in order."""
        ...

    async def watch(self, feed: Feed) -> str | None:
        """Run beside the feed; return a fatal problem to end the run (exit 4)."""
        ...

    def close(self) -> str | None:
        """Flush and close after the feed stopped; a problem when that failed."""
        ...


@dataclass(frozen=True)
class HeadlessPlan:
    """How a headless command uses the stream: its name, extra settings, stdout, companion."""

    command: str = "stream"
    overrides: dict[str, Any] = field(default_factory=dict)
    json_lines: bool = True  # False: nothing on stdout (executions are still drained)
    companion: Callable[[Settings], Companion | None] | None = None


async def watch_companion(
    companion: Companion | None, feed: Feed, failures: list[str], stop: Callable[[], None]
) -> None:
    """Let the companion watch the run; a problem it returns ends the run (and is printed)."""
    if companion is None:
        return
    problem = await companion.watch(feed)
    if problem is not None:
        failures.append(problem)
        stop()
