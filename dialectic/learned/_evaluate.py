"""Evaluation of a fit on held-out comparisons (``dialectic rm eval``).

Which comparisons are scored: on the data the model was fitted on (same sha256), the split's held-out parts
(the manifest records the split); on other data, every comparison. Seen annotators (those the fit assigned)
keep their training component. An unseen annotator is assigned by an E-step (its best component; with a
soft fit, the best of log pi_k + L[a, k]) on half of its comparisons, drawn by the seed, and scored on the
other half, so no comparison both assigns and scores.

Reported: overall and per-component held-out accuracy (a tie counts one half) and mean log-likelihood;
per known true group the mixture's (each annotator by its component), the pooled model's and the oracle's
(the model fitted on the group's true members); the adjusted Rand index of the components against the true
groups over every assigned annotator with a known group (and over seen and unseen ones apart); the
worst-off group's accuracy under each model (the minority-erasure effect, measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.learned._metrics import accuracy, adjusted_rand_index, mean_loglik
from dialectic.learned._model import FittedModel
from dialectic.learned._select import Comparisons, annotator_loglik

if TYPE_CHECKING:
    from dialectic.learned._fit import Preferences


class HeldOut(Protocol):
    """The held-out parts of a split (dialectic.preferences.Split has them)."""

    @property
    def heldout_seen(self) -> Preferences: ...
    @property
    def heldout_unseen(self) -> Preferences: ...


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Score(_Out):
    comparisons: int
    accuracy: float | None
    loglik: float | None  # mean per comparison


class ComponentRow(_Out):
    component: str
    annotators: int  # assigned among the evaluated annotators
    heldout: Score
    groups: dict[str, int]  # known true groups of its annotators


class GroupRow(_Out):
    group: str
    annotators: int
    component: str | None  # the component most of its annotators are in
    mixture: Score
    pooled: Score
    oracle: Score | None  # None when the fit saw no training comparison of this group


class Worst(_Out):
    group: str
    accuracy: float | None


class FitEvaluation(_Out):
    model: str
    data: str
    same_data: bool  # DATA is what the model was fitted on (its held-out parts are scored)
    seen_annotators: int
    unseen_annotators: int
    mixture: Score
    pooled: Score
    components: list[ComponentRow]
    groups: list[GroupRow]
    ari: float | None  # components vs true groups, every assigned annotator with a known group
    ari_seen: float | None
    ari_unseen: float | None
    worst_mixture: Worst | None  # the true group with the lowest held-out accuracy under each model
    worst_pooled: Worst | None
    worst_oracle: Worst | None


def _none(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def _score(margins: np.ndarray) -> Score:
    return Score(comparisons=len(margins), accuracy=_none(accuracy(margins)), loglik=_none(mean_loglik(margins)))


def halves(annotator: np.ndarray, n_annotators: int, seed: int) -> np.ndarray:
    """True for the comparisons that assign an annotator (the first half, rounded up, of its comparisons
    in a random order drawn from ``seed``), False for those that score it."""
    annotator = np.asarray(annotator, dtype=np.int64)
    rng = np.random.default_rng([seed, 1])
    order = np.lexsort((rng.random(len(annotator)), annotator))
    counts = np.bincount(annotator, minlength=n_annotators)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(annotator), dtype=np.int64)
    rank[order] = np.arange(len(annotator)) - start[annotator[order]]
    return rank < (counts[annotator] + 1) // 2


def assign_unseen(model: FittedModel, X: np.ndarray, data: Comparisons, n_annotators: int) -> np.ndarray:
    """The component of each annotator by an E-step on ``data`` (-1 for annotators without comparisons)."""
    L = annotator_loglik(X, model.heads, data, n_annotators)
    if model.manifest.estep == "soft":
        with np.errstate(divide="ignore"):
            L = L + np.log([c.share for c in model.manifest.components])[None, :]
    out = np.argmax(L, axis=1).astype(np.int64)
    out[np.bincount(data.annotator, minlength=n_annotators) == 0] = -1
    return out


def _worst(rows: list[GroupRow], pick: str) -> Worst | None:
    scored = [(getattr(r, pick).accuracy, r.group) for r in rows
              if getattr(r, pick) is not None and getattr(r, pick).accuracy is not None]
    if not scored:
        return None
    value, group = min(scored)
    return Worst(group=group, accuracy=value)


def evaluate_fit(model: FittedModel, X: np.ndarray, annotators: Sequence[str], groups: Sequence[str | None],
                 scored: Comparisons, unseen: Comparisons, *, seed: int = 0, data_name: str = "",
                 same_data: bool = False) -> FitEvaluation:
    """Score ``model`` (module docstring). ``X``: features of the data's items; ``scored``: held-out
    comparisons of annotators the model saw (the others are ignored there); ``unseen``: comparisons of
    annotators it did not see, split in halves to assign and to score them."""
    X = np.asarray(X, dtype=np.float64)
    n = len(annotators)
    component = np.full(n, -1, dtype=np.int64)
    known = model.assignment_of(annotators)
    index = {a: i for i, a in enumerate(annotators)}
    for name, k in known.items():
        component[index[name]] = k
    seen = component >= 0
    is_unseen_cmp = ~seen[unseen.annotator]
    unseen = unseen.subset(is_unseen_cmp)
    first = halves(unseen.annotator, n, seed)
    assigned = assign_unseen(model, X, unseen.subset(first), n)
    newly = (~seen) & (assigned >= 0)
    component[newly] = assigned[newly]
    keep = seen[scored.annotator]
    chosen = np.concatenate([scored.chosen[keep], unseen.chosen[~first]])
    rejected = np.concatenate([scored.rejected[keep], unseen.rejected[~first]])
    who = np.concatenate([scored.annotator[keep], unseen.annotator[~first]])
    scorable = component[who] >= 0
    chosen, rejected, who = chosen[scorable], rejected[scorable], who[scorable]
    heads = X @ model.heads.T  # (items, k)
    mixture_margin = heads[chosen, component[who]] - heads[rejected, component[who]]
    pooled_scores = X @ model.pooled
    pooled_margin = pooled_scores[chosen] - pooled_scores[rejected]
    names = model.component_names

    group_names = sorted({g for g in groups if g is not None})
    components = []
    for k in range(model.k):
        mask = component[who] == k
        members = np.flatnonzero(component == k)
        counts: dict[str, int] = {}
        for a in map(int, members):
            if groups[a] is not None:
                counts[str(groups[a])] = counts.get(str(groups[a]), 0) + 1
        components.append(ComponentRow(component=names[k], annotators=len(members),
                                       heldout=_score(mixture_margin[mask]), groups=counts))
    rows = []
    oracle_index = {g: j for j, g in enumerate(model.manifest.oracle_groups)}
    for g in group_names:
        members = np.array([groups[a] == g for a in range(n)])
        mask = members[who]
        assigned_members = component[members & (component >= 0)]
        majority = (names[int(np.bincount(assigned_members, minlength=model.k).argmax())]
                    if len(assigned_members) else None)
        oracle = None
        if model.oracle is not None and g in oracle_index:
            o = X @ model.oracle[oracle_index[g]]
            oracle = _score(o[chosen[mask]] - o[rejected[mask]])
        rows.append(GroupRow(group=g, annotators=int(members.sum()), component=majority,
                             mixture=_score(mixture_margin[mask]), pooled=_score(pooled_margin[mask]), oracle=oracle))

    def ari(mask: np.ndarray) -> float | None:
        labelled = mask & (component >= 0) & np.array([g is not None for g in groups], dtype=bool)
        if labelled.sum() < 2:
            return None
        truth = np.array([group_names.index(str(groups[int(a)])) for a in np.flatnonzero(labelled)])
        return adjusted_rand_index(truth, component[labelled])

    everyone = np.ones(n, dtype=bool)
    return FitEvaluation(
        model=str(model.path or ""), data=data_name, same_data=same_data,
        seen_annotators=int(seen.sum()), unseen_annotators=int(newly.sum()),
        mixture=_score(mixture_margin), pooled=_score(pooled_margin), components=components, groups=rows,
        ari=ari(everyone), ari_seen=ari(seen), ari_unseen=ari(newly),
        worst_mixture=_worst(rows, "mixture"), worst_pooled=_worst(rows, "pooled"), worst_oracle=_worst(rows, "oracle"),
    )


def evaluate_preferences(model: FittedModel, data: Preferences, X: np.ndarray, split: HeldOut | None = None, *,
                         seed: int = 0) -> FitEvaluation:
    """Evaluate on a preference data set: its held-out parts when ``split`` (of this data, the fit's split)
    is given, else every comparison (annotators the fit saw keep their component; the others are assigned
    on half of their comparisons and scored on the rest)."""
    from dialectic.learned._fit import comparisons

    whole = comparisons(data)
    scored = whole if split is None else comparisons(split.heldout_seen)
    unseen = whole if split is None else comparisons(split.heldout_unseen)
    return evaluate_fit(model, X, data.annotators, data.groups, scored, unseen, seed=seed, data_name=data.source,
                        same_data=split is not None)
