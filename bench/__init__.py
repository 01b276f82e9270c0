"""Kaari benchmarks: `python -m bench [push|pull|first_sync ...] [--quick]` (see docs/performance.md).

Every benchmark starts its own real server process (`python -m server.cli serve`) on a fresh data
directory, drives it over HTTP with the reference client (`sync_protocol.client`), measures a baseline in
the same run, prints a table and writes `bench/results/<name>.json`.
"""
