"""Benchmarks (``xproj bench``): projection throughput, peak memory and solver agreement.

Pure-Python and numpy only; heavy parts (eflomal, PuLP) are reached through the registries when a
benchmark runs, so importing this package stays cheap.
"""
from . import data, machine, projection  # noqa: F401
from .projection import BenchSettings, format_report, run_projection_bench  # noqa: F401
