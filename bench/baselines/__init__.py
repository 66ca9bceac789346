"""Baselines the benchmarks compare sor-tui against, run side by side in the same process."""
