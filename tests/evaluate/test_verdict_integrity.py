"""The evaluator trusts no number it cannot use, and `dialectic score` finds a trace's scenario from any
folder: the absolute path recorded at run time first, then the path the run was given (from here, from the
trace's folder and above), or `--scenario FILE`; a file whose content hash differs is refused, clearly."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from dialectic.cli import app
from dialectic.evaluate import evaluate, score_trace
from dialectic.game import Game
from dialectic.scenario import load_scenario
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
runner = CliRunner()


def refused(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# --- the evaluator refuses non-finite utilities ---------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_evaluator_refuses_a_non_finite_utility(bad: float) -> None:
    game = Game(load_scenario(TRACES / "planted.yaml"))
    trace = read_trace(TRACES / "09-consensus.jsonl")
    assert evaluate(game, trace).label == "consensus"
    game.utilities["b"].values = np.where(np.arange(9) == 4, bad, game.utilities["b"].values)
    with pytest.raises(ValueError, match=r"group 'b': expected a finite utility .* found (nan|inf|-inf)"):
        evaluate(game, trace)


def test_evaluator_refuses_a_non_finite_reservation() -> None:
    game = Game(load_scenario(TRACES / "planted.yaml"))
    game.utilities["c"].reservation = math.nan
    with pytest.raises(ValueError, match="group 'c': expected a finite reservation, found nan"):
        evaluate(game, read_trace(TRACES / "09-consensus.jsonl"))


# --- score finds the scenario from any folder ------------------------------------------------------------

@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A project folder with scenarios/x.yaml, run from that folder (relative path), trace under runs/."""
    root = tmp_path / "project"
    (root / "scenarios").mkdir(parents=True)
    shutil.copy(SCENARIOS / "majority-51-49.yaml", root / "scenarios" / "majority-51-49.yaml")
    monkeypatch.chdir(root)
    run = runner.invoke(app, ["run", "scenarios/majority-51-49.yaml", "--strategy", "average-reward",
                              "--out", "runs", "--json"])
    assert run.exit_code == 0, run.output
    trace = root / json.loads(run.output)["trace"]
    assert trace.parent == root / "runs"
    return root, trace


def test_the_header_records_the_absolute_path_and_the_content_hash(project: tuple[Path, Path]) -> None:
    root, trace = project
    header = read_trace(trace).header
    assert header.scenario_path == "scenarios/majority-51-49.yaml"
    assert header.scenario_file == str((root / "scenarios" / "majority-51-49.yaml").resolve())
    assert Path(header.scenario_file).is_absolute() and len(header.scenario_hash) == 64


def test_score_from_the_root_folder(project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _, trace = project
    monkeypatch.chdir("/")
    result = runner.invoke(app, ["score", str(trace), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["label"] == read_trace(trace).evaluation.evaluation["label"]


def test_a_trace_without_the_absolute_path_is_found_above_its_folder(
        project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A trace written before the absolute path was recorded: its relative path is resolved from the
    trace's folder and the folders above it (runs/ sits in the folder the run was made from)."""
    _, trace = project
    text = trace.read_text()
    header = json.loads(text.splitlines()[0])
    del header["scenario_file"]
    trace.write_text(json.dumps(header, separators=(",", ":")) + "\n" + text.split("\n", 1)[1])
    assert read_trace(trace).header.scenario_file == ""
    monkeypatch.chdir("/")
    result = runner.invoke(app, ["score", str(trace), "--json"])
    assert result.exit_code == 0, result.output


def test_the_scenario_option(project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, trace = project
    moved = tmp_path / "elsewhere.yaml"
    shutil.move(root / "scenarios" / "majority-51-49.yaml", moved)
    monkeypatch.chdir("/")
    refused(runner.invoke(app, ["score", str(trace)]), str(trace), "not found", "--scenario FILE")
    result = runner.invoke(app, ["score", str(trace), "--scenario", str(moved), "--json"])
    assert result.exit_code == 0, result.output
    assert score_trace(trace, scenario=moved)[1].label == json.loads(result.output)["label"]

    changed = tmp_path / "changed.yaml"
    changed.write_text(moved.read_text().replace("reservation: 40", "reservation: 41"))
    refused(runner.invoke(app, ["score", str(trace), "--scenario", str(changed)]),
            str(trace), str(changed), "is not the scenario this run used", "content hash")
    refused(runner.invoke(app, ["score", str(trace), "--scenario", str(tmp_path / "nope.yaml")]),
            "nope.yaml", "no such file")


def test_a_changed_file_is_refused_with_both_hashes_and_the_way_out(project: tuple[Path, Path]) -> None:
    root, trace = project
    scenario = root / "scenarios" / "majority-51-49.yaml"
    scenario.write_text(scenario.read_text().replace("reservation: 40", "reservation: 41"))
    expected = read_trace(trace).header.scenario_hash[:12]
    result = runner.invoke(app, ["score", str(trace)])
    refused(result, str(trace), str(scenario), "changed since the run", expected, "--scenario FILE")


def test_a_matching_copy_is_used_when_the_recorded_file_changed(project: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The first candidate whose content hash matches is used: the recorded absolute path changed, the copy
    the relative path finds from the current folder did not."""
    root, trace = project
    keep = root / "copy"
    (keep / "scenarios").mkdir(parents=True)
    scenario = root / "scenarios" / "majority-51-49.yaml"
    shutil.copy(scenario, keep / "scenarios" / scenario.name)
    scenario.write_text(scenario.read_text().replace("reservation: 40", "reservation: 41"))
    monkeypatch.chdir(keep)
    assert runner.invoke(app, ["score", str(trace), "--json"]).exit_code == 0


# --- unknown trace versions ------------------------------------------------------------------------------

def test_score_refuses_an_unknown_trace_version(tmp_path: Path) -> None:
    trace = tmp_path / "future.jsonl"
    trace.write_text((TRACES / "09-consensus.jsonl").read_text().replace('"v":1', '"v":99', 1))
    refused(runner.invoke(app, ["score", str(trace)]), f"{trace}:1", "v=99", "reads version(s) 1")
