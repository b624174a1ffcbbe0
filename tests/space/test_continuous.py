"""Continuous spaces: the lattice the dialogue moves on, the distance D, the exact normalisation of
linear and quadratic rewards over the continuous domain, and whole runs on the shipped budget split
that `dialectic score` re-scores identically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog
from typer.testing import CliRunner

from dialectic import oracles
from dialectic.cli import app
from dialectic.game import Game
from dialectic.scenario import Scenario, load_scenario
from dialectic.space import ContinuousSpace
from dialectic.space._polytope import Domain
from dialectic.trace import read_trace
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()
BUDGET = SCENARIOS / "budget-split.yaml"


def space_of(total: float | None, steps: tuple[float, ...] = (0.1, 0.1, 0.1),
             highs: tuple[float, ...] = (1, 1, 1)) -> ContinuousSpace:
    issues = [{"id": f"i{k}", "low": 0, "high": h, "step": s} for k, (s, h) in enumerate(zip(steps, highs, strict=True))]
    spec = {"kind": "continuous", "issues": issues, **({} if total is None else {"total": total})}
    scenario = Scenario.model_validate({
        "name": "s", "space": spec,
        "groups": [
            {"id": "a", "share": 0.5, "reward": {"kind": "linear", "weights": {"i0": 1, "i1": 2}}, "reservation": 0},
            {"id": "b", "share": 0.5, "reward": {"kind": "linear", "weights": {"i1": -1}}, "reservation": -1},
        ],
    })
    space = Game(scenario).space
    assert isinstance(space, ContinuousSpace)
    return space


@pytest.mark.parametrize("total", [None, 1.0, 2.0])
def test_the_lattice(total: float | None) -> None:
    space = space_of(total, highs=(1, 1, 1.5), steps=(0.1, 0.1, 0.1))
    outcomes = space.outcomes
    assert len(outcomes) == space.size == space.lattice_spec.size()
    assert len({tuple(row) for row in outcomes.tolist()}) == space.size
    assert [tuple(r) for r in outcomes.tolist()] == sorted(tuple(r) for r in outcomes.tolist())  # first issue slowest
    if total is not None:
        assert np.allclose(space.points.sum(axis=1), total, atol=1e-12)
    for k in range(0, space.size, 7):
        outcome = space.at(k)
        assert space.index(outcome) == k and space.is_valid(outcome)
        named = space.names(outcome)
        assert space.parse(named) == outcome
        assert space.parse({i: float(v) for i, v in named.items()}) == outcome  # numbers, as a scenario writes them
    assert np.array_equal(space.index_many(outcomes[::5]), np.arange(0, space.size, 5))


def test_parse_refuses_points_off_the_lattice() -> None:
    space = space_of(1.0)
    with pytest.raises(ValueError, match="lattice"):
        space.parse({"i0": 0.55, "i1": 0.25, "i2": 0.2})
    with pytest.raises(ValueError, match="summing to 1"):
        space.parse({"i0": 0.5, "i1": 0.5, "i2": 0.5})
    with pytest.raises(ValueError, match="missing"):
        space.parse({"i0": 0.5, "i1": 0.5})
    assert not space.is_valid((5, 5, 5)) and space.is_valid((5, 5, 0))
    assert space.names((5, 3, 2)) == {"i0": "0.5", "i1": "0.3", "i2": "0.2"}  # not 0.30000000000000004


@pytest.mark.parametrize("total", [None, 1.0])
def test_distance(total: float | None) -> None:
    space = space_of(total, steps=(0.25, 0.25, 0.25))
    n = space.size
    matrix = np.array([space.distances_to(space.at(k)) for k in range(n)])
    assert np.all(matrix >= 0) and np.all(matrix <= 1) and np.allclose(matrix, matrix.T)
    assert np.allclose(np.diag(matrix), 0)
    assert matrix.max() == pytest.approx(1.0)  # the diameter is attained: every vertex is a lattice point
    a, b = space.at(1), space.at(n - 2)
    expected = np.linalg.norm(space.values(a) - space.values(b)) / space.diameter
    assert space.distance(a, b) == pytest.approx(expected) == pytest.approx(matrix[1, n - 2])


def test_diameter_is_the_largest_distance_in_the_domain() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 6))
        low = rng.uniform(-1, 0.5, n)
        high = low + rng.uniform(0.1, 2, n)
        total = float(rng.uniform(low.sum(), high.sum()))
        domain = Domain(low, high, total)
        v = domain.vertices
        assert np.allclose(v.sum(axis=1), total) and np.all(v >= low - 1e-12) and np.all(v <= high + 1e-12)
        pairwise = np.sqrt(((v[:, None] - v[None]) ** 2).sum(axis=2)).max()
        assert domain.diameter == pytest.approx(pairwise)
        samples = _simplex_samples(domain, rng, 4000)
        assert np.sqrt(((samples[:500, None] - samples[None, 500:]) ** 2).sum(axis=2)).max() <= domain.diameter + 1e-9
    assert Domain(np.zeros(3), np.ones(3)).diameter == pytest.approx(np.sqrt(3))
    assert Domain(np.zeros(3), np.ones(3), 1.0).diameter == pytest.approx(np.sqrt(2))


def _simplex_samples(domain: Domain, rng: np.random.Generator, count: int) -> np.ndarray:
    """Random points of the domain: convex combinations of its vertices."""
    weights = rng.dirichlet(np.ones(len(domain.vertices)) * 0.3, size=count)
    return weights @ domain.vertices


def test_normalisation_is_exact_over_the_continuous_domain() -> None:
    rng = np.random.default_rng(1)
    for trial in range(30):
        n = int(rng.integers(2, 5))
        low = np.round(rng.uniform(-1, 0.5, n), 1)
        high = low + np.round(rng.uniform(0.2, 2, n), 1)
        total = None if trial % 3 == 0 else float(np.round(rng.uniform(low.sum(), high.sum()), 1))
        domain = Domain(low, high, total)
        c = rng.normal(size=n)
        eq = {} if total is None else {"A_eq": np.ones((1, n)), "b_eq": [total]}
        for sign in (1, -1):
            res = linprog(-sign * c, bounds=list(zip(low, high, strict=True)), method="highs", **eq)
            assert res.status == 0
            exact = domain.linear_max(c)[0] if sign == 1 else domain.linear_min(c)[0]
            assert exact == pytest.approx(-sign * res.fun, abs=1e-9)
        w, a = rng.uniform(0.1, 3, n), rng.uniform(low, high)
        b, q = 2 * w * a, w
        top, at_top = domain.quadratic_max(b, q)
        bottom, _ = domain.quadratic_min(b, q)
        samples = _simplex_samples(domain, rng, 20000) if total is not None else rng.uniform(low, high, (20000, n))
        sampled = samples @ b - (samples * samples) @ q
        assert sampled.max() <= top + 1e-9 and sampled.min() >= bottom - 1e-9
        assert domain.contains(at_top)
        # the sampled extremes come within the samples' coverage of the exact ones
        spread = top - bottom + 1e-9
        assert top - sampled.max() < 0.05 * spread and sampled.min() - bottom < 0.2 * spread
        v = domain.vertices
        assert bottom == pytest.approx((v @ b - (v * v) @ q).min())


def test_utilities_span_the_continuous_range_and_work_off_the_lattice() -> None:
    game = Game(load_scenario(BUDGET))
    for utility in game.utilities.values():
        assert utility.values.min() >= -1e-12 and utility.values.max() <= 1 + 1e-12
        low, high = utility.model.reward_range()  # type: ignore[attr-defined]
        assert (utility.low, utility.high) == (low, high)
        assert utility.high == pytest.approx(0.0)  # every ideal split sums to 1: the best reward is 0
    tenants = game.utilities["tenants"]
    opening = game.opening.proposal
    shifted = (opening[0] + 1, *opening[1:])  # one share moved: off the total, as a template utterance builds
    assert not game.space.is_valid(shifted)
    point = game.space.values(shifted)
    expected = (tenants.model.score_points(point)[0] - tenants.low) / (tenants.high - tenants.low)  # type: ignore[attr-defined]
    assert tenants(shifted) == pytest.approx(expected)


@pytest.mark.parametrize("strategy", ["dialectical", "conceder", "max-min"])
def test_runs_on_the_budget_split_rescore_identically(strategy: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    run = runner.invoke(app, ["run", "scenarios/budget-split.yaml", "--strategy", strategy, "--out", str(tmp_path),
                              "--json"])
    assert run.exit_code == 0, run.output
    path = Path(json.loads(run.output)["trace"])
    trace = read_trace(path)
    assert trace.evaluation is not None
    scored = runner.invoke(app, ["score", str(path), "--json"])
    assert scored.exit_code == 0, scored.output
    row = json.loads(scored.output)
    row.pop("trace")
    assert row == trace.evaluation.evaluation
    assert row["label"] in ("reconciled", "settled", "consensus")
    assert row["metrics"]["maxmin_oracle_status"]["status"] == "exact"
    game = Game(load_scenario(BUDGET))
    continuous = oracles.maxmin_oracle(game)
    lattice = oracles.maxmin_oracle(game, method="enumeration")
    assert row["maxmin_oracle"] == pytest.approx(continuous.value)
    assert row["worst_case_welfare"] <= lattice.value + 1e-12  # no lattice point beats the lattice max-min
    if strategy == "max-min":  # reaches the lattice max-min: its regret is the lattice's discretisation alone
        assert row["worst_case_welfare"] == pytest.approx(lattice.value)
        assert row["maxmin_regret"] == pytest.approx(continuous.value - lattice.value)
        assert 0 < row["maxmin_regret"] < 0.03
