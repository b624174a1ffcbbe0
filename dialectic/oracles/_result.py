"""What every oracle returns: a value, an outcome attaining it, and how far it is certified."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = tuple[int, ...]
Status = Literal["exact", "bound"]
Method = Literal["enumeration", "milp", "bnb"]


@dataclass(frozen=True)
class OracleResult:
    """`value` is attained by `outcome` (None: no deal, or nothing qualifies; see each oracle).

    status "exact": the value is the optimum (enumeration; or a solver that proved optimality with
    relative and absolute gap 0, the returned outcome re-evaluated exactly); "bound": the optimum lies
    in [value, bound] (a time budget ran out), `gap` = bound - value.
    """

    value: float
    outcome: Outcome | None
    status: Status
    bound: float
    gap: float
    method: Method
    utilities: tuple[float, ...] | None = None  #: every group's utility of `outcome`
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict, compare=False)

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


@dataclass(frozen=True)
class ParetoFrontier:
    """Non-dominated utility vectors of the chosen groups (one outcome each, best first on the first
    group). status "exact": the whole frontier; "bound": a prefix (a point or time limit was hit)."""

    groups: tuple[str, ...]
    points: tuple[FrontierPoint, ...]
    status: Status
    method: Method
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.points)
