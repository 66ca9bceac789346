"""Open the TUI on the configured environment."""
