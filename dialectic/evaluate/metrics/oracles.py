"""The max-min oracles and the regret against them."""

from __future__ import annotations

from dialectic.evaluate._context import Context, NamedOutcome
from dialectic.evaluate._metric import metric


@metric(
    "maxmin_oracle",
    "Best worst-case welfare an honest process could reach under the rule (at least the no-deal min_g rho_g).",
)
def maxmin_oracle(ctx: Context) -> float:
    return ctx.oracle.value


@metric("maxmin_oracle_outcome", "An outcome attaining maxmin_oracle (first in space order); null: no deal.")
def maxmin_oracle_outcome(ctx: Context) -> NamedOutcome | None:
    return ctx.named_or_none(ctx.oracle.outcome)


@metric("maxmin_unconstrained", "max_x min_g u_g(x), ignoring reservations and the rule (MaxMin-RLHF).")
def maxmin_unconstrained(ctx: Context) -> float:
    return ctx.unconstrained.value


@metric("maxmin_unconstrained_outcome", "An outcome attaining maxmin_unconstrained (first in space order).")
def maxmin_unconstrained_outcome(ctx: Context) -> NamedOutcome | None:
    return ctx.named_or_none(ctx.unconstrained.outcome)


@metric("maxmin_regret", "maxmin_oracle - worst_case_welfare (negative only after a dishonest settlement).")
def maxmin_regret(ctx: Context) -> float:
    return ctx.oracle.value - ctx.welfare.worst_case


@metric("maxmin_oracle_status", "'exact' or 'bound' (a time budget ran out), with the method that certified it.")
def maxmin_oracle_status(ctx: Context) -> dict[str, object]:
    return {"status": ctx.oracle.status, "method": ctx.oracle.method, "gap": ctx.oracle.gap}
