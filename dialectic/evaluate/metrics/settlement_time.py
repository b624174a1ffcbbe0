"""How long it took to settle.

The settlement was *reached* at the earliest turn from which it stayed on the table and passed the
agreement rule (on the acceptances counted then) through the end of the run. Under a protocol that
also waits for mutual tolerance this can be well before the run ended; elsewhere it is the last
turn. The settlement is the replay's, so the replayed table shows it passing at the end. Without a
settlement both are null. The opening counts as turn 0, round 0.
"""

from __future__ import annotations

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric


def reached(ctx: Context) -> tuple[int, int] | None:
    """(turn, round) at which the settlement was reached, or None without a settlement."""
    settlement = ctx.settlement
    if settlement is None:
        return None
    rule = ctx.game.rule
    states = [(0, 0, ctx.run.opening)] + [(s.turn, s.round, s.after) for s in ctx.steps]
    found: tuple[int, int] | None = None
    for turn, round_, table in reversed(states):
        if table.proposal != settlement or not rule.passes(table.accepting()):
            break
        found = (turn, round_)
    return found if found is not None else (ctx.ending.turns, ctx.ending.rounds)


@metric("rounds_to_settlement", "Round in which the settlement was reached and then held to the end; null: none.")
def rounds_to_settlement(ctx: Context) -> int | None:
    at = reached(ctx)
    return None if at is None else at[1]


@metric("turns_to_settlement", "Turn at which the settlement was reached and then held to the end; null: none.")
def turns_to_settlement(ctx: Context) -> int | None:
    at = reached(ctx)
    return None if at is None else at[0]
