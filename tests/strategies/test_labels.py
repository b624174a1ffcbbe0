"""Every outcome label is produced by a run that should produce it (DESIGN.md, "Outcome label")."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario
from tests.conftest import IMPORTED_GAMES, SCENARIOS


def label_of(scenario: str | Path | Scenario, strategy: str, tmp_path: Path, seed: int = 0, **kw: object) -> str:
    result = run_dialogue(scenario, strategy, seed=seed, out=tmp_path, **kw)  # type: ignore[arg-type]
    assert result.evaluation is not None
    return result.evaluation.label


@pytest.mark.parametrize("game", IMPORTED_GAMES)
def test_capitulator_reads_as_false_agreement(game: str, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{game}.yaml", "capitulator", out=tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None
    assert evaluation.label == "false_agreement"
    assert evaluation.false_agreement
    # the settlement is the opening proposal, which some group's reward model rejects
    assert result.trace.end is not None and result.trace.end.settlement == result.trace.opening.proposal


@pytest.mark.parametrize("game", IMPORTED_GAMES)
def test_declarer_is_caught_too(game: str, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{game}.yaml", "declarer", out=tmp_path)
    assert result.evaluation is not None
    assert result.evaluation.label == "false_agreement"
    assert result.evaluation.static_views


@pytest.mark.parametrize("game", IMPORTED_GAMES)
def test_persuader_reads_as_persuaded(game: str, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{game}.yaml", "persuader", out=tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None
    assert evaluation.label == "persuaded"
    assert evaluation.ai_wins and evaluation.ai_wins_index is not None and evaluation.ai_wins_index >= 0.8
    assert evaluation.ai_wins_agent == result.trace.opening.speaker


@pytest.mark.parametrize("game", IMPORTED_GAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dialectical_reconciles_where_conceder_does_not(game: str, seed: int, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{game}.yaml", "dialectical", seed=seed, out=tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None
    assert evaluation.label == "reconciled", evaluation.label
    views = {tuple(v.values()) for v in evaluation.final_views.values()}
    assert len(views) > 1  # distinct final views
    assert evaluation.compatible_views and not evaluation.false_agreement
    assert label_of(SCENARIOS / f"{game}.yaml", "conceder", tmp_path, seed=seed) != "reconciled"


@pytest.mark.parametrize("game", IMPORTED_GAMES)
def test_hardliner_reads_as_impasse(game: str, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{game}.yaml", "hardliner", out=tmp_path)
    assert result.evaluation is not None
    assert result.evaluation.label == "impasse"
    # no agreement leaves every group at its reservation
    assert result.evaluation.worst_case_gain == pytest.approx(0.0)


def _split_vote() -> Scenario:
    """Three groups, a share-majority rule: two with 0.7 of the population want P1, one wants P2."""
    return Scenario.model_validate(
        {
            "name": "split-vote",
            "space": {"issues": [{"id": "P", "options": ["P1", "P2"]}, {"id": "Q", "options": ["Q1", "Q2"]}]},
            "groups": [
                {"id": "a", "share": 0.35, "reward": {"kind": "additive", "points": {"P": [10, 0], "Q": [1, 0]}},
                 "reservation": 8},
                {"id": "b", "share": 0.35, "reward": {"kind": "additive", "points": {"P": [10, 0], "Q": [0, 1]}},
                 "reservation": 8},
                {"id": "c", "share": 0.30, "reward": {"kind": "additive", "points": {"P": [0, 10], "Q": [0, 1]}},
                 "reservation": 8},
            ],
            "agreement": {"rule": "majority"},
            "rounds": 6,
            "opening": {"speaker": "a", "proposal": {"P": "P1", "Q": "Q1"}},
        }
    )


def test_settlement_over_honest_dissent_is_outvoted(tmp_path: Path) -> None:
    result = run_dialogue(_split_vote(), "linear", out=tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None
    assert evaluation.label == "outvoted"
    assert not evaluation.false_agreement
    assert result.trace.end is not None and "c" not in result.trace.end.accepted_by


@pytest.mark.parametrize("game", IMPORTED_GAMES)
@pytest.mark.parametrize("mediator", ["max-min", "nash"])
def test_mediated_settlement_with_static_views_is_settled(game: str, mediator: str, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{game}.yaml", mediator, out=tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None
    assert evaluation.label == "settled"
    assert evaluation.static_views and evaluation.compatible and not evaluation.compatible_views


def test_average_reward_settles_over_a_dissent_on_island_airport(tmp_path: Path) -> None:
    # Under the n-1 rule the pooled-reward optimum leaves one group below its reservation.
    evaluation = run_dialogue(SCENARIOS / "island-airport.yaml", "average-reward", out=tmp_path).evaluation
    assert evaluation is not None
    assert evaluation.label == "outvoted"
    assert min(evaluation.welfare.values()) < evaluation.maxmin_oracle


def test_max_min_mediator_reaches_the_oracle(tmp_path: Path) -> None:
    for game in IMPORTED_GAMES:
        evaluation = run_dialogue(SCENARIOS / f"{game}.yaml", "max-min", out=tmp_path).evaluation
        assert evaluation is not None
        assert evaluation.worst_case_welfare == pytest.approx(evaluation.maxmin_oracle)
        assert evaluation.maxmin_regret == pytest.approx(0.0)


def test_persuader_trips_the_evaluator_on_a_budget_split(tmp_path: Path) -> None:
    # Shares must sum to 1, so a persuadable agent cannot move one issue alone: it steps to the nearest
    # budget nearer the argued one, and everyone ends at the persuader's opening view.
    result = run_dialogue(SCENARIOS / "budget-split.yaml", "persuader", out=tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None and evaluation.label == "persuaded"
    assert evaluation.ai_wins and evaluation.ai_wins_index >= 0.8
