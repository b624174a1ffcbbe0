"""The fair dialectical policy (issue 13, item 5): reconciled with low max-min regret on the shipped discrete
games, from public information only; and the learned models' score estimate it aims with. The 100-seed
figures on all four scenarios: eval/fair_dialectical.py (eval/results/fair_dialectical.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from dialectic.strategies.rational._learner import AcceptanceModel
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("scenario", ["harbour-sport-park", "island-airport"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reconciled_and_fair_on_the_discrete_games(scenario: str, seed: int, tmp_path: Path) -> None:
    fair = run_dialogue(SCENARIOS / f"{scenario}.yaml", "dialectical-fair", seed=seed, out=tmp_path).evaluation
    plain = run_dialogue(SCENARIOS / f"{scenario}.yaml", "dialectical", seed=seed, out=tmp_path).evaluation
    assert fair is not None and plain is not None
    assert fair.label == "reconciled" and fair.maxmin_regret <= 0.05 + 1e-9
    assert plain.label == "reconciled" and fair.maxmin_regret < plain.maxmin_regret  # what the change buys


def test_the_learned_score_puts_the_known_best_at_one_and_follows_the_true_utility() -> None:
    """A group's stated best scores exactly 1 whatever the data; after the group's honest stances on 120 random
    outcomes, the expected score ranks outcomes much as its true utility does (harbour, every group)."""
    game = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    space = game.space
    rng = np.random.default_rng(0)
    for group in game.group_ids:
        utility = game.utilities[group]
        best = utility.best()
        model = AcceptanceModel(space, best)
        sample = rng.choice(space.size, size=120, replace=False)
        model.update({space.at(int(k)): bool(utility.acceptable[k]) for k in sample})
        assert model.score(np.array([best]))[0] == pytest.approx(1.0, abs=1e-9)
        estimate, truth = model.score(space.outcomes), utility.values
        rank = np.argsort(np.argsort(estimate)), np.argsort(np.argsort(truth))
        assert np.corrcoef(*rank)[0, 1] > 0.85, group  # 0.91 to 0.99 here
