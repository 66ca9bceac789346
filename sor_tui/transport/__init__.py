"""Async I/O with no UI: OAuth2 token provider, WebSocket feed session, headless stream."""
