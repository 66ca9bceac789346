"""sor-tui: a keyboard-driven terminal app for the Paxos Smart Order Routing WebSocket API."""

__version__ = "0.1.0"
