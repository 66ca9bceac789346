"""Recording and replay of raw frames; executions in SQLite."""
