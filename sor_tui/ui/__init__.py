"""The Textual UI: it only reacts to messages."""
