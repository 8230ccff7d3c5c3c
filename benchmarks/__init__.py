"""Benchmark harness for asynclocks: ``python -m benchmarks`` or ``python benchmarks/run.py``."""
