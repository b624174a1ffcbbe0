"""Welfare of the outcome: W_g = u_g(x*) with a settlement, else rho_g, and its aggregates."""

from __future__ import annotations

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric


@metric("welfare", "Per group W_g: u_g(x*) with a settlement, else rho_g (no deal leaves it at its reservation).")
def welfare(ctx: Context) -> dict[str, float]:
    return ctx.welfare.per_group


@metric("utility", "Per group u_g(x*); null without a settlement.")
def utility(ctx: Context) -> dict[str, float | None]:
    return ctx.welfare.utility


@metric("worst_case_welfare", "min_g W_g.")
def worst_case_welfare(ctx: Context) -> float:
    return ctx.welfare.worst_case


@metric("worst_case_gain", "min_g (W_g - rho_g).")
def worst_case_gain(ctx: Context) -> float:
    return ctx.welfare.worst_case_gain


@metric("utilitarian", "Population-weighted welfare sum_g w_g W_g.")
def utilitarian(ctx: Context) -> float:
    return ctx.welfare.utilitarian


@metric("nash_welfare", "Nash welfare prod_g max(W_g - rho_g, 0).")
def nash_welfare(ctx: Context) -> float:
    return ctx.welfare.nash


@metric("welfare_gini", "Gini coefficient of the W_g.")
def welfare_gini(ctx: Context) -> float:
    return ctx.welfare.gini
