"""Benchmarks of slosim beside NumPy baselines; see README.md."""
