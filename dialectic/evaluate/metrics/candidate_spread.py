"""DVAO-style reward spread of the candidates seen (DVAO, arXiv:2605.25604, weights objectives by
their within-group reward spread instead of fixed constants).

The candidates are the distinct proposals tabled during the run (the opening proposal included), in
the order first tabled. For each group g: the population standard deviation and the range
(max - min) of u_g over the candidates, and the DVAO weight std_g / sum_h std_h (null for every
group when no group's utility varies over the candidates). One candidate: every spread is 0.
"""

from __future__ import annotations

import math
from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric
from dialectic.space import Outcome


def candidates(ctx: Context) -> list[Outcome]:
    seen: list[Outcome] = []
    tabled = [ctx.run.opening.proposal] + [s.move.proposal for s in ctx.steps]
    for proposal in tabled:
        if proposal is not None and proposal not in seen:
            seen.append(proposal)
    return seen


@metric(
    "candidate_spread",
    "Per group std and range of u_g over the distinct proposals tabled, and DVAO weights std_g / sum std.",
)
def candidate_spread(ctx: Context) -> dict[str, Any]:
    pool = candidates(ctx)
    std: dict[str, float] = {}
    spread: dict[str, float] = {}
    for g in ctx.groups:
        values = [ctx.game.utilities[g](x) for x in pool]
        if not values:
            std[g] = spread[g] = 0.0
            continue
        mean = sum(values) / len(values)
        std[g] = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        spread[g] = max(values) - min(values)
    total = sum(std.values())
    weight = {g: (std[g] / total if total > 0 else None) for g in ctx.groups}
    return {"candidates": len(pool), "std": std, "range": spread, "weight": weight}
