"""A deterministic annotator-level train / held-out split.

Two held-out parts answer two questions: held-out comparisons of annotators seen in training (does the
fit predict its own annotators' other choices?) and wholly held-out annotators (does it generalise to
people it never saw, once their component is known?). Wholly held-out annotators are drawn per true
group where groups are known (stratified, so a small group keeps its share), else uniformly; then each
remaining annotator's comparisons are drawn from. Shares round to the nearest whole number, but a
stratum always keeps one annotator in training and a seen annotator one comparison, so nothing held out
is without training data of its kind. One numpy Generator seeded by `seed` makes every draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialectic.preferences._data import PreferenceData

#: Values of `Split.part`.
TRAIN, HELDOUT_SEEN, HELDOUT_UNSEEN = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Split:
    """The three parts (subsets of one data set: item and annotator indices shared), which part each
    comparison of the data went to (`part`, int8: TRAIN, HELDOUT_SEEN, HELDOUT_UNSEEN) and which
    annotators are wholly held out (`unseen`, bool per annotator)."""

    train: PreferenceData
    heldout_seen: PreferenceData
    heldout_unseen: PreferenceData
    part: np.ndarray
    unseen: np.ndarray


def _rounded(share: float, counts: np.ndarray) -> np.ndarray:
    """share * count rounded half up, at most count - 1 (one always stays), at least 0."""
    return np.clip(np.floor(share * counts + 0.5).astype(np.int64), 0, np.maximum(counts - 1, 0))


def split_annotators(data: PreferenceData, *, heldout_comparisons: float = 0.2, heldout_annotators: float = 0.2,
                     seed: int = 0) -> Split:
    """Hold out `heldout_annotators` of the annotators whole (per true group when known) and
    `heldout_comparisons` of each other annotator's comparisons; the rest is training data. Every
    comparison lands in exactly one part; the same data and seed give the same split."""
    for name, share in (("heldout_comparisons", heldout_comparisons), ("heldout_annotators", heldout_annotators)):
        if not 0 <= share < 1:
            raise ValueError(f"{name}: expected a share in [0, 1), found {share!r}")
    rng = np.random.default_rng(seed)
    active = data.per_annotator > 0
    stratum = data.true_group  # -1 (unknown) is a stratum of its own; all unknown: one uniform draw
    unseen = np.zeros(data.n_annotators, dtype=bool)
    for s in np.unique(stratum[active]):
        members = np.flatnonzero(active & (stratum == s))
        k = int(_rounded(heldout_annotators, np.array([len(members)]))[0])
        if k:
            unseen[rng.choice(members, size=k, replace=False)] = True

    part = np.full(len(data), TRAIN, dtype=np.int8)
    part[unseen[data.annotator]] = HELDOUT_UNSEEN
    # Each seen annotator's comparisons in a random order (one uniform key each); its first k go out.
    key = rng.random(len(data))
    order = np.lexsort((key, data.annotator))
    start = np.concatenate([[0], np.cumsum(data.per_annotator)[:-1]])
    rank = np.empty(len(data), dtype=np.int64)
    rank[order] = np.arange(len(data)) - start[data.annotator[order]]
    out = _rounded(heldout_comparisons, data.per_annotator)
    part[(rank < out[data.annotator]) & ~unseen[data.annotator]] = HELDOUT_SEEN
    part.setflags(write=False)
    unseen.setflags(write=False)
    return Split(
        train=data.subset(part == TRAIN), heldout_seen=data.subset(part == HELDOUT_SEEN),
        heldout_unseen=data.subset(part == HELDOUT_UNSEEN), part=part, unseen=unseen,
    )
