"""Run ``sor-tui serve`` as a user would and read the URL it prints."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

SECRET_CANARY = "canary-secret-9f3b1e7d"


@dataclass
class Served:
    """A running server: its URL with the token, and the URL without."""

    process: asyncio.subprocess.Process
    url: str

    @property
    def base(self) -> str:
        """The URL without the token."""
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        """The access token printed at start."""
        return self.url.rsplit("token=", 1)[1]


@asynccontextmanager
async def served(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[Served]:
    """Start ``sor-tui serve --port 0 ARGS`` with a secret in its environment; stop it after."""
    environment = dict(os.environ)
    environment.update(SOR_CLIENT_ID="demo-client", SOR_CLIENT_SECRET=SECRET_CANARY)
    environment["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    environment.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sor_tui",
        "serve",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=environment,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode().strip()
        assert line.startswith("sor-tui serve: open http://127.0.0.1:"), line
        yield Served(process, line.split("open ", 1)[1])
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
