"""Start the built-in simulator and open the TUI on it."""
