"""`settlement_pareto_dominated` (dialectic.oracles.is_pareto_dominated) against brute force: every
outcome of every shipped scenario as the settlement, against all pairs of columns of the utility
matrix; and hundreds of seeded random small games against the plain-Python reference."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from dialectic.evaluate import Context, compute_metrics
from dialectic.evaluate._solved import dominance
from dialectic.game import Game
from dialectic.scenario import load_scenario
from dialectic.space import Outcome
from dialectic.trace import Trace
from tests.conftest import SCENARIOS
from tests.evaluate.evaluate_reference import Reference
from tests.evaluate.evaluate_support import Dialogue, make_game, random_spec, settling

RANDOM_GAMES = 300


def enumerable_scenarios() -> list[Path]:
    """Shipped scenarios on discrete spaces or statement pools whose rewards are in the file (a
    served reward needs a running backend)."""
    chosen = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = load_scenario(path)
        if scenario.space.kind in ("discrete", "statements") and all(
            g.reward.kind != "served" for g in scenario.groups
        ):
            chosen.append(path)
    return chosen


def settled_on(game: Game, settlement: Outcome) -> Trace:
    """A trace that settles on `settlement`: tabled at turn 1, accepted until it passes (consistent
    with its replay, so the evaluator's settlement is this one)."""
    return settling(game, settlement)


def pareto_metric(game: Game, settlement: Outcome) -> dict | None:
    value = compute_metrics(Context(game, settled_on(game, settlement)), ["settlement_pareto_dominated"])
    return value["settlement_pareto_dominated"]


def brute_dominators(utilities: np.ndarray, x: int) -> np.ndarray:
    """Columns y with u(y) >= u(x) for every group (1e-12) and > for one (1e-9), by all pairs."""
    column = utilities[:, [x]]
    weakly = (utilities >= column - 1e-12).all(axis=0)
    strictly = (utilities > column + 1e-9).any(axis=0)
    return np.flatnonzero(weakly & strictly)


@pytest.mark.parametrize("path", enumerable_scenarios(), ids=lambda p: p.stem)
def test_every_outcome_of_a_shipped_game_against_all_pairs(path: Path) -> None:
    game = Game(load_scenario(path))
    utilities = game.utility_matrix
    dominated = 0
    for x in range(utilities.shape[1]):
        settlement = game.space.at(x)
        result = dominance(game, settlement)
        better = brute_dominators(utilities, x)
        assert result.info["dominated"] == (better.size > 0), (path.stem, x)
        if better.size:
            dominated += 1
            gains = utilities[:, better].sum(axis=0) - utilities[:, x].sum()
            assert result.outcome is not None and game.space.index(result.outcome) in better.tolist()
            assert result.value == pytest.approx(gains.max(), abs=1e-12)
        else:
            assert result.outcome is None and result.value == 0.0
    # Both answers must occur, or the comparison proves little.
    assert 0 < dominated < utilities.shape[1], path.stem


def test_the_metric_on_a_shipped_game_names_the_dominating_outcome() -> None:
    game = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    x = next(k for k in range(game.space.size) if brute_dominators(game.utility_matrix, k).size)
    report = pareto_metric(game, game.space.at(x))
    assert report is not None and report["dominated"] and report["status"] == "exact"
    by = game.space.parse(report["by"])
    assert report["utilities"] == {g: game.utilities[g](by) for g in game.group_ids}
    assert all(game.utilities[g](by) >= game.utilities[g](game.space.at(x)) for g in game.group_ids)


def test_no_settlement_no_dominance_report() -> None:
    game = Game(load_scenario(SCENARIOS / "majority-51-49.yaml"))
    views = {g: game.space.names(game.opening_view(g)) for g in game.group_ids}
    trace = Dialogue(game, game.opening.speaker, None, views).end(None)
    assert compute_metrics(Context(game, trace), ["settlement_pareto_dominated"]) == {
        "settlement_pareto_dominated": None
    }


def test_random_small_games_against_the_plain_reference() -> None:
    seen = {"dominated": 0, "not dominated": 0}
    for seed in range(RANDOM_GAMES):
        rng = random.Random(5000 + seed)
        spec = random_spec(rng)
        ref, game = Reference(spec), make_game(spec)
        for x in rng.sample(ref.outcomes, min(3, len(ref.outcomes))):
            report = pareto_metric(game, x)
            assert report is not None
            dominators = ref.dominators(x)
            assert report["dominated"] == bool(dominators), (seed, x)
            seen["dominated" if dominators else "not dominated"] += 1
            if dominators:
                best = max(ref.total_gain(y, x) for y in dominators)
                by = ref.parse(report["by"])
                assert by in dominators and ref.total_gain(by, x) == pytest.approx(best, abs=1e-12), (seed, x)
                assert report["utilities"] == pytest.approx({g: ref.u[g][by] for g in ref.groups}, abs=1e-12)
                # The improvement with the largest total gain is itself Pareto optimal.
                assert not ref.dominators(by), (seed, x)
            else:
                assert report["by"] is None and report["total_gain"] == 0.0
        # The utilitarian optimum over honestly passing outcomes is never dominated (positive shares,
        # and whatever dominates a passing outcome passes too).
        best_outcome = ref.utilitarian_optimum()[1]
        if best_outcome is not None:
            assert not ref.dominators(best_outcome), seed
            assert not dominance(game, best_outcome).info["dominated"], seed
    assert min(seen.values()) >= 100, seen
