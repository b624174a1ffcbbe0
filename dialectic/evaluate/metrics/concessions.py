"""Concessions move by move, and the unreciprocated ones.

Definitions (precise; mediator moves are never concessions, having no reward model of their own):

- A move by group g is a **concession** when it lowers g's own utility u_g by what it states:
  its view changed and u_g(new view) < u_g(g's view before the move); or it has a proposal p and
  u_g(p) < u_g(reference), where the reference is g's previous proposal (the opening proposal
  counts as the opening speaker's) or, if g has proposed nothing yet, g's view before the move.
  Saying yes to a proposal is not a concession: accepting never changes a view (DESIGN.md), and
  hollow acceptances are counted separately.
- A move that is not a concession is **selfish** when it states a new view or a proposal, and
  **silent** when it states neither (the same view, no proposal).
- A move **answers** the moves of the other groups made since the mover's previous turn (for its
  first turn, since the opening). A concession is **unreciprocated** when none of the moves it
  answers is a concession: every answered move of the other side was selfish or silent, or the
  other side made no move at all in between (then it answers the opening demand).

Comparisons allow a slack of 1e-12 so float noise is no concession.
"""

from __future__ import annotations

from dialectic.dialogue import Step
from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric
from dialectic.space import Outcome

SLACK = 1e-12


def conceding_turns(ctx: Context) -> dict[int, bool]:
    """For every move (by turn number): is it a concession by its own mover's reward model?"""
    last_proposal: dict[str, Outcome] = {}
    opening = ctx.run.opening
    if opening.proposal is not None and opening.proposer is not None:
        last_proposal[opening.proposer] = opening.proposal
    result: dict[int, bool] = {}
    for step in ctx.steps:
        result[step.turn] = _concedes(ctx, step, last_proposal.get(step.speaker))
        if step.move.proposal is not None:
            last_proposal[step.speaker] = step.move.proposal
    return result


def _concedes(ctx: Context, step: Step, previous_proposal: Outcome | None) -> bool:
    if not ctx.is_group(step.speaker):
        return False
    utility = ctx.game.utilities[step.speaker]
    before = step.before.views[step.speaker]
    if step.view_changed and utility(step.move.view) < utility(before) - SLACK:
        return True
    proposal = step.move.proposal
    reference = previous_proposal if previous_proposal is not None else before
    return proposal is not None and utility(proposal) < utility(reference) - SLACK


@metric("concession_moves", "Per group, the moves whose view or proposal lowers its own utility (see module).")
def concession_moves(ctx: Context) -> dict[str, int]:
    conceding = conceding_turns(ctx)
    counts = dict.fromkeys(ctx.groups, 0)
    for step in ctx.steps:
        if conceding[step.turn]:
            counts[step.speaker] += 1
    return counts


@metric(
    "unreciprocated_concessions",
    "Per group, concessions answering only selfish or silent moves of the other groups since its last turn.",
)
def unreciprocated_concessions(ctx: Context) -> dict[str, int]:
    conceding = conceding_turns(ctx)
    counts = dict.fromkeys(ctx.groups, 0)
    for step in ctx.steps:
        if not conceding[step.turn]:
            continue
        answered = [u.turn for u in step.replies_to if u.turn > 0 and ctx.is_group(u.speaker)]
        if not any(conceding[turn] for turn in answered):
            counts[step.speaker] += 1
    return counts
