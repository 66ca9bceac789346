"""Alert webhook: JSON POSTs from a thread of their own, with retries and a timeout.

A slow or dead webhook must never hold up the desk: ``send`` only queues (bounded; the
oldest waiting alert is dropped and counted when full), a daemon thread posts, and a
failure is reported through ``on_failure`` (called on that thread) after the last retry.
The body holds the alert only: no token, no client id, no secret.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from sor_tui import __version__
from sor_tui.core.sanitize import sanitize

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
RETRY_DELAY = 0.5
"""Seconds before the first retry; each further retry waits twice as long."""


class WebhookSender:
    """Posts alert objects to one URL, in order, off the caller's thread."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        on_failure: Callable[[str], None] | None = None,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.retry_delay = retry_delay
        self.on_failure = on_failure
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, body: dict[str, Any]) -> None:
        """Queue one alert for posting (never blocks)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sor-webhook", daemon=True)
                self._thread.start()
        while True:
            try:
                self._queue.put_nowait(body)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def close(self, wait: float = 0.0) -> None:
        """Stop the thread after what is queued (waiting at most ``wait`` seconds)."""
        thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put(None, timeout=max(wait, 0.01))
        except queue.Full:
            return
        if wait > 0:
            thread.join(wait)

    def _run(self) -> None:
        headers = {"User-Agent": f"sor-tui/{__version__}"}
        with httpx.Client(timeout=self.timeout, headers=headers, follow_redirects=False) as client:
            while True:
                body = self._queue.get()
                if body is None:
                    return
                self._post(client, body)

    def _post(self, client: httpx.Client, body: dict[str, Any]) -> None:
        error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay * 2 ** (attempt - 1))
            try:
                response = client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                error = sanitize(f"{type(exc).__name__}: {exc}", 160)
                continue
            if response.is_success:
                self.sent += 1
                return
            error = f"HTTP {response.status_code}"
        self.failed += 1
        text = f"alert webhook failed after {self.retries + 1} attempts: {error}"
        log.warning("%s", text)
        if self.on_failure is not None:
            self.on_failure(text)
