"""Checks shared by the chain's tests, each computed again here from the artefacts the chain left in OUT."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def close(a: Any, b: Any, tol: float, path: str = "$") -> list[str]:
    """Where two JSON values differ (numbers within ``tol``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        return out + [d for k in sorted(set(a) & set(b)) for d in close(a[k], b[k], tol, f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in close(x, y, tol, f"{path}[{i}]")]
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=0, abs_tol=tol) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def served_rewards_against_the_fitted_model(out: Path, trace: Any) -> tuple[int, float]:
    """Every reward the trace records (each move's view and proposal for every group, each generated
    statement for every group) against the fitted model's own in-process score of the text
    (dialectic.learned.FittedModel: text_features @ head), by each group's component; returns the number of
    rewards compared and the largest difference."""
    from dialectic.learned import FittedModel
    from dialectic.scenario import load_scenario

    model = FittedModel.load(out / "scenario.model")
    learned = load_scenario(out / "scenario.yaml")
    served = load_scenario(out / "served.yaml")
    component = {g.id: g.reward.component for g in learned.groups}  # type: ignore[union-attr]
    for group in served.groups:  # the served scenario names the same component's output of the export
        assert group.reward.model_dump() == {"kind": "served", "model": "reward", "output": component[group.id]}
    text = {s.id: s.text for s in served.space.statements}  # type: ignore[union-attr]
    text.update({s.id: s.text for s in trace.statements})
    pairs: list[tuple[str, str, float]] = []  # (group, text, recorded reward)
    for move in trace.moves:
        for group, reward in move.rewards.items():
            pairs.append((group, text[move.view["statement"]], reward.view))
            if move.proposal is not None:
                pairs.append((group, text[move.proposal["statement"]], reward.proposal))
    for statement in trace.statements:
        pairs += [(group, statement.text, value) for group, value in statement.rewards.items()]
    worst = 0.0
    for group, name in component.items():
        mine = [(t, r) for g, t, r in pairs if g == group]
        ours = model.score([t for t, _ in mine], name)
        worst = max(worst, float(np.abs(ours - np.array([r for _, r in mine])).max()))
    return len(pairs), worst
