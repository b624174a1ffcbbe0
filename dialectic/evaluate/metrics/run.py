"""Facts of the run itself: completeness, how it ended, its length, the settlement and the views."""

from __future__ import annotations

from dialectic.evaluate._context import Context, NamedOutcome
from dialectic.evaluate._metric import metric


@metric("complete", "The trace has its end event (a crashed run leaves an incomplete trace, scored as is).")
def complete(ctx: Context) -> bool:
    return ctx.trace.end is not None


@metric("end_reason", "Why the run ended: settlement, round_limit or deadlock; null for an incomplete trace.")
def end_reason(ctx: Context) -> str | None:
    return None if ctx.trace.end is None else ctx.trace.end.reason


@metric("rounds", "Rounds the run took (the end event's; else the last move's round).")
def rounds(ctx: Context) -> int:
    end = ctx.trace.end
    return end.rounds if end is not None else max((m.round for m in ctx.trace.moves), default=0)


@metric("turns", "Turns the run took (the end event's; else the number of moves).")
def turns(ctx: Context) -> int:
    end = ctx.trace.end
    return end.turns if end is not None else len(ctx.trace.moves)


@metric("settlement", "The settlement x* (null on impasse or an incomplete trace).")
def settlement(ctx: Context) -> NamedOutcome | None:
    return ctx.named_or_none(ctx.settlement)


@metric("opening_views", "Every participant's opening view v^0 (a mediator's: its first proposal).")
def opening_views(ctx: Context) -> dict[str, NamedOutcome]:
    return {a: ctx.named(v) for a, v in ctx.opening.items()}


@metric("final_views", "Every participant's final view v^T (a mediator's: its last proposal).")
def final_views(ctx: Context) -> dict[str, NamedOutcome]:
    return {a: ctx.named(v) for a, v in ctx.final.items()}
