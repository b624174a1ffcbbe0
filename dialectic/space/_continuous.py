"""Continuous multi-issue space: numeric issues in [low, high], optionally summing to a total.

The dialogue moves on the lattice: every issue's values low + k * step, and with a total only the
lattice points whose values sum to it. An outcome stays a tuple of lattice indices (one `k` per
issue), so every strategy, the engine and the evaluator work on the enumerated `outcomes` unchanged;
`values(outcome)` is the real point, and `names(outcome)` writes it as {issue: number as text} for
traces (parse reads those back, or numbers). The oracles (dialectic/oracles/_convex.py) work on the
continuous domain itself, so the best lattice point can fall short of them by the lattice's
discretisation (docs/spaces.md).

D(x, y) = |x - y| / diameter, the Euclidean distance of the real points divided by the domain's
diameter (the box's diagonal, or the largest distance between two vertices of the box cut by the
sum), so D is in [0, 1] and 1 is attained by two points of the domain (two lattice points, since
every vertex is one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from dialectic.space._discrete import ENUMERATION_LIMIT, DiscreteSpace, Outcome
from dialectic.space._lattice import (
    domain,
    format_value,
    lattice_point,
    lattice_size,
    lattice_value,
    steps,
    total_units,
)

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.scenario import ContinuousSpaceSpec

#: Largest lattice product (without the total) indexed through a dense look-up table in `index_many`.
DENSE_INDEX_LIMIT = 1 << 24


class ContinuousSpace(DiscreteSpace):
    # Built from the continuous spec: the option lists are the lattice values as text, so the
    # discrete machinery (radix, option indices, names) applies as it is.
    def __init__(self, spec: ContinuousSpaceSpec):
        self.spec = spec  # type: ignore[assignment]
        self.lattice_spec = spec
        self.issue_ids = [issue.id for issue in spec.issues]
        counts = [steps(issue) + 1 for issue in spec.issues]
        self.grid: list[np.ndarray] = [
            np.array([lattice_value(issue, k) for k in range(c)]) for issue, c in zip(spec.issues, counts, strict=True)
        ]
        self.options = [[format_value(v) for v in values] for values in self.grid]
        self.radix = np.array(counts, dtype=np.int64)
        self.domain = domain(spec)
        self.total = spec.total
        self.units = total_units(spec)
        self.size = lattice_size(spec)
        strides = np.ones(len(counts), dtype=np.int64)
        for i in range(len(counts) - 2, -1, -1):
            strides[i] = strides[i + 1] * counts[i + 1]
        self.strides = strides
        self._strides_list = [int(s) for s in strides]
        self._radix_list = counts
        self._option_index = [{name: k for k, name in enumerate(opts)} for opts in self.options]
        self._index_memo: dict[Outcome, int] = {}

    @property
    def diameter(self) -> float:
        return self.domain.diameter

    @cached_property
    def outcomes(self) -> np.ndarray:
        """All lattice points as an (N, issues) int array, first issue slowest (lexicographic)."""
        if self.size > ENUMERATION_LIMIT:
            raise ValueError(f"a lattice of {self.size} points is too large to enumerate (make the step coarser)")
        if self.units is None:
            return super().outcomes
        counts = self.radix
        # after[i]: most steps the issues after i can take together
        after = np.concatenate([np.cumsum(counts[::-1] - 1)[::-1][1:], [0]])
        rows = np.zeros((1, 0), dtype=np.int16)
        left = np.array([self.units], dtype=np.int64)
        for i in range(self.n_issues - 1):
            low = np.maximum(left - after[i], 0)
            high = np.minimum(left, counts[i] - 1)
            repeat = high - low + 1
            k = np.concatenate([np.arange(a, b + 1) for a, b in zip(low, high, strict=True)]).astype(np.int64)
            rows = np.column_stack([np.repeat(rows, repeat, axis=0), k.astype(np.int16)])
            left = np.repeat(left, repeat) - k
        rows = np.column_stack([rows, left.astype(np.int16)])
        assert len(rows) == self.size
        return rows

    @cached_property
    def _position(self) -> dict[Outcome, int]:
        return {tuple(row): k for k, row in enumerate(self.outcomes.tolist())}

    def _flat_index(self, outcome: Sequence[int]) -> int:
        """Position of a lattice point in `outcomes`; KeyError off the lattice (a sum other than the total)."""
        if self.units is None:
            return super()._flat_index(outcome)
        return self._position[tuple(outcome)]

    def index_many(self, outcomes: np.ndarray) -> np.ndarray:
        outcomes = np.asarray(outcomes, dtype=np.int64)
        if self.units is None:
            return super().index_many(outcomes)
        product = int(np.prod(self.radix))
        if product <= DENSE_INDEX_LIMIT:
            return self._dense_positions[outcomes @ self.strides]
        return np.array([self._position[tuple(row)] for row in outcomes.tolist()], dtype=np.int64)

    @cached_property
    def _dense_positions(self) -> np.ndarray:
        """Lattice position of every point of the full product (-1 off the total)."""
        table = np.full(int(np.prod(self.radix)), -1, dtype=np.int64)
        table[self.outcomes.astype(np.int64) @ self.strides] = np.arange(self.size)
        return table

    # -- real points -------------------------------------------------------------------------------

    def values(self, outcome: Sequence[int]) -> np.ndarray:
        """The real point of a lattice outcome."""
        return np.array([grid[k] for grid, k in zip(self.grid, outcome, strict=True)])

    def points_of(self, outcomes: np.ndarray) -> np.ndarray:
        """(n, issues) real points of an (n, issues) array of lattice indices."""
        outcomes = np.atleast_2d(np.asarray(outcomes, dtype=np.int64))
        return np.column_stack([grid[outcomes[:, i]] for i, grid in enumerate(self.grid)])

    @cached_property
    def points(self) -> np.ndarray:
        """Every lattice point's real values, (N, issues), in `outcomes` order."""
        return self.points_of(self.outcomes)

    def nearest(self, point: Sequence[float] | np.ndarray) -> Outcome:
        """The lattice point nearest a real point (ties: first in `outcomes` order)."""
        squared = ((self.points - np.asarray(point, dtype=np.float64)[None, :]) ** 2).sum(axis=1)
        return self.at(int(np.argmin(squared)))

    # -- reading and writing outcomes ----------------------------------------------------------------

    def parse(self, named: Mapping[str, object]) -> Outcome:
        """Outcome from {issue id: number or its text} on the lattice; ValueError naming the bad part."""
        return lattice_point(self.lattice_spec, named, "outcome")

    def label(self, outcome: Outcome) -> str:
        return ", ".join(f"{issue}={opts[k]}" for issue, opts, k in zip(self.issue_ids, self.options, outcome, strict=True))

    def text(self, outcome: Outcome) -> str:
        """The outcome in words, one "issue: value" per issue."""
        return "; ".join(f"{issue.name or issue.id}: {opts[k]}"
                         for issue, opts, k in zip(self.lattice_spec.issues, self.options, outcome, strict=True))

    def is_valid(self, outcome: Sequence[int]) -> bool:
        return super().is_valid(outcome) and (self.units is None or sum(outcome) == self.units)

    # -- distance --------------------------------------------------------------------------------------

    def distance(self, a: Outcome, b: Outcome) -> float:
        """Euclidean distance of the real points over the domain's diameter (D in [0, 1])."""
        return min(float(np.linalg.norm(self.values(a) - self.values(b))) / self.diameter, 1.0)

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        points = self.points if among is None else self.points[among]
        gap = points - self.values(outcome)[None, :]
        return np.minimum(np.sqrt((gap * gap).sum(axis=1)) / self.diameter, 1.0)

    def distance_between_points(self, x: Sequence[float], y: Sequence[float]) -> float:
        """D between two real points of the domain (not necessarily on the lattice)."""
        gap = np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)
        return min(float(np.linalg.norm(gap)) / self.diameter, 1.0)
