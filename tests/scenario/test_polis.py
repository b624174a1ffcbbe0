"""Statement pools from real Polis votes: the importer, the reward-profile distance, runs on them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import ScenarioError, load_scenario
from dialectic.scenario.importers import import_polis, polis_yaml
from tests.conftest import SCENARIOS

SHIPPED = {"polis-brexit-consensus": "brexit-consensus", "polis-15-per-hour-seattle": "15-per-hour-seattle"}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_pool_equals_a_fresh_import(name: str, shared_data: Path) -> None:
    fresh = import_polis(shared_data / "polis" / SHIPPED[name], name=name)
    assert polis_yaml(fresh) == (SCENARIOS / f"{name}.yaml").read_text()


def test_scores_are_each_groups_mean_vote(shared_data: Path) -> None:
    folder = shared_data / "polis" / "15-per-hour-seattle"
    scenario = load_scenario(SCENARIOS / "polis-15-per-hour-seattle.yaml")
    with (folder / "participants-votes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for group in scenario.groups:
        polis_id = group.id.removeprefix("group-")
        members = [r for r in rows if r["group-id"] == polis_id]
        assert group.share == pytest.approx(len(members) / sum(1 for r in rows if r["group-id"]), abs=1e-5)
        for statement in scenario.space.statements[:6]:  # type: ignore[union-attr]
            votes = [int(r[statement.id[1:]]) for r in members if r[statement.id[1:]] != ""]
            assert group.reward.scores[statement.id] == pytest.approx(sum(votes) / len(votes), abs=1e-6)  # type: ignore[union-attr]
        scores = sorted(group.reward.scores.values())  # type: ignore[union-attr]
        assert group.reservation == pytest.approx(float(np.quantile(scores, 0.5)), abs=1e-6)


def test_evaluator_distance_is_the_reward_profile_distance() -> None:
    game = Game(load_scenario(SCENARIOS / "polis-15-per-hour-seattle.yaml"))
    u = game.utility_matrix
    for a, b in [(0, 1), (3, 17), (5, 5)]:
        expected = float(np.mean(np.abs(np.clip(u[:, a], 0, 1) - np.clip(u[:, b], 0, 1))))
        assert game.measure.distance((a,), (b,)) == pytest.approx(expected)
    assert game.measure.distances_to((2,))[2] == 0.0


def test_agents_space_measures_by_text_alone() -> None:
    """The space an agent is handed measures with the public lexical distance (word-set Jaccard), worked
    here by hand from the statements' words; it is not the evaluator's reward-profile distance."""
    game = Game(load_scenario(SCENARIOS / "polis-brexit-consensus.yaml"))
    space = game.space
    ids = list(space.options[0])
    leave, remain = (ids.index("c0"),), (ids.index("c1"),)
    # {i, voted, to, leave} vs {i, voted, to, remain}: 3 words shared of 5.
    assert space.distance(leave, remain) == pytest.approx(1 - 3 / 5)
    assert game.measure.distance(leave, remain) > 0.9
    assert not hasattr(space, "_profile") and not hasattr(space, "set_profiles")


def test_runs_on_a_statement_pool_give_the_expected_labels(tmp_path: Path) -> None:
    path = SCENARIOS / "polis-15-per-hour-seattle.yaml"
    labels = {s: run_dialogue(path, s, out=tmp_path).evaluation.label  # type: ignore[union-attr]
              for s in ("max-min", "capitulator", "hardliner")}
    assert labels == {"max-min": "settled", "capitulator": "false_agreement", "hardliner": "impasse"}


def test_cli_import_and_a_folder_without_votes(tmp_path: Path, shared_data: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "pool.yaml"
    ok = runner.invoke(app, ["import", "polis", str(shared_data / "polis" / "brexit-consensus"), "-o", str(out),
                             "--statements", "10"])
    assert ok.exit_code == 0, ok.output
    assert len(load_scenario(out).space.statements) == 10  # type: ignore[union-attr]
    (tmp_path / "empty").mkdir()
    bad = runner.invoke(app, ["import", "polis", str(tmp_path / "empty"), "-o", str(out)])
    assert bad.exit_code == 2 and "comments.csv" in bad.output
    with pytest.raises(ScenarioError, match="at least two opinion groups|comments seen"):
        import_polis(shared_data / "polis" / "london.youth.policing")
