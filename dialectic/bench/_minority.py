"""The minority curve of a generated family (issue 10, item 4): the minority's welfare against its share.

Rows of a generated two-group family carry `params.minority_share`, `params.minority_group` (the
minority's group id) and `params.conflict` (the family's conflict level). For every (conflict level,
strategy, share) the point is the mean over the runs of the minority group's welfare W_g, with a
bootstrap (BCa) interval: the MaxMin-RLHF argument measured, an average-reward mediator leaving the
minority less as its share shrinks where a max-min one does not.

Several scenarios may share a (conflict, share): their runs are pooled into one point, so the
interval covers the scenario draws as well as the seeds.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.bench._bootstrap import Estimate, bootstrap_estimate, derived_rng
from dialectic.bench._rows import RunRow
from dialectic.bench._tail import mean_axis


class CurvePoint(BaseModel):
    """The minority's mean welfare for one strategy at one share and conflict level."""

    model_config = ConfigDict(extra="forbid")

    conflict: str
    strategy: str
    share: float
    #: Mean of the minority group's welfare over the runs at this point, with its bootstrap interval.
    welfare: Estimate
    #: Scenarios pooled into the point (sorted).
    scenarios: list[str]


def has_minority(rows: Iterable[RunRow]) -> bool:
    """Some row belongs to a family with a minority share (and so has a point on the curve)."""
    return any("minority_share" in r.params for r in rows)


def _conflict_key(level: str) -> tuple[int, float, str]:
    """Numeric levels in numeric order, then named ones alphabetically."""
    try:
        return (0, float(level), level)
    except ValueError:
        return (1, 0.0, level)


def minority_curve(
    rows: Iterable[RunRow], base: int, *, confidence: float = 0.95, n_resamples: int = 9999
) -> list[CurvePoint]:
    """Points ordered by conflict level, strategy, then share (descending: 0.5 towards 0.05).

    Rows without `params.minority_share` are ignored; a row with a share but no `minority_group`, or
    whose welfare lacks that group, raises ValueError naming the run. Each interval resamples from a
    generator derived from `base` and the point's name, so adding rows elsewhere does not move it.
    """
    values: dict[tuple[str, str, float], list[float]] = {}
    scenarios: dict[tuple[str, str, float], set[str]] = {}
    for row in rows:
        if "minority_share" not in row.params:
            continue
        run = f"run {row.scenario}/{row.strategy}/seed {row.seed}"
        group = row.params.get("minority_group")
        if not isinstance(group, str) or group not in row.welfare:
            raise ValueError(
                f"{run}: params.minority_group: expected one of its groups ({', '.join(row.welfare)}) "
                f"beside params.minority_share, found {group!r}"
            )
        key = (str(row.params.get("conflict", "")), row.strategy, float(row.params["minority_share"]))
        values.setdefault(key, []).append(row.welfare[group])
        scenarios.setdefault(key, set()).add(row.scenario)
    order = sorted(values, key=lambda k: (_conflict_key(k[0]), k[1], -k[2]))
    return [
        CurvePoint(
            conflict=key[0],
            strategy=key[1],
            share=key[2],
            welfare=bootstrap_estimate(
                np.array(values[key]),
                mean_axis,
                derived_rng(base, "minority", key[0], key[1], repr(key[2])),
                confidence=confidence,
                n_resamples=n_resamples,
            ),
            scenarios=sorted(scenarios[key]),
        )
        for key in order
    ]
