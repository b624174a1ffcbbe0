"""Statements generated during the run (LLM participants with `views: free`, docs/llm.md).

Each is an outcome of the pool for every verdict (settlement, views, acceptability, distances), measured
by every group's reward model on the reference pool's scale, clipped to [0, 1] (DESIGN.md). This metric
lists them with each group's reward and utility and says where each reward comes from: scored again here by
the group's model ("rescored"), or the trace's record where the model scores no text ("recorded"). Runs
without generated statements leave it out of their evaluation.
"""

from __future__ import annotations

from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import OMIT, metric


@metric(
    "generated_statements",
    "Statements generated during the run (views: free): id, text, first turn, each group's reward and u_g "
    "(normalised over the reference pool, clipped to [0, 1]) and its source (rescored by the model, or the "
    "trace's record); whether the settlement and which final views are generated. Absent without any.",
)
def generated_statements(ctx: Context) -> Any:
    admitted = ctx.run.statements
    if not admitted:
        return OMIT
    space, utilities = ctx.game.space, ctx.game.utilities
    ids = {s.id for s in admitted}
    settlement = ctx.settlement
    return {
        "count": len(admitted),
        "statements": [
            {
                "id": s.id, "text": s.text, "turn": s.turn, "rewards": s.rewards, "sources": s.sources,
                "utility": {g: None if r is None else utilities[g].clipped(r) for g, r in s.rewards.items()},
            }
            for s in admitted
        ],
        "rescored": all(source == "rescored" for s in admitted for source in s.sources.values()),
        "settlement_generated": settlement is not None and space.label(settlement) in ids,
        "final_views_generated": [g for g in ctx.groups if space.label(ctx.final[g]) in ids],
    }
