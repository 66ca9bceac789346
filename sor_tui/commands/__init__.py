"""One module per command: each is the composition root of its command."""
