"""Pareto dominance of the settlement: is there an outcome at least as good for every group and
better for one? Decided exactly by dialectic.oracles.is_pareto_dominated (enumeration); a settlement generated
during the run (views: free) by its clipped utility vector against every pool statement (evaluate._solved)."""

from __future__ import annotations

from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric
from dialectic.evaluate.metrics.oracles import certification, per_group


@metric(
    "settlement_pareto_dominated",
    "Some x with u_g(x) >= u_g(x*) for all g and > for one? 'by': the one with the largest total gain; null on impasse.",
)
def settlement_pareto_dominated(ctx: Context) -> dict[str, Any] | None:
    result = ctx.dominance
    if result is None:
        return None
    return {
        "dominated": result.outcome is not None,
        "by": ctx.named_or_none(result.outcome),
        "utilities": per_group(ctx, result.utilities),
        "total_gain": result.value,
        **certification(result),
    }
