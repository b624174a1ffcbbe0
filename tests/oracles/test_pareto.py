"""Pareto frontiers of two and three groups against the brute force on random small scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from dialectic.oracles import OracleProblem, pareto_frontier
from dialectic.scenario import Scenario
from tests.oracles.brute import Brute, random_spec


@pytest.mark.parametrize("seed", range(4000, 4080))
def test_frontier_matches_brute_force(seed: int) -> None:
    spec = random_spec(seed)
    problem = OracleProblem.from_scenario(Scenario.model_validate(spec))
    brute = Brute.from_spec(spec)
    rng = np.random.default_rng(seed)
    size = 2 if problem.n_groups == 2 else int(rng.choice([2, 3]))
    rows = [int(r) for r in rng.choice(problem.n_groups, size=size, replace=False)]
    front = pareto_frontier(problem, [problem.group_ids[r] for r in rows])
    assert front.status == "exact" and front.method == "enumeration"
    assert front.groups == tuple(problem.group_ids[r] for r in rows)
    got = [tuple(round(v, 9) for v in p.utilities) for p in front.points]
    assert len(got) == len(set(got))
    assert set(got) == brute.frontier(rows)
    assert [p[0] for p in got] == sorted((p[0] for p in got), reverse=True)
    for point in front.points:  # each point's outcome has exactly those utilities
        u = problem.utilities(point.outcome)[rows]
        assert tuple(u) == pytest.approx(point.utilities, abs=1e-12)


def test_frontier_of_two_groups_with_opposed_interests() -> None:
    # one issue, three options: a prefers 0, b prefers 2, option 1 is worse for both than a mix
    problem = OracleProblem.additive([np.array([[10.0, 4.0, 0.0], [0.0, 4.0, 10.0]])], [0.0, 0.0])
    front = pareto_frontier(problem)
    assert [p.utilities for p in front.points] == [(1.0, 0.0), (0.4, 0.4), (0.0, 1.0)]
    assert [p.outcome for p in front.points] == [(0,), (1,), (2,)]
    problem = OracleProblem.additive([np.array([[10.0, 4.0, 0.0], [0.0, 4.0, 10.0]]),
                                      np.array([[0.0, 1.0], [0.0, 1.0]])], [0.0, 0.0])
    assert len(pareto_frontier(problem)) == 3  # option 1 of the second issue is better for both
    assert all(p.outcome[1] == 1 for p in pareto_frontier(problem).points)
