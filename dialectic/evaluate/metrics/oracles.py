"""The oracles of the game (dialectic.oracles, solved once per Game) and the regret against them:
the max-min oracles, and the utilitarian, Nash and Kalai-Smorodinsky optima with their status."""

from __future__ import annotations

from typing import Any

from dialectic.evaluate._context import Context, NamedOutcome
from dialectic.evaluate._metric import metric
from dialectic.oracles import OracleResult


def per_group(ctx: Context, values: tuple[float, ...] | None) -> dict[str, float] | None:
    """A vector over the game's groups (scenario order) as {group id: value}; None stays None."""
    return None if values is None else dict(zip(ctx.groups, values, strict=True))


def certification(result: OracleResult) -> dict[str, Any]:
    """How far the value is certified: status 'exact' or 'bound' (then value <= optimum <= value + gap)."""
    return {"status": result.status, "method": result.method, "gap": result.gap}


def point(ctx: Context, result: OracleResult) -> dict[str, float] | None:
    """Continuous spaces: the real optimum {issue: value} (its `outcome` is the nearest lattice point)."""
    return None if result.point is None else dict(zip(ctx.game.space.issue_ids, result.point, strict=True))


def optimum_report(ctx: Context, result: OracleResult) -> dict[str, Any]:
    """The value, an outcome attaining it (named; null: none qualifies), its utility per group, status;
    on a continuous space also the real optimal point."""
    return {
        "value": result.value,
        "outcome": ctx.named_or_none(result.outcome),
        "point": point(ctx, result),
        "utilities": per_group(ctx, result.utilities),
        **certification(result),
    }


@metric(
    "maxmin_oracle",
    "Best worst-case welfare an honest process could reach under the rule (at least the no-deal min_g rho_g).",
)
def maxmin_oracle(ctx: Context) -> float:
    return ctx.oracle.value


@metric("maxmin_oracle_outcome", "An outcome attaining maxmin_oracle (first in space order); null: no deal.")
def maxmin_oracle_outcome(ctx: Context) -> NamedOutcome | None:
    return ctx.named_or_none(ctx.oracle.outcome)


@metric("maxmin_oracle_point", "Continuous spaces: the real point attaining maxmin_oracle (the outcome above is "
        "the lattice point nearest it); null elsewhere or with no deal.")
def maxmin_oracle_point(ctx: Context) -> dict[str, float] | None:
    return point(ctx, ctx.oracle)


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
def maxmin_oracle_status(ctx: Context) -> dict[str, Any]:
    return certification(ctx.oracle)


@metric(
    "utilitarian_optimum",
    "max sum_g w_g u_g(x) over honestly passing x (none: the no-deal sum_g w_g rho_g, outcome null); with status.",
)
def utilitarian_optimum(ctx: Context) -> dict[str, Any]:
    return optimum_report(ctx, ctx.optimum("utilitarian"))


@metric(
    "nash_optimum",
    "max prod_g (u_g(x) - rho_g) over x every group's reward model accepts (none: 0, outcome null); with status.",
)
def nash_optimum(ctx: Context) -> dict[str, Any]:
    return optimum_report(ctx, ctx.optimum("nash"))


@metric(
    "kalai_smorodinsky",
    "Among x every group accepts: max min_g (u_g - rho_g) / (I_g - rho_g), I the ideal point; with status.",
)
def kalai_smorodinsky(ctx: Context) -> dict[str, Any]:
    result = ctx.optimum("kalai_smorodinsky")
    ideal = result.info.get("ideal")
    return {**optimum_report(ctx, result), "ideal": per_group(ctx, None if ideal is None else tuple(ideal))}
