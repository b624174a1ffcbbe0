"""Facts of the run itself: completeness, how it ended, its length, the settlement and the views."""

from __future__ import annotations

from dialectic.evaluate._context import Context, NamedOutcome
from dialectic.evaluate._metric import metric


@metric(
    "complete",
    "The trace has its end event; without one (a run cut short) it is scored as its moves replay, not as inconsistent.",
)
def complete(ctx: Context) -> bool:
    return ctx.trace.end is not None


@metric(
    "end_reason",
    "Why the run ended, by the replay: settlement, round_limit or deadlock; null: the trace stops before it ended.",
)
def end_reason(ctx: Context) -> str | None:
    return ctx.ending.reason


@metric("rounds", "Rounds the run took, by the replay of its moves.")
def rounds(ctx: Context) -> int:
    return ctx.ending.rounds


@metric("turns", "Turns the run took, by the replay of its moves.")
def turns(ctx: Context) -> int:
    return ctx.ending.turns


@metric("settlement", "The settlement x*, by the replay: the passing proposal the run ended on (null: none).")
def settlement(ctx: Context) -> NamedOutcome | None:
    return ctx.named_or_none(ctx.settlement)


@metric("opening_views", "Every participant's opening view v^0 (a mediator's: its first proposal).")
def opening_views(ctx: Context) -> dict[str, NamedOutcome]:
    return {a: ctx.named(v) for a, v in ctx.opening.items()}


@metric("final_views", "Every participant's final view v^T (a mediator's: its last proposal).")
def final_views(ctx: Context) -> dict[str, NamedOutcome]:
    return {a: ctx.named(v) for a, v in ctx.final.items()}
