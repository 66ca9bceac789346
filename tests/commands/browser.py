"""A headless Chromium driven over the Chrome DevTools protocol (no browser download).

``chromium()`` starts the system's Chromium with its own profile, no network but
loopback, and a DevTools port; ``Page`` opens one tab, records what the page's WebSockets
receive (the desk's terminal output) and presses keys. Used by the ``serve`` tests and to
keep ``screenshots/browser.png``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.waiting import wait_until

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]")


def find_chromium() -> str | None:
    """The system Chromium's path, or None."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def plain_text(raw: bytes) -> str:
    """Terminal output without escape sequences."""
    return _ANSI.sub("", raw.decode("utf-8", errors="replace"))


class Page:
    """One tab: commands on its session, and the bytes its WebSockets received."""

    def __init__(self, socket: ClientConnection, session: str) -> None:
        self._socket = socket
        self._session = session
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.received = bytearray()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self._socket:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(RuntimeError(str(message["error"])))
                else:
                    future.set_result(message.get("result", {}))
            elif message.get("method") == "Network.webSocketFrameReceived":
                response = message["params"]["response"]
                data = response["payloadData"]
                if response.get("opcode") == 2:
                    self.received += base64.b64decode(data)
                else:
                    self.received += data.encode()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Run one DevTools command on this tab and wait for its answer."""
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        message = {"id": number, "method": method, "params": params, "sessionId": self._session}
        await self._socket.send(json.dumps(message))
        async with asyncio.timeout(30):
            return await future

    @property
    def text(self) -> str:
        """Everything the desk drew so far, as plain text."""
        return plain_text(bytes(self.received))

    async def wait_for_text(self, *words: str, within: float = 30.0, since: int = 0) -> None:
        """Wait until every word was drawn (after byte ``since``)."""

        def drawn() -> bool:
            return all(w in plain_text(bytes(self.received[since:])) for w in words)

        await wait_until(drawn, within=within, what=f"{words} in the browser")

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def press(self, key: str) -> None:
        """Type one printable key into the focused element."""
        for kind in ("keyDown", "keyUp"):
            params: dict[str, Any] = {"type": kind, "key": key}
            if kind == "keyDown":
                params["text"] = key
            await self.send("Input.dispatchKeyEvent", **params)

    async def screenshot(self) -> bytes:
        """The tab as a PNG."""
        shot = await self.send("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])

    async def close(self) -> None:
        """Stop reading."""
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def chromium(path: str, width: int = 1280, height: int = 800) -> AsyncIterator[Page]:
    """A headless Chromium with one blank tab, reachable only on loopback."""
    profile = Path(tempfile.mkdtemp(prefix="sor-chromium-"))
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
        [
            path,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            # No test reaches the internet: every name but loopback fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        await wait_until(
            lambda: port_file.exists() and len(port_file.read_text().splitlines()) >= 2,
            within=30,
            what="Chromium's DevTools port",
        )
        port, browser_path = port_file.read_text().splitlines()[:2]
        url = f"ws://127.0.0.1:{port}{browser_path}"
        async with connect(url, max_size=None, proxy=None) as socket:
            page = await _open_tab(socket)
            try:
                yield page
            finally:
                await page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


async def _open_tab(socket: ClientConnection) -> Page:
    ids = itertools.count(1_000_000)  # apart from the page's own numbering

    async def answer(method: str, **params: Any) -> dict[str, Any]:
        number = next(ids)
        await socket.send(json.dumps({"id": number, "method": method, "params": params}))
        async with asyncio.timeout(30):
            while True:
                message = json.loads(await socket.recv())
                if message.get("id") == number:
                    if "error" in message:
                        raise RuntimeError(str(message["error"]))
                    result: dict[str, Any] = message.get("result", {})
                    return result

    target = await answer("Target.createTarget", url="about:blank")
    attached = await answer("Target.attachToTarget", targetId=target["targetId"], flatten=True)
    page = Page(socket, attached["sessionId"])
    await page.send("Network.enable")
    await page.send("Page.enable")
    return page
