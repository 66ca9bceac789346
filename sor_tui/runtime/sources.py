"""Feed sources: the configured environment, and a loopback server such as the simulator.

Both build the same real client path (token provider, feed, desk state); the demo only
starts its server first (the command builds it) and points the client at its loopback ports.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from pydantic import SecretStr

from sor_tui.config.credentials import Credentials
from sor_tui.config.settings import Settings
from sor_tui.record.live import LiveRecording
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.runtime.shared_state import new_state_lock
from sor_tui.transport.feed import Feed, FeedOptions, channels_from_settings
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.redact import (
    RedactingFilter,
    credential_secrets,
    install_redaction,
    uninstall_redaction,
)

log = logging.getLogger(__name__)


class LiveSource:
    """A feed on the configured environment with the given credentials."""

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        *,
        feed_overrides: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.feed_overrides = dict(feed_overrides or {})
        self.credentials = credentials
        self.environment: str = settings.environment
        self.tokens: TokenProvider | None = None
        self.redactor: RedactingFilter | None = None
        self.recording: LiveRecording | None = None

    def __repr__(self) -> str:
        return f"LiveSource(environment={self.environment!r})"

    async def open(self) -> Feed:
        """Build the token provider and the feed (nothing connects until the feed runs)."""
        return self._feed(self.settings.ws_url, self.settings.oauth_url, self.credentials)

    def _feed(self, ws_url: str, oauth_url: str, credentials: Credentials) -> Feed:
        settings = self.settings
        self.tokens = TokenProvider(
            oauth_url,
            credentials.client_id,
            credentials.client_secret,
            settings.scope,
            deadline=settings.token_deadline,
        )
        self._redact(credentials, self.tokens)
        desired = channels_from_settings(settings.markets, settings.channels)
        options = FeedOptions.from_settings(settings, **self.feed_overrides)
        state = RecordingDeskState(
            **settings.desk_state_options,
        )
        lock = new_state_lock()
        self._start_recording(state, lock, ws_url)
        return Feed(
            ws_url,
            self.tokens,
            desired,
            options=options,
            state=state,
            on_frame=state.frame,
            lock=lock,
        )

    def _start_recording(
        self, state: RecordingDeskState, lock: threading.RLock, ws_url: str
    ) -> None:
        """The recording switch (ctrl+r); on from the start when ``settings.record``."""
        settings = self.settings
        self.recording = LiveRecording(
            state, settings.recordings_path, ws_url=ws_url, markets=settings.markets, lock=lock
        )
        if self.settings.record:
            try:
                self.recording.start()
            except (OSError, sqlite3.Error):  # the desk still runs and shows REC FAILED
                log.warning("%s", self.recording.error)

    def _redact(self, credentials: Credentials, tokens: TokenProvider) -> None:
        """Keep the secret and every token out of all logs (websockets logs headers at DEBUG)."""

        def current_token() -> str | None:
            cached = tokens.cached
            return None if cached is None else cached.value.get_secret_value()

        if self.redactor is not None:
            uninstall_redaction(self.redactor)
        self.redactor = install_redaction(
            credential_secrets(
                credentials.client_id, credentials.client_secret.get_secret_value(), current_token
            )
        )

    async def close(self) -> None:
        """Stop recording, close the token provider's HTTP client, remove the log redaction."""
        if self.recording is not None:
            self.recording.stop()
        if self.tokens is not None:
            await self.tokens.aclose()
            self.tokens = None
        if self.redactor is not None:
            uninstall_redaction(self.redactor)
            self.redactor = None


class LoopbackServer(Protocol):
    """A server on loopback ports with its own credentials (the demo's simulator)."""

    @property
    def ws_url(self) -> str: ...
    @property
    def oauth_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...

    async def __aenter__(self) -> Any: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any: ...


class DemoSource(LiveSource):
    """Starts a loopback server (built by ``new_server``) and connects to it."""

    def __init__(
        self,
        settings: Settings,
        new_server: Callable[[], LoopbackServer],
        *,
        seed: int = 1,
        feed_overrides: dict[str, Any] | None = None,
    ) -> None:
        placeholder = Credentials("demo-client", SecretStr("demo-secret"), "env")
        super().__init__(settings, placeholder, feed_overrides=feed_overrides)
        self.environment = "demo"
        self.seed = seed
        self.new_server = new_server
        self.simulator: Any = None

    def __repr__(self) -> str:
        return f"DemoSource(seed={self.seed})"

    async def open(self) -> Feed:
        """Start the server, then build the real client path against it."""
        simulator = self.new_server()
        await simulator.__aenter__()
        self.simulator = simulator
        credentials = Credentials(simulator.client_id, SecretStr(simulator.client_secret), "env")
        return self._feed(simulator.ws_url, simulator.oauth_url, credentials)

    async def close(self) -> None:
        """Close the client side, then stop the simulator."""
        await super().close()
        if self.simulator is not None:
            simulator, self.simulator = self.simulator, None
            await simulator.__aexit__(None, None, None)
