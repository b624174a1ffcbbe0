"""Rewards over continuous spaces: `linear` and `quadratic` (ideal point and per-issue weights).

Both are separable concave quadratics of the real point, r(x) = b.x - q.(x*x) + constant (linear:
q = 0; quadratic: r = -sum_i w_i (x_i - a_i)^2, so b = 2 w a, q = w, constant = -sum_i w_i a_i^2).
They score lattice outcomes through the space's real points, and give GroupUtility their exact
range over the continuous domain (`reward_range`), so u_g is normalised "over the space" as DESIGN.md
defines it, not over the lattice: the maximum is closed-form (greedy filling for a linear reward,
water-filling for a quadratic one), the minimum of a concave function is at a vertex of the domain
(enumerated). dialectic/space/_polytope.py has the geometry; the tests check it against HiGHS and
dense sampling.
"""

from __future__ import annotations

import numpy as np

from dialectic.rewards._protocol import reward
from dialectic.scenario import LinearReward, QuadraticReward
from dialectic.space import ContinuousSpace, DiscreteSpace
from dialectic.space._lattice import quadratic_terms


class SeparableRewardModel:
    """r(x) = b.x - q.(x*x) + constant of the real point x (q >= 0: concave)."""

    def __init__(self, space: ContinuousSpace, b: np.ndarray, q: np.ndarray, constant: float):
        self.space = space
        self.b = np.asarray(b, dtype=np.float64)
        self.q = np.asarray(q, dtype=np.float64)
        self.constant = float(constant)

    @property
    def is_linear(self) -> bool:
        return not np.any(self.q > 0)

    def score_points(self, points: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(points, dtype=np.float64))
        return x @ self.b - (x * x) @ self.q + self.constant

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        return self.score_points(self.space.points_of(outcomes))

    def reward_range(self) -> tuple[float, float]:
        """(min, max) of r over the continuous domain, exactly."""
        domain = self.space.domain
        return (domain.quadratic_min(self.b, self.q)[0] + self.constant,
                domain.quadratic_max(self.b, self.q)[0] + self.constant)


def _continuous(space: DiscreteSpace, kind: str) -> ContinuousSpace:
    if not isinstance(space, ContinuousSpace):
        raise TypeError(f"a {kind!r} reward needs a continuous space")
    return space


@reward("linear")
def linear(spec: LinearReward, space: DiscreteSpace) -> SeparableRewardModel:
    space = _continuous(space, "linear")
    b = np.array([spec.weights.get(i, 0.0) for i in space.issue_ids])
    return SeparableRewardModel(space, b, np.zeros_like(b), spec.constant)


@reward("quadratic")
def quadratic(spec: QuadraticReward, space: DiscreteSpace) -> SeparableRewardModel:
    space = _continuous(space, "quadratic")
    b, q, constant = quadratic_terms(space.lattice_spec, spec)
    return SeparableRewardModel(space, b, q, constant)
