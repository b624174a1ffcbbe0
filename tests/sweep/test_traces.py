"""A sweep's traces are byte for byte those of `dialectic run` for the same scenario, card, overrides and
seed; its rows are those the evaluator gives when it re-scores the traces."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dialectic.bench import load_results, load_sweep
from dialectic.cli import app
from dialectic.sweep import run_suite
from tests.conftest import SCENARIOS
from tests.sweep.support import write_suite


def test_sweep_traces_equal_dialectic_run_traces(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [
        {"scenarios": ["scenarios/harbour-sport-park.yaml"], "strategies": ["dialectical", "max-min"]},
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"],
         "agents": {"majority": "hardliner"}},
    ], seeds=[0, 3])
    out = tmp_path / "sweep"
    report = run_suite(suite, out, quiet=True)
    assert (report.done, report.failed) == (6, 0)
    runner = CliRunner()
    results = {(r.scenario, r.strategy, r.seed): r for r in load_results(out)}
    for scenario, card, agents in (("harbour-sport-park", "dialectical", []), ("harbour-sport-park", "max-min", []),
                                   ("majority-51-49", "conceder", ["--agent", "majority=hardliner"])):
        for seed in (0, 3):
            alone = tmp_path / f"alone-{card}-{seed}"
            done = runner.invoke(app, ["run", str((SCENARIOS / f"{scenario}.yaml").resolve()), "--strategy", card,
                                       "--seed", str(seed), "--out", str(alone), "--json", *agents])
            assert done.exit_code == 0, done.output
            summary = json.loads(done.output)
            trace = Path(summary["trace"])
            label = card + ("+majority=hardliner" if agents else "")
            row = results[(scenario, label, seed)]
            assert row.trace is not None and Path(row.trace).name == trace.name
            assert Path(row.trace).read_bytes() == trace.read_bytes()
            assert row.label == summary["label"] and row.worst_case_welfare == summary["worst_case_welfare"]


def test_rows_record_the_run_and_its_overrides(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [{"scenarios": ["scenarios/harbour-sport-park.yaml"], "strategies": ["conceder"],
                                    "rounds": 2, "agents": {"SportCo": "hardliner"}}], seeds=1)
    out = tmp_path / "out"
    run_suite(suite, out, quiet=True)
    [row] = load_sweep(out)
    assert row.status == "ok" and row.rounds_limit == 2 and row.agents == {"SportCo": "hardliner"}
    assert row.card == "conceder" and row.strategy == "conceder+SportCo=hardliner" and row.suite == "t"
    assert row.result is not None and row.result.rounds <= 2 and row.result.run_id == row.run_id
    assert row.scenario_path == str((SCENARIOS / "harbour-sport-park.yaml").resolve())
    # the overridden scenario is kept beside the store, and the trace re-scores against it
    copy = out / "scenarios" / "harbour-sport-park.rounds2.yaml"
    rescored = CliRunner().invoke(app, ["score", str(out / row.result.trace), "--scenario", str(copy), "--json"])
    assert rescored.exit_code == 0, rescored.output
    assert json.loads(rescored.output)["worst_case_welfare"] == row.result.worst_case_welfare
