"""Recording and replay of raw frames; executions in SQLite.

Recording format (version 1): gzip JSON Lines written as independent gzip members, one per
flush (at least every second), so a killed process leaves a readable file. Line one is the
header ``{"sor_tui_recording": 1, "started_ns": N, "ws_url": URL, "markets": [...]}`` (the
URL without credentials or query). Then, in order:

- ``{"t": RECEIVE_NS, "f": FRAME_TEXT}``: a received text frame;
  ``"bin": 1`` marks a binary frame stored as base64; ``"syn": 1`` a SNAPSHOT the client
  wrote for a book already live when recording started;
- ``{"t": NS, "m": MARK, "market": M}``: a desk-state call no frame carries
  (``begin_sync``, ``end_sync``, ``connection_lost``, ``resyncing``), so a replay rebuilds
  the same books.

Nothing secret is written: no token, no client secret, no request headers. Executions the
tape accepted go to ``executions.sqlite`` next to the recordings (WAL), unique by market,
canonical price, canonical amount and executed_at.
"""
