"""Summaries from a bench store equal those recomputed from the traces in that store.

A tiny suite runs through the real sweep (`dialectic.sweep.run_suite`): two scenarios of the minority
family and majority-51-49 under three cards, and an entry with an `--agent` override and a `rounds`
override (the sweep runs it on a copy of the scenario under OUT/scenarios/). The store's rows
(`load_results`, from Parquet) and the rows read back from OUT/traces/*.jsonl must give the same
report: every cell's statistics, the ranking, the paired tests and the minority curve.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialectic.bench import load_results
from dialectic.bench._source import load_rows, rows_from_traces
from dialectic.bench._summarize import Summarized, summarize
from dialectic.bench._tables import report_tables
from dialectic.cli import app
from dialectic.sweep import run_suite

ROOT = Path(__file__).resolve().parents[2]
SUITE = f"""
name: summary-check
description: store against traces
root: {ROOT}
seeds: 2
entries:
  - scenarios: [scenarios/majority-51-49.yaml, scenarios/family-minority/minority-0.05-conflict-high.yaml,
                scenarios/family-minority/minority-0.3-conflict-high.yaml]
    strategies: [average-reward, max-min, dialectical]
  - scenarios: [scenarios/harbour-sport-park.yaml]
    strategies: [conceder]
    agents: {{SportCo: hardliner}}
    rounds: 6
"""
RUNS = 3 * 3 * 2 + 2
PAIR = ("max-min", "average-reward")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("sweep")
    (where / "suite.yaml").write_text(SUITE, encoding="utf-8")
    report = run_suite(where / "suite.yaml", where / "out", quiet=True)
    assert (report.done, report.failed) == (RUNS, 0)
    return where / "out"


def _both(store: Path) -> tuple[Summarized, Summarized]:
    kwargs = {"seed": 11, "pair": PAIR, "n_resamples": 199}
    return summarize(store, **kwargs), summarize(store / "traces", **kwargs)  # type: ignore[arg-type]


def test_rows_from_the_store_equal_rows_from_its_traces(store: Path) -> None:
    from_store = load_rows(store)
    assert from_store.kind == "store" and len(from_store.rows) == RUNS
    from_traces, notes = rows_from_traces(store / "traces")
    assert notes == []

    def key(row):  # type: ignore[no-untyped-def]
        return (row.scenario, row.strategy, row.seed)

    traced = {key(r): r for r in from_traces}
    assert traced.keys() == {key(r) for r in from_store.rows}
    assert ("harbour-sport-park", "conceder+SportCo=hardliner", 0) in traced
    for row in from_store.rows:
        other = traced[key(row)]
        assert row.trace is not None and Path(row.trace) == Path(other.trace or "")
        assert row.model_dump(exclude={"run_id", "trace"}) == other.model_dump(exclude={"run_id", "trace"})
    assert any(r.params.get("minority_share") == 0.05 for r in from_store.rows)
    assert load_results(store) == from_store.rows


def test_summaries_from_the_store_equal_those_from_its_traces(store: Path) -> None:
    stored, traced = _both(store)
    assert (stored.report.kind, traced.report.kind) == ("store", "traces")
    for field in ("summary", "ranking", "overall", "pairs", "minority"):
        assert getattr(stored.report, field) == getattr(traced.report, field), field
    assert report_tables(stored.report) == report_tables(traced.report)
    # The Markdown differs only in its heading (the folder) and the kind named in the first line.
    assert stored.markdown.split("\n", 3)[3] == traced.markdown.split("\n", 3)[3]
    assert len(stored.report.pairs) == 2 * 3 and len(stored.report.minority) == 3 * 2


def test_cli_on_the_store(store: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "summarize", str(store), "--resamples", "199",
                                      "--plots", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert "## Leaderboard: harbour-sport-park" in result.output and "conceder+SportCo=hardliner" in result.output
    assert (tmp_path / "plots" / "minority.png").exists()
