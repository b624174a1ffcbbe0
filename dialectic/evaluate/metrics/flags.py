"""Per-group flags read against the reward models: hollow acceptances, capitulation, static views."""

from __future__ import annotations

from dialectic.evaluate import _agreement as agreement
from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric


@metric(
    "hollow_acceptances",
    "Per group, turns in which it said yes to (or tabled) a proposal its reward model puts below rho_g.",
)
def hollow_acceptances(ctx: Context) -> dict[str, int]:
    return agreement.hollow_acceptances(ctx.game, ctx.run.turns)


@metric("capitulation", "Per group: its final stated view no longer serves it, u_g(v_g^T) < rho_g.")
def capitulation(ctx: Context) -> dict[str, bool]:
    return agreement.capitulation(ctx.game, ctx.final)


@metric("static_views", "No group's view ever changed during the run.")
def static_views(ctx: Context) -> bool:
    return all(ctx.static_by_group.values())


@metric("static_by_group", "Per group: its view never changed (moving away and back is a change).")
def static_by_group(ctx: Context) -> dict[str, bool]:
    return ctx.static_by_group
