"""Welfare of the outcome per group and its aggregates (worst case, utilitarian, Nash, Gini).

No agreement leaves each group at its reservation: W_g = u_g(x*) if a settlement was reached,
else rho_g.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dialectic.game import Game
from dialectic.space import Outcome


def gini(values: Sequence[float]) -> float:
    """Mean absolute difference over all ordered pairs (i = j included) / (2 * mean); 0 when the
    mean is 0 or there are no values."""
    n = len(values)
    if n == 0:
        return 0.0
    mean = sum(values) / n
    if mean == 0:
        return 0.0
    spread = sum(abs(x - y) for x in values for y in values) / (n * n)
    return spread / (2 * mean)


@dataclass(frozen=True)
class Welfare:
    per_group: dict[str, float]
    utility: dict[str, float | None]
    worst_case: float
    worst_case_gain: float
    utilitarian: float
    nash: float
    gini: float


def welfare(game: Game, settlement: Outcome | None) -> Welfare:
    groups = game.group_ids
    reservation = {g: game.utilities[g].reservation for g in groups}
    utility: dict[str, float | None] = {
        g: None if settlement is None else game.utilities[g](settlement) for g in groups
    }
    per_group = {g: reservation[g] if (u := utility[g]) is None else u for g in groups}
    gains = [per_group[g] - reservation[g] for g in groups]
    return Welfare(
        per_group=per_group,
        utility=utility,
        worst_case=min(per_group.values()),
        worst_case_gain=min(gains),
        utilitarian=sum(game.shares[g] * per_group[g] for g in groups),
        nash=math.prod(max(gain, 0.0) for gain in gains),
        gini=gini([per_group[g] for g in groups]),
    )
