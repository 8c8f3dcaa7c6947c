"""Benchmarks: ingest and query speed, memory and scale, side by side with txtai (``python -m bench``)."""
