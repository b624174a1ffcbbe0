"""View diversity over time: how far apart the groups' current views are, round by round."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric
from dialectic.space import Outcome


def diversity(
    ctx: Context, views: dict[str, Outcome], distance: Callable[[Outcome, Outcome], float] | None = None
) -> float:
    """Mean of D(v_g, v_h) over unordered pairs of groups (0 with fewer than two groups); D is the
    space's distance unless another is given."""
    pairs = list(combinations(ctx.groups, 2))
    if not pairs:
        return 0.0
    measure = distance or ctx.game.measure.distance
    return sum(measure(views[g], views[h]) for g, h in pairs) / len(pairs)


@metric(
    "view_diversity",
    "Per round r = 0 (opening), 1, ..., R: mean pairwise D between the groups' views at the end of round r.",
)
def view_diversity(ctx: Context) -> list[float]:
    series = [diversity(ctx, ctx.run.opening.views)]
    for k, step in enumerate(ctx.steps):
        last_of_round = k + 1 == len(ctx.steps) or ctx.steps[k + 1].round != step.round
        if not last_of_round:
            continue
        value = diversity(ctx, step.after.views)
        if step.round < len(series):  # rounds out of order in a hand-written trace: last one counts
            series[max(step.round, 0)] = value
            continue
        while len(series) < step.round:  # a round without moves keeps the views it started with
            series.append(series[-1])
        series.append(value)
    return series
