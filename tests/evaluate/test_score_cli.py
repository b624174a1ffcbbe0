"""`dialectic score`: re-scoring saved traces against the scenario they name, and refusing clearly
(exit 2, the trace and the scenario path named, never a traceback) when that scenario is missing or
changed. Also `dialectic metrics`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dialectic.cli import app
from dialectic.evaluate import CORE_FIELDS, Evaluation, RescoreError, Rescorer, load_metrics, score_trace
from dialectic.trace import read_trace
from tests.conftest import ROOT

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
runner = CliRunner()


def copy_fixture(tmp_path: Path, name: str, scenario: bool = True) -> Path:
    target = tmp_path / name
    shutil.copy(TRACES / name, target)
    if scenario:
        shutil.copy(TRACES / "planted.yaml", tmp_path / "planted.yaml")
    return target


def refused(result: Result, *needles: str) -> None:
    """Exit 2 with a clean message (a SystemExit, not an exception escaping) naming every needle."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def test_rescoring_a_fresh_run_reproduces_its_evaluation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the trace names the scenario relative to the folder it was run from
    run = runner.invoke(app, ["run", "scenarios/majority-51-49.yaml", "--strategy", "average-reward",
                              "--out", str(tmp_path), "--json"])
    assert run.exit_code == 0, run.output
    path = Path(json.loads(run.output)["trace"])
    trace = read_trace(path)
    assert trace.header.scenario_path == "scenarios/majority-51-49.yaml" and trace.evaluation is not None
    result = runner.invoke(app, ["score", str(path), "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row.pop("trace") == str(path)
    assert row == trace.evaluation.evaluation  # the evaluation written at run time, bit for bit
    assert row["label"] == "outvoted"


def test_human_output_is_a_table() -> None:
    paths = [str(TRACES / "07-outvoted.jsonl"), str(TRACES / "03-persuaded-by-opening-speaker.jsonl")]
    result = runner.invoke(app, ["score", *paths], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "outvoted" in result.output and "persuaded" in result.output and "ai-wins" in result.output


def test_changed_scenario_is_refused(tmp_path: Path) -> None:
    trace = copy_fixture(tmp_path, "09-consensus.jsonl")
    scenario = tmp_path / "planted.yaml"
    scenario.write_text(scenario.read_text().replace("reservation: 4", "reservation: 5"))
    result = runner.invoke(app, ["score", str(trace), "--json"])
    refused(result, str(trace), "planted.yaml", "changed since the run")
    assert result.stdout == ""


def test_one_rescorer_notices_a_scenario_that_changes_between_traces(tmp_path: Path) -> None:
    """The Rescorer reuses a parsed scenario only while the file's bytes are unchanged."""
    trace = copy_fixture(tmp_path, "09-consensus.jsonl")
    rescorer = Rescorer()
    assert rescorer.score(trace)[1].label == "consensus"
    assert rescorer.score(trace)[1].label == "consensus"
    scenario = tmp_path / "planted.yaml"
    scenario.write_text(scenario.read_text().replace("reservation: 4", "reservation: 5"))
    with pytest.raises(RescoreError, match="changed since the run"):
        rescorer.score(trace)
    scenario.write_text("name: planted\nspace: {issues: []}\n")
    with pytest.raises(RescoreError, match="no longer loads"):
        rescorer.score(trace)


def test_a_comment_is_not_a_change(tmp_path: Path) -> None:
    trace = copy_fixture(tmp_path, "09-consensus.jsonl")
    scenario = tmp_path / "planted.yaml"
    scenario.write_text("# edited comment\n" + scenario.read_text())
    result = runner.invoke(app, ["score", str(trace), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["label"] == "consensus"


def test_missing_scenario_is_refused_but_the_others_are_scored(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lonely = copy_fixture(tmp_path, "09-consensus.jsonl", scenario=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["score", "--json", str(TRACES / "13-settled-static.jsonl"), str(lonely)])
    refused(result, str(lonely), "'planted.yaml' not found")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["label"] for row in rows] == ["settled"]


def test_scenario_that_no_longer_loads_is_refused(tmp_path: Path) -> None:
    trace = copy_fixture(tmp_path, "09-consensus.jsonl")
    (tmp_path / "planted.yaml").write_text("name: planted\nspace: {issues: []}\n")
    refused(runner.invoke(app, ["score", str(trace)]), str(trace), "no longer loads")


def test_trace_without_scenario_path_is_refused(tmp_path: Path) -> None:
    trace = tmp_path / "anonymous.jsonl"
    text = (TRACES / "09-consensus.jsonl").read_text()
    trace.write_text(text.replace('"scenario_path":"planted.yaml"', '"scenario_path":""'))
    refused(runner.invoke(app, ["score", str(trace)]), str(trace), "names no scenario file")


def test_unreadable_and_absent_traces_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n{}\n")
    refused(runner.invoke(app, ["score", str(garbage)]), str(garbage), "not a trace event")
    absent = tmp_path / "absent.jsonl"
    refused(runner.invoke(app, ["score", str(absent)]), str(absent), "no such trace file")
    header_only = tmp_path / "header-only.jsonl"
    header_only.write_text((TRACES / "09-consensus.jsonl").read_text().splitlines()[0] + "\n")
    refused(runner.invoke(app, ["score", str(header_only)]), "expected a header and an opening event")


def test_trace_that_does_not_fit_its_scenario_is_refused(tmp_path: Path) -> None:
    trace = copy_fixture(tmp_path, "09-consensus.jsonl")
    text = trace.read_text().replace('"view":{"X":"x1","Y":"y1"}', '"view":{"X":"x9","Y":"y1"}', 1)
    trace.write_text(text)
    refused(runner.invoke(app, ["score", str(trace)]), str(trace), "does not replay", "x9")


def test_score_trace_api(tmp_path: Path) -> None:
    trace, evaluation = score_trace(TRACES / "11-reconciled.jsonl", cwd=tmp_path)
    assert trace.header.scenario_name == "planted" and isinstance(evaluation, Evaluation)
    assert evaluation.label == "reconciled" and "influence" in evaluation.metrics


def test_metrics_command_lists_every_metric_with_its_definition() -> None:
    result = runner.invoke(app, ["metrics"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    registry = load_metrics()
    for name, spec in registry.items():
        assert name in result.output
        assert spec.definition[:40] in result.output, name
    assert set(CORE_FIELDS) <= set(registry)
