"""Worst run and CVaR against hand-worked examples and a brute-force definition."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from dialectic.bench import cvar, tail_size, worst_run


@pytest.mark.parametrize(
    ("n", "alpha", "k"),
    [
        (1, 0.1, 1),
        (5, 0.1, 1),
        (10, 0.1, 1),
        (11, 0.1, 2),
        (20, 0.1, 2),
        (21, 0.1, 3),
        (30, 0.1, 3),
        (70, 0.1, 7),
        (100, 0.07, 7),  # 0.07 * 100 = 7.000000000000001 in floating point: still 7
        (50, 0.14, 7),  # 0.14 * 50 = 7.000000000000001
        (100, 0.1, 10),
        (4, 0.25, 1),
        (5, 0.25, 2),
        (3, 1.0, 3),
        (7, 0.5, 4),
    ],
)
def test_tail_size(n: int, alpha: float, k: int) -> None:
    assert tail_size(n, alpha) == k


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5])
def test_tail_size_rejects_bad_alpha(alpha: float) -> None:
    with pytest.raises(ValueError):
        tail_size(5, alpha)


def test_hand_worked_small_samples() -> None:
    # n = 3 at 10 %: k = ceil(0.3) = 1, CVaR is the worst run.
    assert worst_run([0.9, 0.2, 0.5]) == 0.2
    assert cvar([0.9, 0.2, 0.5]) == 0.2
    # n = 1: the only value, for both.
    assert worst_run([0.7]) == cvar([0.7]) == 0.7
    # n = 20 at 10 %: k = 2, the two lowest of 0.05, 0.10, ..., 1.00 are 0.05 and 0.10.
    values = [i / 20 for i in range(20, 0, -1)]
    assert cvar(values) == pytest.approx(0.075)
    assert worst_run(values) == 0.05
    # n = 12 at 25 %: k = 3, the three lowest of [4, 1, 7, 3, 9, 2, 8, 5, 6, 10, 11, 12] are 1, 2, 3.
    assert cvar([4, 1, 7, 3, 9, 2, 8, 5, 6, 10, 11, 12], alpha=0.25) == pytest.approx(2.0)
    # Lower is better (regret): the worst runs are the highest. n = 11 at 10 %: k = 2 -> (0.9 + 0.8) / 2.
    regret = [0.0, 0.1, 0.9, 0.2, 0.8, 0.0, 0.3, 0.1, 0.0, 0.2, 0.4]
    assert worst_run(regret, higher_is_better=False) == 0.9
    assert cvar(regret, higher_is_better=False) == pytest.approx(0.85)
    # Ties: [0.3, 0.3, 0.3, 1, ...] with k = 2 averages two of the tied values.
    assert cvar([1.0, 0.3, 1.0, 0.3, 1.0, 0.3, 1.0, 1.0, 1.0, 1.0, 1.0]) == pytest.approx(0.3)


def _brute_force_cvar(values: list[float], alpha: float, higher_is_better: bool) -> float:
    """Straight from the definition: the worst (lowest, or highest) mean over all k-subsets."""
    n = len(values)
    k = min(n, max(1, math.ceil(Fraction(str(alpha)) * n)))
    means = [sum(c) / k for c in itertools.combinations(values, k)]
    return min(means) if higher_is_better else max(means)


@pytest.mark.parametrize("case", range(200))
def test_cvar_and_worst_run_match_brute_force(case: int) -> None:
    rng = np.random.default_rng(case)
    n = int(rng.integers(1, 11))
    alpha = float(rng.choice([0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0]))
    higher = bool(rng.integers(2))
    # A coarse grid makes ties frequent.
    values = [float(v) for v in rng.integers(0, 6, size=n) / 5]
    assert cvar(values, alpha, higher) == pytest.approx(_brute_force_cvar(values, alpha, higher))
    worst = values[0]
    for v in values:
        worst = min(worst, v) if higher else max(worst, v)
    assert worst_run(values, higher) == worst
    # CVaR lies between the worst run and the mean.
    mean = sum(values) / n
    lo, hi = sorted((worst, mean))
    assert lo - 1e-12 <= cvar(values, alpha, higher) <= hi + 1e-12


def test_rejects_empty_and_nan() -> None:
    with pytest.raises(ValueError):
        cvar([])
    with pytest.raises(ValueError):
        worst_run([0.1, float("nan")])
