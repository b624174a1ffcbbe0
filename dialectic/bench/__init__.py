"""Benchmarks: result rows and the statistics across runs (bootstrap intervals, worst run, CVaR,
paired seed-matched differences). Light on import: scipy is imported where it is used."""

from dialectic.bench._bootstrap import Estimate, bootstrap_estimate
from dialectic.bench._machine import machine_info
from dialectic.bench._rows import FLAGS, METRICS, RunRow, metric_value
from dialectic.bench._store import (
    STORE_SCHEMA,
    Manifest,
    Store,
    StoreError,
    SweepRow,
    load_results,
    load_sweep,
)
from dialectic.bench._tail import cvar, tail_size, worst_run
from dialectic.bench.stats import (
    DEFAULT_METRICS,
    CellSummary,
    MetricSummary,
    PairedDifference,
    Rate,
    Summary,
    paired_difference,
    paired_differences,
    summarise,
)

__all__ = [
    "DEFAULT_METRICS",
    "FLAGS",
    "METRICS",
    "STORE_SCHEMA",
    "CellSummary",
    "Estimate",
    "Manifest",
    "MetricSummary",
    "PairedDifference",
    "Rate",
    "RunRow",
    "Store",
    "StoreError",
    "Summary",
    "SweepRow",
    "bootstrap_estimate",
    "cvar",
    "load_results",
    "load_sweep",
    "machine_info",
    "metric_value",
    "paired_difference",
    "paired_differences",
    "summarise",
    "tail_size",
    "worst_run",
]
