"""Settings (pydantic-settings), credentials (keyring) and paths."""
