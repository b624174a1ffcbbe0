"""Does the trace agree with its replay? Every fact of the run is recomputed by replaying the moves
(`dialectic.evaluate._replay`); the trace's header order and rounds, opening, move numbering and
speakers, per-move rewards and end event are compared with the replay there, and its recorded
evaluation (if any) with this evaluation here. A trace cut short (no end event) is not inconsistent.
"""

from __future__ import annotations

import json
from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import compute_metrics, metric
from dialectic.evaluate._model import Inconsistency
from dialectic.evaluate._replay import sort_key

#: Fields of a recorded evaluation compared with the replay's (the verdict and the facts of the run).
RECORDED_FIELDS: tuple[str, ...] = (
    "label", "declared_agreement", "settlement", "accepted_by", "end_reason", "rounds", "turns", "complete",
)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def differences(ctx: Context) -> list[Inconsistency]:
    """The replay's inconsistencies and the recorded evaluation's, in a fixed order (`sort_key`)."""
    found = list(ctx.run.inconsistencies)
    recorded = ctx.trace.evaluation
    if recorded is not None:
        names = [name for name in RECORDED_FIELDS if name in recorded.evaluation]
        fresh = compute_metrics(ctx, names)
        for name in names:
            was, now = recorded.evaluation[name], _plain(fresh[name])
            if was != now:
                found.append(Inconsistency(field=f"evaluation.{name}", recorded=was, replayed=now))
    return sorted(found, key=sort_key)


@metric("consistent", "The trace agrees with the replay of its moves (end event, rewards, order, evaluation).")
def consistent(ctx: Context) -> bool:
    return not differences(ctx)


@metric(
    "inconsistencies",
    "Each field where the trace disagrees with its replay: {field, recorded, replayed, turn (null: the run)}.",
)
def inconsistencies(ctx: Context) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in differences(ctx)]
