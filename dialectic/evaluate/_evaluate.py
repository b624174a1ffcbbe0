"""evaluate(game, trace): replay a run and compute every registered metric (DESIGN.md definitions)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import compute_metrics
from dialectic.evaluate._model import Evaluation
from dialectic.game import Game
from dialectic.trace import Trace

#: Evaluation fields filled by the metric of the same name (`metrics` holds every other metric).
CORE_FIELDS: tuple[str, ...] = tuple(name for name in Evaluation.model_fields if name != "metrics")


def assemble(values: dict[str, Any]) -> Evaluation:
    """The Evaluation record from metric values by name: core fields by name, the rest in `metrics`."""
    missing = [name for name in CORE_FIELDS if name not in values]
    if missing:
        raise RuntimeError(f"no registered metric fills the Evaluation field(s) {', '.join(missing)}")
    extra = {name: value for name, value in values.items() if name not in CORE_FIELDS}
    return Evaluation(**{name: values[name] for name in CORE_FIELDS}, metrics=extra)


def check_finite(game: Game) -> None:
    """Refuse a game with a non-finite utility or reservation: no verdict is computed from NaN or inf
    (validation refuses them in scenario files; a served or user-built reward model can still give them)."""
    for group in game.group_ids:
        utility = game.utilities[group]
        values = np.asarray(utility.values, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            first = int(bad[0])
            raise ValueError(
                f"group {group!r}: expected a finite utility for every outcome, found {values[first]} at outcome "
                f"{game.space.names(game.space.at(first))} ({bad.size} of {values.size} outcomes not finite); "
                "refusing to evaluate"
            )
        if not math.isfinite(utility.reservation):
            raise ValueError(f"group {group!r}: expected a finite reservation, found {utility.reservation} "
                             f"(reward {utility.reservation_reward}); refusing to evaluate")


def evaluate(game: Game, trace: Trace) -> Evaluation:
    """Score one run: its trace is replayed through the Table and judged by `game`'s reward models.
    The settlement, accepted_by, end reason, rounds and turns are the replay's, never the trace's; where
    the trace disagrees, `consistent` is false and `inconsistencies` lists each field. Raises ValueError
    when a group's utilities or reservation are not finite (`check_finite`)."""
    check_finite(game)
    return assemble(compute_metrics(Context(game, trace)))
