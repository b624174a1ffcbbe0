"""The number of lattice points of a continuous space with a total (space._lattice.lattice_size), against a
brute-force enumeration of every point. (The fuzzed file whose count was quadratic in its steps,
tests/fuzz/corpus/scenario/255de37689d0.yaml, is replayed by tests/fuzz/test_corpus.py.)"""

from __future__ import annotations

import itertools

import pytest

from dialectic.scenario._schema import ContinuousIssue, ContinuousSpaceSpec
from dialectic.space._lattice import lattice_size


def brute(lows: list[int], highs: list[int], total: int) -> int:
    """Points (in steps) with each issue in [low, high] and the issues summing to total."""
    return sum(1 for point in itertools.product(*(range(lo, hi + 1) for lo, hi in zip(lows, highs, strict=True)))
               if sum(point) == total)


@pytest.mark.parametrize(("lows", "highs", "total"), [
    ([0, 0, 0, 0], [20, 20, 20, 20], 20),  # budget-split: 1771
    ([0, 0, 0], [3, 5, 2], 6),
    ([-4, 0, 1], [2, 7, 3], 5),
    ([0, 0], [10, 10], 25),  # more than every issue can hold: none
    ([-3, -3, -3], [3, 3, 3], 0),
    ([0], [9], 4),
])
def test_lattice_size_equals_brute_force(lows: list[int], highs: list[int], total: int) -> None:
    step = 0.05
    issues = [ContinuousIssue(id=f"i{k}", low=lo * step, high=hi * step, step=step)
              for k, (lo, hi) in enumerate(zip(lows, highs, strict=True))]
    # built without validation: the scenario checks refuse totals that leave fewer than two points, and the
    # count must be right there too
    space = ContinuousSpaceSpec.model_construct(kind="continuous", total=total * step, issues=issues)
    assert lattice_size(space) == brute(lows, highs, total)

