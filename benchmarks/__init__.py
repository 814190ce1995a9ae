"""Benchmarks: `make bench` (or `python -m benchmarks`). Each prints rows of one table."""
