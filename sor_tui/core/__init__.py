"""The pure core: protocol decoding, order books, the execution tape, sanitizing.

Nothing here imports a UI or an I/O library (enforced by import-linter and tests/test_layers.py).
"""
