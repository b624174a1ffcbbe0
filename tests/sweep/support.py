"""Small suites written in a test's folder, and the store compared field by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dialectic.bench import SweepRow, load_sweep
from dialectic.bench._store import TIMING_FIELDS
from tests.conftest import ROOT


def write_suite(folder: Path, entries: list[dict[str, Any]], name: str = "t", seeds: Any = 2,
                **extra: Any) -> Path:
    """A suite file in `folder` whose root is the repository (scenarios/..., agents/...)."""
    path = folder / f"{name}.yaml"
    data = {"name": name, "description": "a test suite", "root": str(ROOT), "seeds": seeds, "entries": entries,
            **extra}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def comparable(rows: list[SweepRow]) -> dict[str, dict[str, Any]]:
    """Rows by run id, less the fields that record timing and placement (elapsed, worker, finished_at)."""
    return {r.run_id: r.model_dump(exclude=set(TIMING_FIELDS)) for r in rows}


def store_rows(out: Path) -> dict[str, dict[str, Any]]:
    return comparable(load_sweep(out))


def raw_row_count(out: Path) -> int:
    """Rows in every Parquet part, duplicates included (the store's own reader keeps the latest per run)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in (out / "rows").glob("part-*.parquet"))


def trace_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "traces").glob("*.jsonl"))}
