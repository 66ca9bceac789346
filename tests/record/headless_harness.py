"""Run ``sor-tui stream``/``record`` as a user would: a subprocess against a simulator.

stdout is parsed as JSON Lines and stderr kept line by line while the process runs, so a
test can wait for a health line or an execution before it signals or kills the process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sor_tui.core.events import Execution
from sor_tui.core.numbers import canonical_text
from sor_tui.sim.server import Simulator


@dataclass
class Command:
    """A running command with what it printed so far."""

    process: asyncio.subprocess.Process
    lines: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    def of(self, event: str) -> list[dict[str, Any]]:
        """stdout lines of one event kind."""
        return [line for line in self.lines if line["event"] == event]

    async def finish(self, within: float = 15.0) -> int:
        """Wait for the exit (and the last output); returns the exit status."""
        async with asyncio.timeout(within):
            code = await self.process.wait()
            await asyncio.gather(*self.readers)
        return code

    @property
    def stderr(self) -> str:
        """Everything on stderr so far."""
        return "\n".join(self.errors)


def sim_env(sim: Simulator, **extra: str) -> dict[str, str]:
    """The environment of a command that uses ``sim``'s demo credentials."""
    env = dict(os.environ)
    env.update(SOR_CLIENT_ID=sim.client_id, SOR_CLIENT_SECRET=sim.client_secret)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env.update(extra)
    return env


def sim_args(sim: Simulator) -> list[str]:
    """Options pointing a headless command at ``sim``."""
    return ["--environment", "demo", "--ws-url", sim.ws_url, "--oauth-url", sim.oauth_url]


@asynccontextmanager
async def command(
    *args: str, env: dict[str, str], preexec_fn: Callable[[], None] | None = None
) -> AsyncIterator[Command]:
    """Start ``sor-tui ARGS``; kill it if the test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sor_tui",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        preexec_fn=preexec_fn,
    )
    running = Command(process)

    async def read_stdout() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            running.lines.append(json.loads(raw))  # every line must be one JSON object

    async def read_stderr() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            running.errors.append(raw.decode(errors="replace").rstrip("\n"))

    running.readers = [asyncio.create_task(read_stdout()), asyncio.create_task(read_stderr())]
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.gather(*running.readers)


def print_key(item: dict[str, str] | Execution) -> tuple[str, str, str, str]:
    """One print's identity, from a stdout line or a decoded execution."""
    if isinstance(item, Execution):
        fields = (item.market, item.executed_at, item.price, item.amount)
    else:
        fields = (item["market"], item["executed_at"], item["price"], item["amount"])
    market, executed_at, price, amount = fields
    return (
        str(market),
        str(executed_at),
        canonical_text(Decimal(price)),
        canonical_text(Decimal(amount)),
    )
