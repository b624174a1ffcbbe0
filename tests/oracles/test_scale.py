"""Oracles at scale: certified answers on 10^12-outcome spaces, the published figures of the real
base game by every method, certified bounds under a time budget, enumeration over many blocks
against a naive dense computation, and the dispatcher's choices and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialectic.game import Game
from dialectic.oracles import (
    OracleProblem,
    Rule,
    _enumerate,
    choose_method,
    is_pareto_dominated,
    kalai_smorodinsky,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    pareto_frontier,
    utilitarian_optimum,
)
from dialectic.scenario import Scenario, load_scenario
from tests.oracles.brute import single_peaked_points

ROOT = Path(__file__).resolve().parents[2]


def _huge(groups: int, seed: int) -> OracleProblem:
    """12 issues x 10 options (10^12 outcomes), single-peaked seeded points, a quorum with a veto."""
    rng = np.random.default_rng(seed)
    points = single_peaked_points(rng, groups, 12, 10)
    low, high = points.min(axis=2).sum(axis=1), points.max(axis=2).sum(axis=1)
    reservations = low + rng.uniform(0.3, 0.6, groups) * (high - low)
    rule = Rule("quorum", min_accept=int(0.7 * groups), vetoes=(0,))
    return OracleProblem.additive(points, reservations, rule=rule)


def _locally_optimal(problem: OracleProblem, outcome: tuple[int, ...], value: float, rule: bool) -> bool:
    """No change of a single issue's option gives a better worst-off group (passing, if `rule`)."""
    for issue, options in enumerate(problem.radix):
        for k in range(options):
            other = list(outcome)
            other[issue] = k
            u = problem.utilities(tuple(other))
            if u.min() > value + 1e-12 and (not rule or problem.passes_outcome(tuple(other))):
                return False
    return True


@pytest.mark.parametrize("groups", [20])
def test_milp_certifies_exact_maxmin_on_1e12_outcomes(groups: int) -> None:
    problem = _huge(groups, seed=1)
    assert problem.size == 10**12
    for oracle, rule in ((maxmin_unconstrained, False), (maxmin_oracle, True)):
        milp = oracle(problem, method="milp", time_budget=60)
        assert milp.status == "exact" and milp.method == "milp", milp
        assert milp.gap == 0.0 and milp.bound == milp.value
        assert milp.outcome is not None
        u = problem.utilities(milp.outcome)
        assert float(u.min()) == milp.value  # the reported value is the outcome's, recomputed
        assert milp.utilities == tuple(u.tolist())
        if rule:
            assert problem.passes_outcome(milp.outcome) and milp.value > problem.no_deal_value
        assert _locally_optimal(problem, milp.outcome, milp.value, rule)
        # an independent exact method agrees
        bnb = oracle(problem, method="bnb", time_budget=60)
        assert bnb.status == "exact"
        assert bnb.value == pytest.approx(milp.value, abs=1e-9)
        # auto picks branch and bound for a space this size
        assert oracle(problem, time_budget=60).method == "bnb"


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "harbour-sport-park.yaml")


@pytest.mark.parametrize("method", ["enumeration", "milp", "bnb"])
def test_published_figures_of_the_base_game(base: Scenario, method: str) -> None:
    problem = OracleProblem.from_scenario(base)
    unconstrained = maxmin_unconstrained(problem, method=method)
    oracle = maxmin_oracle(problem, method=method)
    assert unconstrained.status == oracle.status == "exact"
    assert round(unconstrained.value, 2) == 0.55
    assert round(oracle.value, 2) == 0.51
    # The 0.55 deal falls below the Department of Tourism's threshold, and the Department holds a veto.
    dot = problem.group_ids.index("DoT")
    assert problem.utilities(unconstrained.outcome)[dot] < problem.reservations[dot]
    assert problem.passes_outcome(oracle.outcome)


def test_from_game_gives_the_evaluators_figures(base: Scenario) -> None:
    game = Game(base)
    problem = OracleProblem.from_game(game)
    result = maxmin_oracle(game)
    assert round(result.value, 2) == 0.51
    assert bool(game.honest_pass[game.space.index(result.outcome)])
    assert np.array_equal(problem.matrix, game.utility_matrix)
    assert problem.points is not None  # additive: the solvers apply too
    assert maxmin_oracle(problem, method="milp").value == pytest.approx(result.value, abs=1e-9)


def _hard(seed: int = 7) -> OracleProblem:
    """30 groups, 8 issues x 5 options of unstructured points (390625 outcomes). Measured on 2 cores:
    ~10 ms to enumerate, ~0.5 s and ~550 nodes for the MILP, ~50 ms and ~13000 nodes for branch and
    bound."""
    rng = np.random.default_rng(seed)
    groups = 30
    points = rng.integers(0, 101, size=(groups, 8, 5)).astype(float)
    low, high = points.min(axis=2).sum(axis=1), points.max(axis=2).sum(axis=1)
    reservations = low + rng.uniform(0.2, 0.5, groups) * (high - low)
    return OracleProblem.additive(points, reservations, rule=Rule("quorum", min_accept=20, vetoes=(1,)))


def _certified_bound(result, problem: OracleProblem, truth: float, floor: float) -> None:
    """A timed-out solve: the best outcome found, with a certified upper bound and its gap."""
    assert result.status == "bound", result
    assert result.value <= truth + 1e-12
    assert result.bound >= truth - 1e-9 and result.bound >= result.value
    assert result.gap == pytest.approx(result.bound - result.value, abs=1e-12) and result.gap > 0
    if result.outcome is None:  # nothing found in the time: the value is the floor
        assert result.value == floor and result.utilities is None
    else:
        assert float(problem.utilities(result.outcome).min()) == result.value
        assert result.utilities == tuple(problem.utilities(result.outcome).tolist())


@pytest.mark.parametrize("oracle", [maxmin_oracle, maxmin_unconstrained])
def test_a_time_budget_gives_a_certified_bound(oracle) -> None:
    problem = _hard()
    truth = oracle(problem, method="enumeration").value
    floor = problem.no_deal_value if oracle is maxmin_oracle else -1.0
    # Branch and bound with no time: its deadline has passed once the root LP and the local search are
    # done, so the search never starts (deterministic on any machine); the open root is the bound.
    bnb = oracle(problem, method="bnb", time_budget=0.0)
    _certified_bound(bnb, problem, truth, floor)
    assert bnb.method == "bnb" and bnb.info["nodes"] == 0 and bnb.outcome is not None
    # The MILP with no time gets HiGHS's least time limit (10 ms), far from the ~0.5 s it needs.
    milp = oracle(problem, method="milp", time_budget=0.0)
    _certified_bound(milp, problem, truth, floor)
    assert milp.method == "milp"
    # With time, both close the gap.
    for method in ("milp", "bnb"):
        exact = oracle(problem, method=method, time_budget=60)
        assert exact.status == "exact" and exact.gap == 0.0 and exact.bound == exact.value, exact
        assert exact.value == pytest.approx(truth, abs=1e-9)
        assert float(problem.utilities(exact.outcome).min()) == exact.value


@pytest.mark.parametrize(("columns", "rule"), [
    (97, Rule("unanimous")),
    (1000, Rule("quorum", min_accept=9, vetoes=(2,))),
    (1 << 16, Rule("majority", threshold=0.55, vetoes=(0, 5))),
    (1 << 16, Rule("quorum", min_accept=4)),
])
def test_enumeration_over_many_blocks_matches_a_dense_computation(monkeypatch, columns: int, rule: Rule) -> None:
    monkeypatch.setattr(_enumerate, "BLOCK_COLUMNS", columns)
    rng = np.random.default_rng(columns)
    groups, radix = 12, (10, 9, 8, 10, 12)
    points = [rng.integers(0, 30, size=(groups, r)).astype(float) for r in radix]
    low = sum(p.min(axis=1) for p in points)
    high = sum(p.max(axis=1) for p in points)
    reservations = low + rng.uniform(0.2, 0.55, groups) * (high - low)
    problem = OracleProblem.additive(points, reservations, rule=rule, shares=rng.dirichlet(np.ones(groups)))
    # naive: every outcome as a row (first issue slowest), utilities as one dense matrix
    grid = np.indices(radix).reshape(len(radix), -1).T
    u = sum((p[:, grid[:, i]] - p.min(axis=1)[:, None]) for i, p in enumerate(points)) / (high - low)[:, None]
    rho = (reservations - low) / (high - low)
    accepts = u >= rho[:, None] - 1e-12
    passing = rule.passes(accepts, problem.shares)
    worst = u.min(axis=0)
    every = accepts.all(axis=0)
    assert maxmin_unconstrained(problem, method="enumeration").value == pytest.approx(worst.max(), abs=1e-12)
    # every case has passing outcomes and outcomes every group accepts (one where every group gains)
    assert passing.any() and every.any()
    expected = max(rho.min(), worst[passing].max())
    assert maxmin_oracle(problem, method="enumeration").value == pytest.approx(expected, abs=1e-12)
    welfare = problem.shares @ u
    result = utilitarian_optimum(problem, method="enumeration")
    assert result.value == pytest.approx(welfare[passing].max(), abs=1e-12)
    assert result.outcome == tuple(grid[np.flatnonzero(passing)[np.argmax(welfare[passing])]].tolist())
    gains = u[:, every] - rho[:, None]
    logs = np.where(gains.min(axis=0) > 0, np.log(np.clip(gains, 1e-300, None)).sum(axis=0), -np.inf)
    nash = nash_optimum(problem, method="enumeration")
    assert np.isfinite(logs.max())
    assert nash.info["log_value"] == pytest.approx(logs.max(), abs=1e-9)
    ideal = u[:, every].max(axis=1)
    rows = ideal - rho > 1e-12
    ks = ((u[rows][:, every] - rho[rows, None]) / (ideal[rows] - rho[rows])[:, None]).min(axis=0).max()
    assert kalai_smorodinsky(problem, method="enumeration").value == pytest.approx(ks, abs=1e-12)
    # Pareto dominance of a random settlement and the frontier of two groups
    x = int(rng.integers(problem.size))
    ref = u[:, x]
    dominated = ((u >= ref[:, None] - 1e-12).all(axis=0) & (u > ref[:, None] + 1e-9).any(axis=0)).any()
    assert is_pareto_dominated(problem, tuple(grid[x].tolist()), method="enumeration").info["dominated"] == dominated
    # the 2-D skyline: for each value of the first group, the best of the second; keep a point when
    # its second value beats every point with a larger first value
    first, second = np.round(u[3], 9), np.round(u[7], 9)
    levels = np.unique(first)[::-1]
    best_second = np.array([second[first == level].max() for level in levels])
    above = np.concatenate([[-np.inf], np.maximum.accumulate(best_second)[:-1]])
    expected_front = {(a, b) for a, b, c in zip(levels, best_second, above) if b > c}
    front = pareto_frontier(problem, [3, 7], method="enumeration")
    assert {tuple(np.round(p.utilities, 9)) for p in front.points} == expected_front


def test_dispatcher_choices_and_errors(base: Scenario) -> None:
    small = OracleProblem.from_scenario(base)
    huge = _huge(5, seed=0)
    assert choose_method(small, "maxmin") == "enumeration"
    assert choose_method(huge, "maxmin") == "bnb"
    assert choose_method(huge, "kalai_smorodinsky") == "bnb"
    assert choose_method(huge, "utilitarian") == "milp"
    assert choose_method(huge, "nash") == "milp"
    with pytest.raises(ValueError, match="bnb"):
        choose_method(huge, "utilitarian", "bnb")
    with pytest.raises(ValueError, match="unknown objective"):
        choose_method(huge, "egalitarian")
    with pytest.raises(ValueError, match="too large to enumerate"):
        choose_method(OracleProblem.additive(np.ones((2, 14, 10)) * np.arange(10), [0, 0]), "maxmin", "enumeration")
    with pytest.raises(ValueError, match="3-group frontier"):
        pareto_frontier(huge, [0, 1, 2])
    with pytest.raises(ValueError, match="2 or 3 distinct groups"):
        pareto_frontier(huge, [0, 1, 2, 3])
    # table rewards: a dense problem refuses the solvers, and a huge table space is refused up front
    spec = {
        "name": "table-huge",
        "space": {"issues": [{"id": f"I{i}", "options": [f"o{k}" for k in range(10)]} for i in range(12)]},
        "groups": [
            {"id": g, "share": 0.5, "reservation": 0.0, "reward": {
                "kind": "table", "default": 0.0,
                "entries": [{"outcome": {f"I{i}": "o1" for i in range(12)}, "reward": 1.0}]}}
            for g in ("a", "b")
        ],
    }
    with pytest.raises(ValueError, match=r"\[.table.\] rewards over a space of 1e"):
        OracleProblem.from_scenario(Scenario.model_validate(spec))
    spec["space"]["issues"] = spec["space"]["issues"][:3]
    for group in spec["groups"]:
        group["reward"]["entries"][0]["outcome"] = {f"I{i}": "o1" for i in range(3)}
    dense = OracleProblem.from_scenario(Scenario.model_validate(spec))
    assert dense.points is None and dense.matrix is not None
    with pytest.raises(ValueError, match="additive"):
        maxmin_oracle(dense, method="milp")
    assert maxmin_oracle(dense).method == "enumeration"


def test_auto_falls_back_to_enumeration_when_branch_and_bound_does_not_settle(monkeypatch) -> None:
    from dialectic.oracles import _solve

    rng = np.random.default_rng(7)
    groups = 30
    points = rng.integers(0, 101, size=(groups, 8, 5)).astype(float)
    low, high = points.min(axis=2).sum(axis=1), points.max(axis=2).sum(axis=1)
    problem = OracleProblem.additive(points, low + 0.3 * (high - low), rule=Rule("quorum", min_accept=20))
    truth = maxmin_oracle(problem, method="enumeration").value
    monkeypatch.setattr(_solve, "ENUMERATION_CELLS", 1000)  # "auto" no longer enumerates outright
    # Enumeration estimated at ~10 ns: branch and bound gets half of that, cannot finish, and
    # enumeration settles it.
    monkeypatch.setattr(_solve, "ENUMERATION_RATE", 1e15)
    result = maxmin_oracle(problem, time_budget=5.0)
    assert result.status == "exact" and result.value == pytest.approx(truth, abs=1e-12)
    assert result.method == "enumeration" and result.info["bnb_first"]["gap"] > 0
    # Enumeration estimated at ~2 minutes: branch and bound gets a minute, settles it, and is the answer.
    monkeypatch.setattr(_solve, "ENUMERATION_RATE", 1e5)
    result = maxmin_oracle(problem, time_budget=300.0)
    assert result.status == "exact" and result.value == pytest.approx(truth, abs=1e-12)
    assert result.method == "bnb" and "bnb_first" not in result.info


def test_without_a_reported_dual_bound_the_lp_relaxation_bounds_the_milp(monkeypatch) -> None:
    from dialectic.oracles import _highs

    run = _highs.Model._run
    relaxations = []

    def without_dual(self, integrality, time_limit):
        if not np.any(integrality):
            relaxations.append(time_limit)
        result = run(self, integrality, time_limit)
        result["mip_dual_bound"] = None
        return result

    monkeypatch.setattr(_highs.Model, "_run", without_dual)
    rng = np.random.default_rng(7)
    points = rng.integers(0, 101, size=(30, 8, 5)).astype(float)
    problem = OracleProblem.additive(points, np.zeros(30))
    truth = maxmin_unconstrained(problem, method="enumeration").value
    result = maxmin_unconstrained(problem, method="milp", time_budget=0.0)  # HiGHS's least limit, 10 ms
    assert result.status == "bound", result
    assert relaxations, "the LP relaxation was solved for the bound"
    assert result.value <= truth + 1e-12 <= result.bound + 2e-12
    assert np.isfinite(result.bound) and result.gap == pytest.approx(result.bound - result.value, abs=1e-12)
    exact = maxmin_unconstrained(problem, method="milp", time_budget=60)  # optimal: no relaxation needed
    assert exact.status == "exact" and exact.value == pytest.approx(truth, abs=1e-9)
