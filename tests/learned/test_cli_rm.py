"""`dialectic rm fit` and `dialectic rm eval` as a user runs them: exit 0 with the model written and the K
curve printed, the JSON evaluation, and exit 2 with one located error line on each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.learned import FittedModel
from dialectic.preferences import sample_comparisons, write_comparisons
from tests.conftest import SCENARIOS

runner = CliRunner()
MAJORITY = SCENARIOS / "majority-51-49.yaml"


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = sample_comparisons(MAJORITY, {"majority": 60, "minority": 12}, 30, 0.1, seed=3)
    return write_comparisons(data, tmp_path_factory.mktemp("rm") / "majority.jsonl")


def _run(*args: str | Path):
    return runner.invoke(app, ["rm", *[str(a) for a in args]])


def test_fit_a_mixture_over_a_k_range_then_evaluate_it(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = _run("fit", data_file, "--scenario", MAJORITY, "--k-range", "1..4", "--restarts", "2", "--names",
                  "group", "-o", out)
    assert result.exit_code == 0, result.output
    assert "K by heldout (chosen: 2)" in result.output
    model = FittedModel.load(out)
    assert model.k == 2 and model.component_names == ["majority", "minority"]
    assert [p.k for p in model.manifest.k_curve] == [1, 2, 3, 4]
    result = _run("eval", out, data_file, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["same_data"] is True and summary["ari"] == pytest.approx(1.0)
    assert {row["group"] for row in summary["groups"]} == {"majority", "minority"}
    table = _run("eval", out, data_file)
    assert table.exit_code == 0 and "worst-off group under the pooled model: minority" in table.output


def test_fit_a_pooled_model_and_a_fixed_k(data_file: Path, tmp_path: Path) -> None:
    result = _run("fit", data_file, "--scenario", MAJORITY, "--kind", "bt", "-o", tmp_path / "bt")
    assert result.exit_code == 0, result.output
    assert FittedModel.load(tmp_path / "bt").manifest.kind == "bt"
    result = _run("fit", data_file, "--scenario", MAJORITY, "-k", "2", "--estep", "soft", "-o", tmp_path / "soft")
    assert result.exit_code == 0, result.output
    manifest = FittedModel.load(tmp_path / "soft").manifest
    assert (manifest.k, manifest.estep, manifest.k_selection) == (2, "soft", "fixed")


def _error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error")]
    assert len(lines) >= 1, result.output
    return " ".join(result.output.split())


def test_bad_inputs_exit_2_with_a_located_error(data_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"annotator": "a", "chosen": "x", "rejected": "y"}\n{"annotator": "b", "chosen": "x"}\n')
    assert f"{bad}:2: rejected: expected this required field" in _error(_run("fit", bad, "-o", tmp_path / "x"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert "at least one comparison" in _error(_run("fit", empty, "-o", tmp_path / "x"))
    grouped = tmp_path / "no-group.jsonl"  # an annotator whose group is the empty string
    grouped.write_text('{"annotator": "a", "chosen": "x", "rejected": "y", "group": ""}\n')
    assert f"{grouped}:1: group" in _error(_run("fit", grouped, "-o", tmp_path / "x"))
    too_many = _error(_run("fit", data_file, "--scenario", MAJORITY, "-k", "500", "-o", tmp_path / "x"))
    assert "-k: expected at most the number of training annotators" in too_many
    too_wide = _error(_run("fit", data_file, "--scenario", MAJORITY, "--k-range", "1..400", "-o", tmp_path / "x"))
    assert "--k-range: expected K at most the number of training annotators" in too_wide
    assert "--features: expected one of minilm, onehot, found 'foo'" in _error(
        _run("fit", data_file, "--scenario", MAJORITY, "--features", "foo", "-o", tmp_path / "x"))
    assert "expected --scenario FILE" in _error(_run("fit", data_file, "--features", "onehot", "-o", tmp_path / "x"))
    other_space = _error(_run("fit", data_file, "--scenario", SCENARIOS / "harbour-sport-park.yaml",
                              "-o", tmp_path / "x"))
    assert f"{data_file}: item 1" in other_space and "expected one option for each issue" in other_space
    assert "--k-range: expected LOW..HIGH" in _error(
        _run("fit", data_file, "--scenario", MAJORITY, "--k-range", "4..2", "-o", tmp_path / "x"))
    assert "--kind bt: expected no -k" in _error(
        _run("fit", data_file, "--scenario", MAJORITY, "--kind", "bt", "-k", "3", "-o", tmp_path / "x"))
    assert "found no such path" in _error(_run("fit", tmp_path / "missing.jsonl", "-o", tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_eval_of_a_directory_that_is_no_model_exits_2(data_file: Path, tmp_path: Path) -> None:
    assert "expected a fitted model directory" in _error(_run("eval", tmp_path / "none", data_file))
    (tmp_path / "half").mkdir()
    assert "manifest.json: expected the model's manifest.json" in _error(_run("eval", tmp_path / "half", data_file))


def test_a_polis_folder_with_a_missing_column_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "polis"
    folder.mkdir()
    (folder / "comments.csv").write_text("comment-id,comment-body\n0,Hello\n")  # no "moderated"
    (folder / "participants-votes.csv").write_text("participant,group-id,0\n1,0,1\n")
    message = _error(_run("fit", folder, "-o", tmp_path / "x"))
    assert f"{folder / 'comments.csv'}" in message and "moderated" in message


def test_eval_on_other_data_scores_every_comparison(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    assert _run("fit", data_file, "--scenario", MAJORITY, "-k", "2", "-o", out).exit_code == 0
    fresh = write_comparisons(sample_comparisons(MAJORITY, {"majority": 30, "minority": 30}, 20, 0.1, seed=9),
                              tmp_path / "fresh.jsonl")
    result = _run("eval", out, fresh, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["same_data"] is False
    # annotators named like the fit's keep their components; the others are assigned on half their comparisons
    assert summary["seen_annotators"] + summary["unseen_annotators"] == 60 and summary["unseen_annotators"] > 0
    assert summary["ari"] >= 0.9
