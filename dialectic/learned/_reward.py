"""A fitted model as a scenario's reward (reward kind ``learned``, dialectic.rewards): the checks a scenario
file's ``{kind: learned, model: DIR, component: NAME-or-index}`` must pass, and the component's reward range.

This module reads scenario specs by duck typing (``kind``, ``issues`` with ``id`` and ``options``): the
scenario package calls it to validate a file, so it cannot import the scenario package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dialectic.learned._model import FittedModel, ModelError


class SpecProblem(ValueError):
    """What is wrong with a learned reward spec: the spec's field, what was expected, what was found."""

    def __init__(self, field: str, expected: str, found: str):
        self.field, self.expected, self.found = field, expected, found
        super().__init__(f"{field}: expected {expected}, found {found}")


def _space_issues(space_spec: Any) -> dict[str, list[str]]:
    return {issue.id: list(issue.options) for issue in space_spec.issues}


def check_learned_reward(directory: str | Path, component: str | int, space_spec: Any
                         ) -> tuple[FittedModel, int, tuple[float, float] | None]:
    """Load the model and check it against the scenario's space: the directory is a fitted model, the
    component is one of its components, its features fit the space (onehot: the same issues and options;
    minilm: a statement pool). Returns the model, the component's index and its (worst, best) reward over
    the space where that is known without scoring (onehot), else None (statements: known once the Game
    scores the pool). Raises SpecProblem naming the spec's field."""
    try:
        model = FittedModel.load(directory)
    except ModelError as error:
        if error.file == str(directory):
            raise SpecProblem("model", error.expected, f"{error.found} ({directory})") from None
        raise SpecProblem("model", "a model directory that loads", str(error)) from None
    try:
        index = model.component_index(component)
    except ValueError:
        raise SpecProblem("component", f"one of the model's components ({', '.join(model.component_names)}) or "
                          f"an index 0..{model.k - 1}", repr(component)) from None
    kind = getattr(space_spec, "kind", "discrete")
    features = model.manifest.features
    if kind == "continuous":
        raise SpecProblem("kind", "a learned reward only on a discrete space or a statement pool",
                          "a continuous space")
    if features.name == "minilm":
        if kind != "statements":
            raise SpecProblem("model", "a model of outcomes (onehot features) for a discrete space",
                              f"a statement model (minilm features) at {directory}")
        return model, index, None
    assert features.issues is not None
    fitted = {issue.id: issue.options for issue in features.issues}
    space = _space_issues(space_spec)
    if set(fitted) != set(space) or any(set(fitted[i]) != set(space[i]) for i in space):
        theirs = "; ".join(f"{i}: {', '.join(o)}" for i, o in fitted.items())
        raise SpecProblem("model", "a model fitted on outcomes of this scenario's space (the same issues and "
                          "options)", f"a model of {{{theirs}}}")
    points = model.additive_points(index).values()
    return model, index, (float(sum(min(p) for p in points)), float(sum(max(p) for p in points)))


def onehot_points(model: FittedModel, index: int, issue_ids: list[str], options: list[list[str]]) -> list[np.ndarray]:
    """A onehot component's points per option, issue by issue in the given (scenario's) order."""
    points = model.additive_points(index)
    out = []
    for issue, names in zip(issue_ids, options, strict=True):
        lookup = dict(zip(_options_of(model, issue), points[issue], strict=True))
        out.append(np.array([lookup[name] for name in names], dtype=np.float64))
    return out


def _options_of(model: FittedModel, issue: str) -> list[str]:
    issues = model.manifest.features.issues or []
    return next(i.options for i in issues if i.id == issue)
