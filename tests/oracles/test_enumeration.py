"""Enumeration oracles against the independent brute force on hundreds of seeded random scenarios:
additive and table rewards, 2 to 100 groups, every rule, with and without vetoes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dialectic.game import Game
from dialectic.oracles import (
    OracleProblem,
    is_pareto_dominated,
    kalai_smorodinsky,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    utilitarian_optimum,
)
from dialectic.scenario import Scenario
from tests.oracles.brute import Brute, random_spec

SEEDS = range(300)


def _case(seed: int) -> tuple[OracleProblem, Brute]:
    spec = random_spec(seed)
    return OracleProblem.from_scenario(Scenario.model_validate(spec)), Brute.from_spec(spec)


@pytest.mark.parametrize("seed", SEEDS)
def test_enumeration_matches_brute_force(seed: int) -> None:
    problem, brute = _case(seed)
    index = {x: k for k, x in enumerate(brute.outcomes)}

    result = maxmin_unconstrained(problem, method="enumeration")
    assert result.status == "exact" and result.method == "enumeration"
    assert result.value == pytest.approx(brute.maxmin_unconstrained(), abs=1e-9)
    assert min(brute.vector(index[result.outcome])) == pytest.approx(result.value, abs=1e-9)

    result = maxmin_oracle(problem, method="enumeration")
    assert result.value == pytest.approx(brute.maxmin_oracle(), abs=1e-9)
    if result.outcome is None:
        assert result.value == pytest.approx(min(brute.rho), abs=1e-12)
    else:
        x = index[result.outcome]
        assert brute.passes(x)
        assert min(brute.vector(x)) == pytest.approx(result.value, abs=1e-9)
        assert result.value > min(brute.rho)

    result = utilitarian_optimum(problem, method="enumeration")
    expected = brute.utilitarian()
    if expected is None:
        assert result.outcome is None
        assert result.value == pytest.approx(sum(w * r for w, r in zip(brute.shares, brute.rho)), abs=1e-9)
    else:
        assert result.outcome is not None and brute.passes(index[result.outcome])
        assert result.value == pytest.approx(expected, abs=1e-9)

    result = nash_optimum(problem, method="enumeration")
    expected_log = brute.nash_log()
    if expected_log is None:
        assert result.outcome is None and result.value == 0.0
    else:
        assert result.outcome is not None and brute.all_accept(index[result.outcome])
        if expected_log == -math.inf:
            assert result.value == 0.0
        else:
            assert result.info["log_value"] == pytest.approx(expected_log, abs=1e-8)

    result = kalai_smorodinsky(problem, method="enumeration")
    expected = brute.kalai_smorodinsky()
    if expected is None:
        assert result.outcome is None
    else:
        assert result.outcome is not None and brute.all_accept(index[result.outcome])
        assert result.value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(0, 300, 3))
def test_pareto_dominance_matches_brute_force(seed: int) -> None:
    problem, brute = _case(seed)
    rng = np.random.default_rng(seed)
    settlements = [brute.outcomes[int(k)] for k in rng.integers(len(brute.outcomes), size=3)] + [None]
    for settlement in settlements:
        reference = brute.rho if settlement is None else brute.vector(brute.outcomes.index(settlement))
        result = is_pareto_dominated(problem, settlement, method="enumeration")
        assert result.info["dominated"] == brute.dominated(reference)
        if result.outcome is not None:
            better = brute.vector(brute.outcomes.index(result.outcome))
            assert all(b >= r - 1e-12 for b, r in zip(better, reference))
            assert any(b > r + 1e-9 for b, r in zip(better, reference))
            assert not brute.dominated(better)  # the improvement returned is itself Pareto optimal


@pytest.mark.parametrize("seed", range(0, 300, 10))
def test_from_game_agrees_with_from_scenario(seed: int) -> None:
    spec = random_spec(seed)
    scenario = Scenario.model_validate(spec)
    a, b = OracleProblem.from_scenario(scenario), OracleProblem.from_game(Game(scenario))
    assert np.allclose(a.reservations, b.reservations, atol=1e-12)
    for oracle in (maxmin_oracle, maxmin_unconstrained, utilitarian_optimum, kalai_smorodinsky):
        ra, rb = oracle(a), oracle(b)
        assert ra.value == pytest.approx(rb.value, abs=1e-9)


def test_the_generator_covers_every_kind() -> None:
    specs = [random_spec(seed) for seed in SEEDS]
    kinds = {g["reward"]["kind"] for s in specs for g in s["groups"]}
    rules = {s["agreement"]["rule"] for s in specs}
    sizes = {len(s["groups"]) for s in specs}
    assert kinds == {"additive", "table"}
    assert rules == {"unanimous", "quorum", "majority"}
    assert min(sizes) == 2 and max(sizes) == 100
    assert any(g.get("veto") for s in specs for g in s["groups"])
    assert any(s["agreement"]["rule"] == "majority" and any(g.get("veto") for g in s["groups"]) for s in specs)
