"""The annotator-level split: a partition of the comparisons, deterministic under its seed, stratified by
true group when groups are known."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from dialectic.preferences import (
    HELDOUT_SEEN,
    HELDOUT_UNSEEN,
    TRAIN,
    PreferenceData,
    sample_comparisons,
    split_annotators,
)

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def data() -> PreferenceData:
    # 40 majority and 10 minority annotators, each with 10 to 30 comparisons (subsampled so counts differ).
    full = sample_comparisons(SCENARIOS / "majority-51-49.yaml", {"majority": 40, "minority": 10}, 30, 0.1, seed=2)
    rng = np.random.default_rng(0)
    keep = rng.integers(10, 31, size=full.n_annotators)
    rank = np.concatenate([np.arange(30)] * full.n_annotators)
    return full.subset(rank < keep[full.annotator])


def _key(part: PreferenceData) -> Counter[tuple[int, int, int]]:
    return Counter(zip(part.annotator.tolist(), part.chosen.tolist(), part.rejected.tolist(), strict=True))


def test_every_comparison_lands_in_exactly_one_part(data: PreferenceData) -> None:
    split = split_annotators(data, heldout_comparisons=0.2, heldout_annotators=0.2, seed=4)
    sizes = [len(split.train), len(split.heldout_seen), len(split.heldout_unseen)]
    assert sum(sizes) == len(data) and min(sizes) > 0
    assert _key(split.train) + _key(split.heldout_seen) + _key(split.heldout_unseen) == _key(data)
    for value, part in ((TRAIN, split.train), (HELDOUT_SEEN, split.heldout_seen),
                        (HELDOUT_UNSEEN, split.heldout_unseen)):
        assert np.array_equal(part.chosen, data.chosen[split.part == value])
        assert part.items == data.items and part.annotators == data.annotators and part.groups == data.groups
    # Wholly held-out annotators appear only there; every other annotator trains on at least one comparison.
    unseen = set(np.flatnonzero(split.unseen).tolist())
    assert set(split.heldout_unseen.annotator.tolist()) == unseen
    assert set(split.train.annotator.tolist()) == set(range(data.n_annotators)) - unseen
    assert not unseen & set(split.heldout_seen.annotator.tolist())
    # Each seen annotator holds out round(0.2 * its count) of its comparisons.
    for a in set(range(data.n_annotators)) - unseen:
        assert split.heldout_seen.per_annotator[a] == int(np.floor(0.2 * data.per_annotator[a] + 0.5))


def test_the_same_seed_gives_the_same_split(data: PreferenceData) -> None:
    first = split_annotators(data, seed=9)
    again = split_annotators(data, seed=9)
    other = split_annotators(data, seed=10)
    assert np.array_equal(first.part, again.part) and first.train.sha256() == again.train.sha256()
    assert not np.array_equal(first.part, other.part)


def test_held_out_annotators_are_stratified_by_true_group(data: PreferenceData) -> None:
    for seed in range(5):
        split = split_annotators(data, heldout_annotators=0.25, seed=seed)
        held = Counter(data.groups[a] for a in np.flatnonzero(split.unseen))
        assert held == {"majority": 10, "minority": 3}  # 0.25 * 40, 0.25 * 10 rounded half up


def test_without_groups_the_draw_is_uniform_and_a_stratum_keeps_one(data: PreferenceData) -> None:
    blind = PreferenceData(data.items, data.item_kind, data.annotators, data.chosen, data.rejected,
                           data.annotator, (None,) * data.n_annotators, "blind")
    split = split_annotators(blind, heldout_annotators=0.3, seed=0)
    assert split.unseen.sum() == 15
    counts = [sum(data.groups[a] == "minority" for a in np.flatnonzero(split_annotators(blind, seed=s).unseen))
              for s in range(30)]
    assert len(set(counts)) > 1  # not stratified: how many of the minority go out varies with the seed
    alone = sample_comparisons(SCENARIOS / "majority-51-49.yaml", {"majority": 3, "minority": 1}, 5, 0.1, seed=0)
    held = split_annotators(alone, heldout_annotators=0.5, seed=0)
    assert [alone.groups[a] for a in np.flatnonzero(held.unseen)] == ["majority"] * 2  # the lone minority stays


def test_shares_are_checked(data: PreferenceData) -> None:
    with pytest.raises(ValueError, match=r"heldout_annotators: expected a share in \[0, 1\)"):
        split_annotators(data, heldout_annotators=1.0)
    nothing = split_annotators(data, heldout_comparisons=0.0, heldout_annotators=0.0)
    assert len(nothing.train) == len(data) and not len(nothing.heldout_seen) and not len(nothing.heldout_unseen)
