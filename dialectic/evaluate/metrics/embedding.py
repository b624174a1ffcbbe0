"""The embedding-distance versions of the view metrics on statement pools (extra `embed`).

D_emb(s, t) = (1 - cos) / 2 between all-MiniLM-L6-v2 sentence embeddings (dialectic.space._embedding),
the optional second measure beside the reward-profile distance D that every verdict uses. Where it
cannot be computed (the space is not a statement pool, the extra is not installed, the model does
not load) each metric says {"applicable": false, "reason": ...}; it never fails an evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric
from dialectic.evaluate.metrics.view_diversity import diversity
from dialectic.space import Outcome, StatementSpace

NOT_A_POOL = "the space is not a statement pool"

Distance = Callable[[Outcome, Outcome], float]


def embedding_measure(ctx: Context) -> tuple[Distance | None, str | None]:
    """D_emb on this run's pool, or None and why it is not applicable."""
    space = ctx.game.space
    if not isinstance(space, StatementSpace):
        return None, NOT_A_POOL
    from dialectic.space._embedding import pool_distances, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        return None, reason
    try:
        pool_distances(space)
    except (ImportError, OSError, RuntimeError, ValueError) as error:  # a broken install: report, don't fail
        return None, f"the embedding model did not load: {type(error).__name__}: {error}"
    return space.embedding_distance, None


def not_applicable(reason: str) -> dict[str, Any]:
    return {"applicable": False, "reason": reason}


def embedding_metric(
    name: str, definition: str
) -> Callable[[Callable[[Context, Distance], dict[str, Any]]], Callable[[Context], dict[str, Any]]]:
    """Register `function(context, D_emb)` as a metric that says why where D_emb does not apply
    (the function may itself return `not_applicable(reason)`)."""

    def register(function: Callable[[Context, Distance], dict[str, Any]]) -> Callable[[Context], dict[str, Any]]:
        def compute(ctx: Context) -> dict[str, Any]:
            distance, reason = embedding_measure(ctx)
            if distance is None:
                return not_applicable(reason or NOT_A_POOL)
            result = function(ctx, distance)
            return result if "applicable" in result else {"applicable": True, **result}

        compute.__module__, compute.__name__, compute.__doc__ = function.__module__, name, function.__doc__
        return metric(name, "Statement pools (extra 'embed'): " + definition)(compute)

    return register


@embedding_metric(
    "identical_views_embedding",
    "max over pairs of final group views of D_emb = (1 - cos)/2, and whether it is <= epsilon.",
)
def identical_views_embedding(ctx: Context, distance: Distance) -> dict[str, Any]:
    final = ctx.final
    largest = max((distance(final[g], final[h]) for g, h in combinations(ctx.groups, 2)), default=0.0)
    return {"max_distance": largest, "identical": largest <= ctx.game.epsilon}


@embedding_metric("view_spread_embedding", "mean pairwise D_emb between the groups' opening views and final views.")
def view_spread_embedding(ctx: Context, distance: Distance) -> dict[str, Any]:
    opening = {g: ctx.opening[g] for g in ctx.groups}
    final = {g: ctx.final[g] for g in ctx.groups}
    return {"opening": diversity(ctx, opening, distance), "final": diversity(ctx, final, distance)}


@embedding_metric(
    "settlement_to_openings_embedding", "per group, D (reward profile) and D_emb from the settlement to v_g^0."
)
def settlement_to_openings_embedding(ctx: Context, distance: Distance) -> dict[str, Any]:
    settlement = ctx.settlement
    if settlement is None:
        return not_applicable("no settlement")
    reward_profile = ctx.game.measure.distance
    return {
        "by_group": {
            g: {
                "reward_profile": reward_profile(settlement, ctx.opening[g]),
                "embedding": distance(settlement, ctx.opening[g]),
            }
            for g in ctx.groups
        },
    }
