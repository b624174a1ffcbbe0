"""The MILP (HiGHS) and branch-and-bound oracles match enumeration wherever both run, on hundreds of
seeded random additive scenarios with every rule, and certify their answers ("exact")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dialectic.oracles import (
    OracleProblem,
    Rule,
    is_pareto_dominated,
    kalai_smorodinsky,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    pareto_frontier,
    utilitarian_optimum,
)
from dialectic.scenario import Scenario
from tests.oracles.brute import random_spec

SEEDS = range(1000, 1150)


def _problem(seed: int, **kwargs: object) -> OracleProblem:
    return OracleProblem.from_scenario(Scenario.model_validate(random_spec(seed, table=False, **kwargs)))


def _check(result, reference, problem: OracleProblem, tol: float = 1e-6) -> None:
    assert result.status == "exact", result
    assert result.gap == 0 and result.bound == result.value
    assert result.value == pytest.approx(reference.value, abs=tol)
    assert (result.outcome is None) == (reference.outcome is None)
    if result.outcome is not None:
        assert result.utilities == pytest.approx(tuple(problem.utilities(result.outcome)), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_maxmin_and_utilitarian_solvers_match_enumeration(seed: int) -> None:
    problem = _problem(seed)
    for method in ("milp", "bnb"):
        for oracle in (maxmin_oracle, maxmin_unconstrained):
            result = oracle(problem, method=method, time_budget=30)
            assert result.method == method
            _check(result, oracle(problem, method="enumeration"), problem)
            if result.outcome is not None:
                u = problem.utilities(result.outcome)
                assert float(u.min()) == pytest.approx(result.value, abs=1e-12)  # recomputed value
                if oracle is maxmin_oracle:
                    assert problem.passes_outcome(result.outcome)
    result = utilitarian_optimum(problem, method="milp", time_budget=30)
    _check(result, utilitarian_optimum(problem, method="enumeration"), problem)
    if result.outcome is not None:
        assert problem.passes_outcome(result.outcome)


@pytest.mark.parametrize("seed", range(2000, 2050))
def test_nash_ks_and_dominance_solvers_match_enumeration(seed: int) -> None:
    problem = _problem(seed, groups=int(np.random.default_rng(seed).choice([2, 3, 4, 6, 12])))
    reference = nash_optimum(problem, method="enumeration")
    result = nash_optimum(problem, method="milp", time_budget=30)
    assert result.status == "exact", result
    assert (result.outcome is None) == (reference.outcome is None)
    if reference.value > 0:
        assert math.log(result.value) == pytest.approx(math.log(reference.value), abs=1e-6)
    else:
        assert result.value == 0.0
    reference = kalai_smorodinsky(problem, method="enumeration")
    for method in ("milp", "bnb"):
        result = kalai_smorodinsky(problem, method=method, time_budget=30)
        _check(result, reference, problem)
        if result.outcome is not None:
            assert problem.accepts(problem.utilities(result.outcome)).all()
    rng = np.random.default_rng(seed)
    for settlement in [problem.outcome_at(int(rng.integers(problem.size))) for _ in range(3)] + [None]:
        expected = is_pareto_dominated(problem, settlement, method="enumeration")
        result = is_pareto_dominated(problem, settlement, method="milp", time_budget=30)
        assert result.status == "exact"
        assert result.info["dominated"] == expected.info["dominated"]
        assert result.value == pytest.approx(expected.value, abs=1e-6)


@pytest.mark.parametrize("seed", range(3000, 3020))
def test_milp_frontier_matches_enumeration(seed: int) -> None:
    problem = _problem(seed, groups=int(np.random.default_rng(seed).choice([2, 3, 5])))
    expected = pareto_frontier(problem, [0, 1], method="enumeration")
    result = pareto_frontier(problem, [0, 1], method="milp", time_budget=30)
    assert result.status == "exact"
    assert np.allclose([p.utilities for p in result.points], [p.utilities for p in expected.points], atol=1e-9)
    for point in result.points:
        assert tuple(problem.utilities(point.outcome)[[0, 1]]) == pytest.approx(point.utilities, abs=1e-12)


def _medium(seed: int) -> OracleProblem:
    """6-8 issues of 3-6 options (up to 10^5 outcomes): deep enough trees for the solvers' pools,
    learnt multipliers and batches; uniform or single-peaked points; every rule, vetoes."""
    from tests.oracles.brute import single_peaked_points

    rng = np.random.default_rng(seed)
    groups = int(rng.choice([3, 8, 20]))
    radix = [int(r) for r in rng.integers(3, 7, size=int(rng.integers(6, 9)))]
    while np.prod(radix) > 100_000:
        radix.pop()
    if rng.random() < 0.5:
        points = [rng.integers(0, 50, size=(groups, r)).astype(float) for r in radix]
    else:
        width = max(radix)
        full = single_peaked_points(rng, groups, len(radix), width)
        points = [full[:, i, :r] + rng.integers(0, 3, size=(groups, r)) for i, r in enumerate(radix)]
    low = sum(p.min(axis=1) for p in points)
    high = sum(p.max(axis=1) for p in points)
    reservations = low + rng.uniform(0.1, 0.6, groups) * (high - low)
    kind = str(rng.choice(["unanimous", "quorum", "majority"]))
    vetoes = tuple(int(v) for v in rng.choice(groups, size=int(rng.integers(0, 3)), replace=False))
    rule = Rule(kind, min_accept=int(rng.integers(1, groups + 1)), threshold=float(rng.uniform(0.3, 0.8)),
                vetoes=vetoes)
    return OracleProblem.additive(points, reservations, rule=rule, shares=rng.dirichlet(np.ones(groups)))


@pytest.mark.parametrize("seed", range(5000, 5016))
def test_solvers_match_enumeration_on_deeper_trees(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from dialectic.oracles import _bnb

    if seed % 3 == 0:  # a tiny pool and batches: eviction and many stack entries
        monkeypatch.setattr(_bnb, "POOL_MAX", 3)
        monkeypatch.setattr(_bnb, "BATCH_CELLS", 5000)
    problem = _medium(seed)
    for oracle in (maxmin_oracle, maxmin_unconstrained, kalai_smorodinsky):
        expected = oracle(problem, method="enumeration")
        result = oracle(problem, method="bnb", time_budget=60)
        _check(result, expected, problem, tol=1e-9)
    if seed % 5 == 0:
        expected = maxmin_oracle(problem, method="enumeration")
        _check(maxmin_oracle(problem, method="milp", time_budget=60), expected, problem)
        expected = utilitarian_optimum(problem, method="enumeration")
        _check(utilitarian_optimum(problem, method="milp", time_budget=60), expected, problem)
