"""What an oracle needs to know about a game on a continuous space.

Every group's normalised utility is a separable concave quadratic of the real point x,
u_g(x) = b_g.x - q_g.(x*x) + c_g (q_g >= 0; linear rewards have q_g = 0), normalised over the
continuous domain (the box [low, high], cut by sum(x) = total when the space has one). With the
reservations in the same units, the shares and the rule, that is all the convex oracles
(dialectic/oracles/_convex.py) use; the space's lattice is kept for the nearest lattice point of an
optimum and for enumerating the lattice (method "enumeration").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from dialectic.oracles._problem import Groups, OracleProblem, _frozen, _scenario_rule
from dialectic.rules import Rule, accepts_array
from dialectic.space import ContinuousSpace
from dialectic.space._polytope import Domain

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.game import Game
    from dialectic.scenario import Scenario


@dataclass(frozen=True, eq=False)
class ContinuousProblem(Groups):
    """u_g(x) = b[g].x - q[g].(x*x) + c[g] over `domain`; reservations in the same units."""

    group_ids: tuple[str, ...]
    domain: Domain
    b: np.ndarray
    q: np.ndarray
    c: np.ndarray
    shares: np.ndarray
    reservations: np.ndarray
    rule: Rule = field(default_factory=Rule)
    space: ContinuousSpace | None = None
    #: (groups, lattice points) utilities exactly as the Game has them (else computed from b, q, c)
    lattice_matrix: np.ndarray | None = None
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    issue_ids: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        g, n = len(self.group_ids), self.domain.n
        object.__setattr__(self, "group_ids", tuple(self.group_ids))
        for name, shape in (("b", (g, n)), ("q", (g, n)), ("c", (g,)), ("shares", (g,)), ("reservations", (g,))):
            value = _frozen(np.asarray(getattr(self, name), dtype=np.float64).reshape(shape))
            object.__setattr__(self, name, value)
        if np.any(self.q < 0):
            raise ValueError("q must be >= 0 (concave utilities)")
        if self.rule.kind == "quorum" and not 0 <= self.rule.min_accept <= g:
            raise ValueError(f"rule: min_accept {self.rule.min_accept} is not between 0 and {g}")

    # -- shape ---------------------------------------------------------------------------------------

    @property
    def n_issues(self) -> int:
        return self.domain.n

    @property
    def is_linear(self) -> bool:
        return not np.any(self.q > 0)

    def describe(self) -> str:
        kind = "linear" if self.is_linear else "quadratic"
        total = "" if self.domain.total is None else f", summing to {self.domain.total:g}"
        return (f"{self.name or 'problem'}: {self.n_groups} groups, {self.n_issues} continuous issues{total} "
                f"({kind}); rule: {self.rule.describe(self.group_ids)}")

    # -- utilities ------------------------------------------------------------------------------------

    def utilities_at(self, point: Sequence[float] | np.ndarray) -> np.ndarray:
        """(groups,) utilities of one real point."""
        x = np.asarray(point, dtype=np.float64)
        return self.b @ x - self.q @ (x * x) + self.c

    def utilities_of_points(self, points: np.ndarray) -> np.ndarray:
        """(groups, m) utilities of (m, issues) real points."""
        x = np.atleast_2d(np.asarray(points, dtype=np.float64))
        return (x @ self.b.T - (x * x) @ self.q.T + self.c[None, :]).T

    def utilities(self, outcome: Sequence[int] | Sequence[float]) -> np.ndarray:
        """(groups,) utilities of a lattice outcome (a tuple of ints, as the dialogue's) or of a real
        point (any float in it), from the coefficients (equal to the Game's lattice utilities up to
        rounding; the same arithmetic as every point the convex oracles evaluate)."""
        return self.utilities_at(self.point_of(outcome))

    def point_of(self, outcome: Sequence[int] | Sequence[float]) -> np.ndarray:
        """The real point of a lattice outcome (a tuple of ints), or the point itself."""
        if all(isinstance(k, int | np.integer) for k in outcome):
            return self.lattice.values(tuple(int(k) for k in outcome))
        return np.asarray(outcome, dtype=np.float64)

    def accepts(self, utilities: np.ndarray) -> np.ndarray:
        return accepts_array(utilities, self.reservations)

    def passes(self, utilities: np.ndarray) -> np.ndarray:
        """(n,) bool: does the rule pass when every group accepts honestly? utilities: (groups, n)."""
        return self.rule.passes(self.accepts(np.asarray(utilities).reshape(self.n_groups, -1)), self.shares)

    # -- the lattice ----------------------------------------------------------------------------------

    @property
    def lattice(self) -> ContinuousSpace:
        if self.space is None:
            raise ValueError("this problem has no lattice (build it from a Game or Scenario)")
        return self.space

    def nearest(self, point: Sequence[float] | np.ndarray) -> tuple[int, ...] | None:
        return None if self.space is None else self.space.nearest(point)

    def lattice_problem(self) -> OracleProblem:
        """The lattice as a discrete problem of one issue whose options are the lattice points (in the
        space's `outcomes` order), for enumeration."""
        return self._lattice_problem

    @cached_property
    def _lattice_problem(self) -> OracleProblem:
        space = self.lattice
        matrix = self.lattice_matrix
        if matrix is None:
            matrix = self.utilities_of_points(space.points)
        return OracleProblem(
            group_ids=self.group_ids, radix=(space.size,), shares=self.shares, reservations=self.reservations,
            rule=self.rule, matrix=matrix, low=self.low, high=self.high, name=self.name,
        )

    # -- builders -----------------------------------------------------------------------------------------

    @classmethod
    def from_game(cls, game: Game) -> ContinuousProblem:
        """From a compiled Game on a continuous space: its reward models' coefficients, normalised as
        the Game normalises them, and its lattice utility matrix as it is."""
        space = game.space
        assert isinstance(space, ContinuousSpace)
        rows = []
        for g in game.group_ids:
            utility = game.utilities[g]
            model = utility.model
            span = utility.high - utility.low
            rows.append((model.b / span, model.q / span, (model.constant - utility.low) / span))  # type: ignore[attr-defined]
        return cls(
            group_ids=tuple(game.group_ids), domain=space.domain,
            b=np.array([r[0] for r in rows]), q=np.array([r[1] for r in rows]), c=np.array([r[2] for r in rows]),
            shares=np.array([game.shares[g] for g in game.group_ids]),
            reservations=np.array([game.utilities[g].reservation for g in game.group_ids]),
            rule=_scenario_rule(game.scenario), space=space, lattice_matrix=game.utility_matrix,
            low=np.array([game.utilities[g].low for g in game.group_ids]),
            high=np.array([game.utilities[g].high for g in game.group_ids]),
            issue_ids=tuple(space.issue_ids), name=game.scenario.name,
        )

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ContinuousProblem:
        """From a scenario on a continuous space, without enumerating its lattice."""
        from dialectic.rewards import build_reward

        space = ContinuousSpace(scenario.space)  # type: ignore[arg-type]
        rows, lows, highs = [], [], []
        for group in scenario.groups:
            model = build_reward(group.reward, space)
            low, high = model.reward_range()  # type: ignore[attr-defined]
            span = high - low
            rows.append((model.b / span, model.q / span, (model.constant - low) / span))  # type: ignore[attr-defined]
            lows.append(low)
            highs.append(high)
        lows_a, highs_a = np.array(lows), np.array(highs)
        return cls(
            group_ids=tuple(scenario.group_ids), domain=space.domain,
            b=np.array([r[0] for r in rows]), q=np.array([r[1] for r in rows]), c=np.array([r[2] for r in rows]),
            shares=np.array([g.share for g in scenario.groups]),
            reservations=(np.array([g.reservation for g in scenario.groups]) - lows_a) / (highs_a - lows_a),
            rule=_scenario_rule(scenario), space=space, low=lows_a, high=highs_a,
            issue_ids=tuple(space.issue_ids), name=scenario.name,
        )
