"""The run scored again by held-out judges (Evaluation.judged), where the scenario names any.

The same replay is evaluated on the judges' game (`dialectic.evaluate._judged`): every core field by the
same metrics, so nothing is computed twice by different code. Then what the agents optimised (the groups'
own reward models) is compared with what their held-out preferences say: the label, worst-case welfare,
each group's welfare, and whose acceptance of the settlement flips.

Statements generated during the run (`views: free`) are admitted to the judges' game too, at the same
outcomes. A group without a judge keeps its model's reward for them; a judge that scores text (learned,
served) scores them; a judge that cannot (mean held-out votes, which exist for the reference pool only) has
no evidence on them and defers to its group's model there (the statement's utility by the judge is the
model's), and `deferred` names them, so a verdict never claims held-out evidence it does not have.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._evaluate import CORE_FIELDS, assemble, check_finite
from dialectic.evaluate._judged import judge_game, judged_groups
from dialectic.evaluate._metric import compute_metrics, metric
from dialectic.evaluate._model import Judged
from dialectic.game import Game


@metric(
    "judged",
    "With held-out judges: the run scored again by each group's judge (others keep their model), and the "
    "differences (label, worst-case welfare, W_g, acceptance of x*); null without judges.",
)
def judged(ctx: Context) -> dict[str, Any] | None:
    game = judge_game(ctx.game)
    if game is None:
        return None
    check_finite(game)
    # The same replay on the judges' game; the trace's recorded evaluation is the models' verdict, not the
    # judges', so it is not compared here (the models' evaluation compares it).
    deferred = _admit_generated(ctx, game)
    judges = Context(game, dataclasses.replace(ctx.trace, evaluation=None), run=ctx.run)
    by_judges = assemble(compute_metrics(judges, list(CORE_FIELDS)))
    label = compute_metrics(ctx, ["label"])["label"]
    settlement = ctx.settlement
    groups = ctx.groups
    by_models = {g: ctx.game.utilities[g].accepts(settlement) for g in groups} if settlement is not None else {}
    by_judge = {g: game.utilities[g].accepts(settlement) for g in groups} if settlement is not None else {}
    welfare, welfare_judged = ctx.welfare.per_group, judges.welfare.per_group
    return Judged(
        judges=judged_groups(ctx.game),
        label_by_models=label,
        label_by_judges=by_judges.label,
        label_flipped=by_judges.label != label,
        worst_case_welfare_by_models=ctx.welfare.worst_case,
        worst_case_welfare_by_judges=judges.welfare.worst_case,
        worst_case_welfare_difference=judges.welfare.worst_case - ctx.welfare.worst_case,
        welfare_difference={g: welfare_judged[g] - welfare[g] for g in groups},
        accepts_by_models=by_models,
        accepts_by_judges=by_judge,
        acceptance_flips=[g for g in by_models if by_models[g] != by_judge[g]],
        deferred=deferred,
        evaluation=by_judges,
    ).model_dump(mode="json")


def _admit_generated(ctx: Context, game: Game) -> dict[str, list[str]]:
    """Give the judges' game the run's generated statements at the outcomes the replay gave them (every
    statement the model game's pool holds, in its order) and settle what it cannot score: a group without a
    judge takes its model's reward; a judge that cannot score text defers to the model's utility. Returns the
    deferred statements' ids per judged group."""
    space, pool = ctx.game.space, game.space
    generated = getattr(space, "generated", None)
    if generated is None or not ctx.run.statements:
        return {}
    for _, text in generated():
        if pool.admit(text) != space.admit(text):  # type: ignore[attr-defined]
            raise RuntimeError("the judges' pool and the run's disagree on a generated statement's place")
    judged = set(judged_groups(ctx.game))
    deferred: dict[str, list[str]] = {}
    for statement in ctx.run.statements:
        outcome = statement.outcome
        for g in ctx.groups:
            model, judge = ctx.game.utilities[g], game.utilities[g]
            if judge.knows(outcome) or not model.knows(outcome):
                continue
            if g not in judged:
                judge.remember(outcome, model.reward(outcome))
            elif not judge.scores_text:
                judge.remember(outcome, judge.low + model(outcome) * (judge.high - judge.low))
                deferred.setdefault(g, []).append(statement.id)
    return deferred
