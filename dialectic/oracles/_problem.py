"""What an oracle needs to know about a game, without enumerating its space.

`OracleProblem` holds every group's normalised utility either as additive points per issue and
option (any space size: u_g(x) = sum over issues of points[issue][g, x_issue]) or as a dense
(groups, outcomes) matrix (enumerable spaces, table rewards), with the reservations in the same
normalised units, the population shares and the agreement rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dialectic.rules import Rule, accepts_array

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.game import Game
    from dialectic.oracles._continuous import ContinuousProblem
    from dialectic.scenario import Scenario

Outcome = tuple[int, ...]

#: Largest space `from_scenario` densifies for table rewards (the space's own enumeration limit).
DENSE_LIMIT = 5_000_000


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array


class Groups:
    """What every oracle problem says of its groups (needs `group_ids`, `n_groups`, `reservations`)."""

    group_ids: tuple[str, ...]
    reservations: np.ndarray

    @property
    def n_groups(self) -> int:
        return len(self.group_ids)

    @property
    def no_deal_value(self) -> float:
        """Worst-case welfare of no deal: every group stays at its reservation."""
        return float(self.reservations.min())

    def group_index(self, group: int | str) -> int:
        if isinstance(group, str):
            return self.group_ids.index(group)
        if not 0 <= int(group) < self.n_groups:
            raise IndexError(f"group index {group} out of range")
        return int(group)


@dataclass(frozen=True, eq=False)
class OracleProblem(Groups):
    """Groups' normalised utilities over a discrete space, their reservations, shares and the rule.

    Exactly one of `points` / `matrix` may be absent:
    - `points[i]` is a (groups, options of issue i) array with u_g(x) = sum_i points[i][g, x_i]
      (additive rewards, each issue's worst option at 0, so u is in [0, 1]);
    - `matrix` is the dense (groups, outcomes) utility matrix in flat order (first issue slowest).
    When both are given (an enumerable additive game) `matrix` is authoritative for values and
    enumeration, and `points` feeds the solvers.
    """

    group_ids: tuple[str, ...]
    radix: tuple[int, ...]
    shares: np.ndarray
    reservations: np.ndarray
    rule: Rule = field(default_factory=Rule)
    points: tuple[np.ndarray, ...] | None = None
    matrix: np.ndarray | None = None
    #: reward units behind the normalisation (for reports): u = (r - low) / (high - low)
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    issue_ids: tuple[str, ...] = ()
    options: tuple[tuple[str, ...], ...] = ()
    name: str = ""
    _strides: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        g, radix = len(self.group_ids), tuple(int(r) for r in self.radix)
        if g < 1 or not radix or min(radix) < 1:
            raise ValueError("an oracle problem needs at least one group and one issue with options")
        object.__setattr__(self, "radix", radix)
        object.__setattr__(self, "group_ids", tuple(self.group_ids))
        for name in ("shares", "reservations"):
            value = _frozen(np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))
            if value.shape != (g,):
                raise ValueError(f"{name}: expected {g} values, found {value.shape}")
            object.__setattr__(self, name, value)
        for name in ("low", "high"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _frozen(np.asarray(getattr(self, name)).reshape(-1)))
        if self.points is None and self.matrix is None:
            raise ValueError("an oracle problem needs additive points or a utility matrix")
        if self.points is not None:
            pts = tuple(_frozen(np.asarray(p, dtype=np.float64)) for p in self.points)
            if len(pts) != len(radix) or any(p.shape != (g, r) for p, r in zip(pts, radix, strict=True)):
                raise ValueError(f"points: expected one (groups, options) array per issue for radix {radix}")
            object.__setattr__(self, "points", pts)
        if self.matrix is not None:
            matrix = _frozen(np.asarray(self.matrix, dtype=np.float64))
            if matrix.shape != (g, self.size):
                raise ValueError(f"matrix: expected shape {(g, self.size)}, found {matrix.shape}")
            object.__setattr__(self, "matrix", matrix)
        rule = self.rule
        if rule.kind == "quorum" and not 0 <= rule.min_accept <= g:
            raise ValueError(f"rule: min_accept {rule.min_accept} is not between 0 and {g}")
        if any(not 0 <= v < g for v in rule.vetoes):
            raise ValueError(f"rule: veto indices {rule.vetoes} out of range for {g} groups")
        strides = [1] * len(radix)
        for i in range(len(radix) - 2, -1, -1):
            strides[i] = strides[i + 1] * radix[i + 1]
        object.__setattr__(self, "_strides", tuple(strides))

    # -- size and shape ---------------------------------------------------------------------------

    @property
    def n_groups(self) -> int:
        return len(self.group_ids)

    @property
    def n_issues(self) -> int:
        return len(self.radix)

    @property
    def size(self) -> int:
        """Number of outcomes (a Python int: may exceed 2**63)."""
        return math.prod(self.radix)

    @property
    def is_additive(self) -> bool:
        return self.points is not None

    # -- outcomes ----------------------------------------------------------------------------------

    def flat_index(self, outcome: Sequence[int]) -> int:
        self.check_outcome(outcome)
        return sum(int(k) * s for k, s in zip(outcome, self._strides, strict=True))

    def outcome_at(self, flat: int) -> Outcome:
        return tuple(int(flat // s % r) for s, r in zip(self._strides, self.radix, strict=True))

    def outcomes_at(self, flat: np.ndarray) -> np.ndarray:
        """(n, issues) option indices of the outcomes at these flat indices (enumerable spaces)."""
        flat = np.asarray(flat, dtype=np.int64)
        strides = np.asarray(self._strides, dtype=np.int64)
        return (flat[:, None] // strides[None, :]) % np.asarray(self.radix, dtype=np.int64)[None, :]

    def check_outcome(self, outcome: Sequence[int]) -> None:
        if len(outcome) != self.n_issues or any(
            not 0 <= int(k) < r for k, r in zip(outcome, self.radix, strict=True)
        ):
            raise ValueError(f"outcome {tuple(outcome)} is not a point of a space with radix {self.radix}")

    def utilities(self, outcome: Sequence[int]) -> np.ndarray:
        """(groups,) normalised utilities of one outcome."""
        if self.matrix is not None:
            return self.matrix[:, self.flat_index(outcome)].copy()
        self.check_outcome(outcome)
        assert self.points is not None
        total = np.zeros(self.n_groups)
        for table, k in zip(self.points, outcome, strict=True):
            total += table[:, int(k)]
        return total

    def utilities_many(self, outcomes: np.ndarray) -> np.ndarray:
        """(groups, n) utilities of an (n, issues) array of outcomes."""
        outcomes = np.atleast_2d(np.asarray(outcomes, dtype=np.int64))
        if self.matrix is not None:
            flat = outcomes @ np.asarray(self._strides, dtype=np.int64)
            return self.matrix[:, flat]
        assert self.points is not None
        total = np.zeros((self.n_groups, len(outcomes)))
        for i, table in enumerate(self.points):
            total += table[:, outcomes[:, i]]
        return total

    def accepts(self, utilities: np.ndarray) -> np.ndarray:
        """Honest acceptance: (groups, ...) bool, u_g >= rho_g (within ACCEPT_TOL)."""
        return accepts_array(utilities, self.reservations)

    def passes(self, utilities: np.ndarray) -> np.ndarray:
        """(n,) bool: does the rule pass when every group accepts honestly? utilities: (groups, n)."""
        return self.rule.passes(self.accepts(np.asarray(utilities).reshape(self.n_groups, -1)), self.shares)

    def passes_outcome(self, outcome: Sequence[int]) -> bool:
        return bool(self.passes(self.utilities(outcome)[:, None])[0])

    def describe(self) -> str:
        kind = "additive" if self.is_additive else "dense"
        return (
            f"{self.name or 'problem'}: {self.n_groups} groups, {self.n_issues} issues, {self.size:.3g} outcomes"
            f" ({kind}); rule: {self.rule.describe(self.group_ids)}"
        )

    # -- builders ----------------------------------------------------------------------------------

    @classmethod
    def additive(
        cls,
        points: Sequence[np.ndarray] | np.ndarray,
        reservations: Sequence[float] | np.ndarray,
        *,
        shares: Sequence[float] | np.ndarray | None = None,
        rule: Rule | None = None,
        group_ids: Sequence[str] | None = None,
        normalised_reservations: bool = False,
        name: str = "",
    ) -> OracleProblem:
        """From raw reward points, one (groups, options) array per issue (or a (groups, issues,
        options) array), and reservations in reward units (or normalised ones)."""
        raw = [np.asarray(p, dtype=np.float64) for p in (points if not isinstance(points, np.ndarray)
                                                         else list(np.moveaxis(points, 1, 0)))]
        g = raw[0].shape[0]
        low = sum(p.min(axis=1) for p in raw)
        high = sum(p.max(axis=1) for p in raw)
        span = np.asarray(high - low, dtype=np.float64)
        if np.any(span <= 0):
            raise ValueError(f"groups {np.flatnonzero(span <= 0).tolist()} have rewards that never differ")
        normalised = tuple((p - p.min(axis=1, keepdims=True)) / span[:, None] for p in raw)
        rho = np.asarray(reservations, dtype=np.float64)
        if not normalised_reservations:
            rho = (rho - low) / span
        return cls(
            group_ids=tuple(group_ids) if group_ids is not None else tuple(f"g{k}" for k in range(g)),
            radix=tuple(p.shape[1] for p in raw),
            shares=np.full(g, 1 / g) if shares is None else np.asarray(shares, dtype=np.float64),
            reservations=rho,
            rule=rule or Rule(),
            points=normalised,
            low=np.asarray(low, dtype=np.float64),
            high=np.asarray(high, dtype=np.float64),
            name=name,
        )

    @classmethod
    def dense(
        cls,
        rewards: np.ndarray,
        radix: Sequence[int],
        reservations: Sequence[float] | np.ndarray,
        *,
        shares: Sequence[float] | np.ndarray | None = None,
        rule: Rule | None = None,
        group_ids: Sequence[str] | None = None,
        normalised_reservations: bool = False,
        name: str = "",
    ) -> OracleProblem:
        """From a raw (groups, outcomes) reward matrix in flat order, normalised over the outcomes."""
        rewards = np.asarray(rewards, dtype=np.float64)
        low, high = rewards.min(axis=1), rewards.max(axis=1)
        span = high - low
        if np.any(span <= 0):
            raise ValueError(f"groups {np.flatnonzero(span <= 0).tolist()} have rewards that never differ")
        rho = np.asarray(reservations, dtype=np.float64)
        if not normalised_reservations:
            rho = (rho - low) / span
        g = rewards.shape[0]
        return cls(
            group_ids=tuple(group_ids) if group_ids is not None else tuple(f"g{k}" for k in range(g)),
            radix=tuple(radix),
            shares=np.full(g, 1 / g) if shares is None else np.asarray(shares, dtype=np.float64),
            reservations=rho,
            rule=rule or Rule(),
            matrix=(rewards - low[:, None]) / span[:, None],
            low=low,
            high=high,
            name=name,
        )

    @classmethod
    def from_game(cls, game: Game) -> OracleProblem | ContinuousProblem:
        """From a compiled (enumerable) Game: its utility matrix, exactly as the evaluator sees it,
        plus additive points when every group's reward is additive (so the solvers apply too).
        A Game on a continuous space gives a ContinuousProblem (dialectic/oracles/_continuous.py)."""
        from dialectic.space import ContinuousSpace

        if isinstance(game.space, ContinuousSpace):
            from dialectic.oracles._continuous import ContinuousProblem

            return ContinuousProblem.from_game(game)
        scenario = game.scenario
        base = _scenario_parts(scenario)
        points = _additive_points(scenario) if _all_additive(scenario) else None
        utilities = [game.utilities[g] for g in game.group_ids]
        return cls(
            **base,
            reservations=np.array([u.reservation for u in utilities]),
            points=points[0] if points is not None else None,
            matrix=game.utility_matrix,
            low=np.array([u.low for u in utilities]),
            high=np.array([u.high for u in utilities]),
        )

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> OracleProblem | ContinuousProblem:
        """From a scenario, without enumerating additive spaces (any size). Other rewards (tables,
        statement scores) need a dense matrix, so their space must be enumerable (at most
        DENSE_LIMIT outcomes); it is built as the evaluator builds it (`Game`). A continuous space
        gives a ContinuousProblem, without enumerating its lattice."""
        if scenario.space.kind == "continuous":
            from dialectic.oracles._continuous import ContinuousProblem

            return ContinuousProblem.from_scenario(scenario)
        base = _scenario_parts(scenario)
        reservation_rewards = np.array([g.reservation for g in scenario.groups], dtype=np.float64)
        if _all_additive(scenario):
            points, low, high = _additive_points(scenario)
            span = high - low
            return cls(**base, reservations=(reservation_rewards - low) / span, points=points, low=low, high=high)
        size = scenario.space.size()
        if size > DENSE_LIMIT:
            tables = [g.id for g in scenario.groups if g.reward.kind != "additive"]
            raise ValueError(
                f"scenario {scenario.name!r}: groups {tables} have {sorted({g.reward.kind for g in scenario.groups})} "
                f"rewards over a space of {size:.3g} outcomes; oracles need rewards that are not additive as a "
                f"dense matrix, which is limited to {DENSE_LIMIT:,} outcomes (use additive rewards for larger "
                "spaces)"
            )
        from dialectic.game import Game

        return cls.from_game(Game(scenario))


def _all_additive(scenario: Scenario) -> bool:
    return all(g.reward.kind == "additive" for g in scenario.groups)


def _scenario_rule(scenario: Scenario) -> Rule:
    agreement = scenario.agreement
    ids = scenario.group_ids
    return Rule(
        kind=agreement.rule,
        min_accept=int(agreement.min_accept or 0),
        threshold=float(agreement.majority_threshold),
        vetoes=tuple(ids.index(g.id) for g in scenario.groups if g.veto),
    )


def _scenario_parts(scenario: Scenario) -> dict:
    from dialectic.scenario import ContinuousSpaceSpec

    ids = scenario.group_ids
    space = scenario.space
    assert not isinstance(space, ContinuousSpaceSpec)  # a continuous space gives a ContinuousProblem
    issues = space.issues
    return {
        "group_ids": tuple(ids),
        "radix": tuple(len(issue.options) for issue in issues),
        "shares": np.array([g.share for g in scenario.groups], dtype=np.float64),
        "rule": _scenario_rule(scenario),
        "issue_ids": tuple(issue.id for issue in issues),
        "options": tuple(tuple(issue.options) for issue in issues),
        "name": scenario.name,
    }


def _additive_points(scenario: Scenario) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Normalised per-issue points (groups, options) and each group's (low, high) reward."""
    from dialectic.scenario import AdditiveReward

    issue_ids = [issue.id for issue in scenario.space.issues]
    specs = [g.reward for g in scenario.groups]
    assert all(isinstance(r, AdditiveReward) for r in specs)
    raw = [np.array([r.points[i] for r in specs if isinstance(r, AdditiveReward)], dtype=np.float64)
           for i in issue_ids]
    low = sum(p.min(axis=1) for p in raw)
    high = sum(p.max(axis=1) for p in raw)
    span = np.asarray(high - low, dtype=np.float64)
    if np.any(span <= 0):
        raise ValueError(f"scenario {scenario.name!r}: some group's rewards never differ")
    return tuple((p - p.min(axis=1, keepdims=True)) / span[:, None] for p in raw), np.asarray(low), np.asarray(high)
