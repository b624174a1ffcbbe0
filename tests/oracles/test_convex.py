"""Continuous oracles (convex programmes) against a fine grid search on 2- and 3-issue spaces.

The grid (step 0.005, or 0.01 for a 3-issue box) is searched by brute force, with utilities computed
here from the reward formulas, not by the library. Every oracle must be at least the grid's best
(minus 1e-9: the grid's points are points of the domain) and at most a relaxed grid search plus the
Lipschitz bound L * r (L bounds every group's utility gradient, r is the grid's covering radius): the
continuous optimum x* has a grid point within r, where every utility is within L * r of its value at
x*, so that point passes the relaxed rule (reservations lowered by L * r) and scores within L * r.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dialectic import oracles
from dialectic.game import Game
from dialectic.scenario import Scenario

RULES = ("unanimous", "quorum", "majority")


def scenario(seed: int, kind: str, n_issues: int, total: bool, rule: str, n_groups: int = 3) -> Scenario:
    rng = np.random.default_rng(seed)
    ids = [f"i{k}" for k in range(n_issues)]
    grid = grid_points(n_issues, total, 0.01)
    groups = []
    shares = rng.dirichlet(np.ones(n_groups))
    shares = np.round(shares / shares.sum(), 6)
    shares[-1] = round(1 - shares[:-1].sum(), 6)
    for g in range(n_groups):
        if kind == "linear":
            reward = {"kind": "linear", "weights": {i: float(w) for i, w in zip(ids, rng.normal(size=n_issues))}}
        else:
            reward = {"kind": "quadratic", "ideal": {i: float(a) for i, a in zip(ids, rng.uniform(0, 1, n_issues))},
                      "weights": {i: float(w) for i, w in zip(ids, rng.uniform(0.2, 3, n_issues))}}
        values = rewards(reward, ids, grid)
        groups.append({"id": f"g{g}", "share": float(shares[g]), "reward": reward,
                       "reservation": float(np.quantile(values, rng.uniform(0.3, 0.8)))})
    agreement = {"rule": rule}
    if rule == "quorum":
        agreement["min_accept"] = n_groups - 1
    return Scenario.model_validate({
        "name": f"convex-{seed}",
        "space": {"kind": "continuous", "issues": [{"id": i, "low": 0, "high": 1, "step": 0.05} for i in ids],
                  **({"total": 1} if total else {})},
        "groups": groups, "agreement": agreement,
    })


def grid_points(n: int, total: bool, step: float) -> np.ndarray:
    ticks = round(1 / step)
    if not total:
        axes = np.meshgrid(*[np.arange(ticks + 1)] * n, indexing="ij")
        return np.stack([a.ravel() for a in axes], axis=1) * step
    heads = np.array([k for k in itertools.product(range(ticks + 1), repeat=n - 1) if sum(k) <= ticks])
    return np.column_stack([heads, ticks - heads.sum(axis=1)]) * step


def rewards(reward: dict, ids: list[str], x: np.ndarray) -> np.ndarray:
    if reward["kind"] == "linear":
        return x @ np.array([reward["weights"].get(i, 0.0) for i in ids]) + reward.get("constant", 0.0)
    w = np.array([reward["weights"].get(i, 0.0) for i in ids])
    a = np.array([reward["ideal"].get(i, 0.0) for i in ids])
    return -((x - a) ** 2) @ w


class Truth:
    """Brute force on the grid, written from DESIGN.md's definitions."""

    def __init__(self, s: Scenario, problem: oracles.ContinuousProblem, step: float):
        ids = [i.id for i in s.space.issues]
        total = s.space.total is not None
        self.x = grid_points(len(ids), total, step)
        span = problem.high - problem.low
        self.u = np.stack([(rewards(g.reward.model_dump(), ids, self.x) - lo) / sp
                           for g, lo, sp in zip(s.groups, problem.low, span, strict=True)])
        self.rho = problem.reservations
        self.shares = problem.shares
        self.agreement = s.agreement
        self.n = len(ids)
        slopes = []
        for g, sp in zip(s.groups, span, strict=True):
            r = g.reward.model_dump()
            if r["kind"] == "linear":
                grad = np.array([r["weights"].get(i, 0.0) for i in ids])
            else:
                w = np.array([r["weights"].get(i, 0.0) for i in ids])
                a = np.array([r["ideal"].get(i, 0.0) for i in ids])
                grad = 2 * w * np.maximum(a, 1 - a)
            slopes.append(float(np.linalg.norm(grad)) / sp)
        self.lipschitz = max(slopes)
        self.radius = step * math.sqrt(self.n) * (1.0 if total else 0.5)
        self.slack = self.lipschitz * self.radius

    def passes(self, accepts: np.ndarray) -> np.ndarray:
        rule = self.agreement
        if rule.rule == "unanimous":
            return accepts.all(axis=0)
        if rule.rule == "quorum":
            return accepts.sum(axis=0) >= rule.min_accept
        return self.shares @ accepts > rule.majority_threshold + 1e-12

    def honest(self, relax: float = 0.0) -> np.ndarray:
        return self.u >= self.rho[:, None] - 1e-12 - relax


def best(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].max()) if mask.any() else -math.inf


CASES = [(seed, kind, n, total, rule) for seed in range(3) for kind in ("linear", "quadratic")
         for n, total in ((2, False), (3, True), (2, True)) for rule in RULES]
CASES += [(7, "quadratic", 3, False, "unanimous"), (8, "quadratic", 3, False, "quorum"), (9, "linear", 3, False, "majority")]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: "-".join(map(str, c)))
def case(request: pytest.FixtureRequest) -> tuple[Scenario, oracles.ContinuousProblem, Truth]:
    seed, kind, n, total, rule = request.param
    s = scenario(seed, kind, n, total, rule)
    problem = oracles.as_problem(s)
    assert isinstance(problem, oracles.ContinuousProblem)
    step = 0.01 if (n == 3 and not total) else 0.005
    return s, problem, Truth(s, problem, step)


def certified(result: oracles.OracleResult, problem: oracles.ContinuousProblem) -> None:
    assert result.status == "exact" and result.gap <= 1e-7 and result.method == "convex"
    if result.point is not None:
        x = np.array(result.point)
        assert problem.domain.contains(x, 1e-9)
        assert np.allclose(result.utilities, problem.utilities_at(x), atol=1e-12)
        assert result.outcome is not None and problem.lattice.is_valid(result.outcome)


def test_maxmin_unconstrained(case: tuple) -> None:
    _, problem, truth = case
    result = oracles.maxmin_unconstrained(problem)
    certified(result, problem)
    grid = float(truth.u.min(axis=0).max())
    assert grid - 1e-9 <= result.value <= grid + truth.slack + 1e-9
    assert result.value == pytest.approx(min(result.utilities), abs=1e-12)


def test_maxmin_oracle(case: tuple) -> None:
    _, problem, truth = case
    result = oracles.maxmin_oracle(problem)
    certified(result, problem)
    worst = truth.u.min(axis=0)
    no_deal = float(truth.rho.min())
    grid = max(best(worst, truth.passes(truth.honest())), no_deal)
    relaxed = max(best(worst + truth.slack, truth.passes(truth.honest(truth.slack))), no_deal)
    assert grid - 1e-9 <= result.value <= relaxed + 1e-9
    if result.point is not None:  # a deal: it passes the rule honestly and beats no deal
        u = problem.utilities_at(result.point)
        assert truth.passes((u >= truth.rho - 1e-12)[:, None])[0]
        assert result.value == pytest.approx(u.min(), abs=1e-12) and result.value > no_deal


def test_utilitarian_optimum(case: tuple) -> None:
    _, problem, truth = case
    result = oracles.utilitarian_optimum(problem)
    certified(result, problem)
    welfare = truth.shares @ truth.u
    grid = best(welfare, truth.passes(truth.honest()))
    relaxed = best(welfare + truth.slack, truth.passes(truth.honest(truth.slack)))
    if result.point is None:
        assert grid == -math.inf and result.value == pytest.approx(float(truth.shares @ truth.rho))
    else:
        assert grid - 1e-9 <= result.value <= relaxed + 1e-9


def test_nash_optimum(case: tuple) -> None:
    _, problem, truth = case
    result = oracles.nash_optimum(problem)
    certified(result, problem)
    gains = truth.u - truth.rho[:, None]
    grid = best(np.prod(np.maximum(gains, 0), axis=0), truth.honest().all(axis=0))
    upper = float(np.prod(np.maximum(gains + truth.slack, 0), axis=0).max())
    assert max(grid, 0.0) - 1e-9 <= result.value <= upper + 1e-9
    if result.point is not None:
        assert np.all(problem.utilities_at(result.point) >= truth.rho - 1e-12)


def test_kalai_smorodinsky(case: tuple) -> None:
    _, problem, truth = case
    result = oracles.kalai_smorodinsky(problem)
    certified(result, problem)
    acceptable, relaxed = truth.honest().all(axis=0), truth.honest(truth.slack).all(axis=0)
    if result.point is None:
        assert not acceptable.any()
        return
    ideal = np.array(result.info["ideal"])
    for g in range(len(ideal)):
        assert best(truth.u[g], acceptable) - 1e-9 <= ideal[g] <= best(truth.u[g], relaxed) + truth.slack + 1e-9
    rows = ideal - truth.rho > 1e-12
    scale = 1 / (ideal[rows] - truth.rho[rows])
    ratio = ((truth.u[rows] - truth.rho[rows, None]) * scale[:, None]).min(axis=0)
    loose = ((truth.u[rows] + truth.slack - truth.rho[rows, None]) * scale[:, None]).min(axis=0)
    assert best(ratio, acceptable) - 1e-7 <= result.value <= best(loose, relaxed) + 1e-7


def test_pareto_dominance_of_lattice_points(case: tuple) -> None:
    _, problem, truth = case
    rng = np.random.default_rng(len(truth.x))
    lattice = problem.lattice
    for flat in rng.choice(lattice.size, size=3, replace=False):
        outcome = lattice.at(int(flat))
        reference = problem.utilities(outcome)
        result = oracles.is_pareto_dominated(problem, outcome)
        certified(result, problem)
        gain = truth.u.sum(axis=0) - reference.sum()
        grid = best(gain, (truth.u >= reference[:, None]).all(axis=0))
        if grid > 1e-6 + 1e-9:
            assert result.info["dominated"] and result.value >= grid - 1e-9
        if result.info["dominated"]:
            u = problem.utilities_at(result.point)
            assert np.all(u >= reference - 1e-14) and u.sum() - reference.sum() == pytest.approx(result.value, abs=1e-9)
            loose = best(gain + len(reference) * truth.slack, (truth.u >= reference[:, None] - truth.slack).all(axis=0))
            assert result.value <= loose + 1e-9
        else:
            assert result.value == 0.0 and result.point is None


def test_enumeration_is_the_lattice_brute_force() -> None:
    s = scenario(3, "quadratic", 3, True, "quorum", n_groups=4)
    game = Game(s)
    u, rho = game.utility_matrix, game.reservations
    passing = (u >= rho[:, None] - 1e-12).sum(axis=0) >= 3
    worst = np.where(passing, u.min(axis=0), -np.inf)
    result = oracles.maxmin_oracle(game, method="enumeration")
    expected = max(float(worst.max()), float(rho.min()))
    assert result.value == expected and result.method == "enumeration"
    assert result.outcome is not None and result.value > rho.min()  # this case has a deal
    assert result.outcome == game.space.at(int(np.argmax(worst)))
    assert result.point == tuple(game.space.values(result.outcome).tolist())
    assert oracles.maxmin_oracle(game).value >= result.value - 1e-12  # the continuous optimum is at least it


def test_continuous_problem_from_game_equals_from_scenario() -> None:
    s = scenario(4, "quadratic", 3, True, "majority")
    a, b = oracles.as_problem(Game(s)), oracles.as_problem(s)
    assert isinstance(a, oracles.ContinuousProblem) and isinstance(b, oracles.ContinuousProblem)
    for name in ("b", "q", "c", "reservations", "low", "high"):
        assert np.allclose(getattr(a, name), getattr(b, name), atol=1e-12), name
    assert oracles.maxmin_oracle(a).value == pytest.approx(oracles.maxmin_oracle(b).value, abs=1e-9)


def test_pareto_frontier_sample_is_nondominated() -> None:
    s = scenario(5, "quadratic", 3, True, "unanimous")
    frontier = oracles.pareto_frontier(s, ["g0", "g1"], max_points=40)
    assert frontier.method == "convex" and frontier.status == "bound" and len(frontier) >= 2
    vectors = np.array([p.utilities for p in frontier.points])
    for v in vectors:
        assert not np.any(np.all(vectors >= v - 1e-12, axis=1) & np.any(vectors > v + 1e-12, axis=1))
    assert list(vectors[:, 0]) == sorted(vectors[:, 0], reverse=True)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="convex"):
        oracles.maxmin_oracle(scenario(6, "linear", 2, False, "unanimous"), method="milp")
