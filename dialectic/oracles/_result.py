"""What every oracle returns: a value, an outcome attaining it, and how far it is certified."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = tuple[int, ...]
Status = Literal["exact", "bound"]
Method = Literal["enumeration", "milp", "bnb", "convex"]


@dataclass(frozen=True)
class OracleResult:
    """`value` is attained by `outcome` (None: no deal, or nothing qualifies; see each oracle).

    status "exact": the value is the optimum (enumeration; or a solver that proved optimality with
    relative and absolute gap 0, the returned outcome re-evaluated exactly); "bound": the optimum lies
    in [value, bound] (a time budget ran out), `gap` = bound - value.

    Continuous spaces (method "convex", dialectic/oracles/_convex.py): `point` is the optimal real
    point, which attains `value` and `utilities`; `outcome` is the lattice point nearest it (what a
    dialogue could propose; it attains the value only up to the lattice's discretisation). "exact"
    there means a certified gap of at most 1e-7. Enumerating a continuous space's lattice gives
    lattice outcomes with their `point`.
    """

    value: float
    outcome: Outcome | None
    status: Status
    bound: float
    gap: float
    method: Method
    utilities: tuple[float, ...] | None = None  #: every group's utility of `outcome` (continuous: of `point`)
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict, compare=False)
    point: tuple[float, ...] | None = None  #: continuous spaces: the real point attaining `value`

    @property
    def exact(self) -> bool:
        return self.status == "exact"

    @property
    def relative_gap(self) -> float:
        """gap / |bound| (0 when exact; inf when the bound is 0 and the gap is not)."""
        if self.gap <= 0:
            return 0.0
        return self.gap / abs(self.bound) if self.bound else math.inf


@dataclass(frozen=True)
class FrontierPoint:
    utilities: tuple[float, ...]
    outcome: Outcome
    point: tuple[float, ...] | None = None  #: continuous spaces: the real point (outcome: nearest lattice point)


@dataclass(frozen=True)
class ParetoFrontier:
    """Non-dominated utility vectors of the chosen groups (one outcome each, best first on the first
    group). status "exact": the whole frontier; "bound": a prefix (a point or time limit was hit), or
    for a continuous space (method "convex") a sample of its frontier, which is a continuum."""

    groups: tuple[str, ...]
    points: tuple[FrontierPoint, ...]
    status: Status
    method: Method
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.points)
