"""Benchmarks of kmodel: `python -m benchmarks` (see benchmarks/__main__.py)."""
