"""The adjusted Rand index against scikit-learn's (an independent implementation, used only here), and the
accuracy and log-likelihood of margins against hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from dialectic.learned import accuracy, adjusted_rand_index, mean_loglik


def test_ari_matches_scikit_learn_on_random_labelings() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(2, 60))
        a = rng.integers(int(rng.integers(1, 6)), size=n)
        b = rng.integers(int(rng.integers(1, 6)), size=n)
        if rng.random() < 0.3:  # a noisy copy, so high values are covered too
            b = np.where(rng.random(n) < 0.8, a, b)
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


@pytest.mark.parametrize(("a", "b"), [
    ([0, 0, 1, 1], [1, 1, 0, 0]),  # renamed: 1
    ([0, 0, 0, 0], [0, 0, 0, 0]),  # one cluster each: 1
    ([0, 1, 2, 3], [0, 1, 2, 3]),  # all singletons: 1
    ([0, 0, 0, 0], [0, 1, 2, 3]),
    ([0, 0, 1, 1], [0, 1, 0, 1]),
    (["x", "x", "y"], [5, 5, 5]),
    ([0], [0]),
])
def test_ari_edge_cases_match_scikit_learn(a: list, b: list) -> None:
    assert adjusted_rand_index(np.array(a), np.array(b)) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_ari_of_a_hand_worked_case() -> None:
    # truth {0,1,2},{3,4,5}; found {0,1},{2,3,4,5}: pairs together in both 1+6=... worked via the formula
    # index = sum C(n_ij, 2) = C(2,2)+C(1,2)+C(3,2) = 1 + 0 + 3 = 4; rows C(3,2)*2 = 6; cols C(2,2)+C(4,2) = 7
    # expected = 6 * 7 / C(6,2) = 42 / 15 = 2.8; max = (6 + 7) / 2 = 6.5; ARI = (4 - 2.8) / (6.5 - 2.8)
    assert adjusted_rand_index(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1, 1])) == pytest.approx(
        1.2 / 3.7, abs=1e-12)


def test_accuracy_and_loglik_of_margins() -> None:
    margins = np.array([2.0, -1.0, 0.0, 0.5])
    assert accuracy(margins) == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    expected = np.mean([np.log(1 / (1 + np.exp(-m))) for m in margins])
    assert mean_loglik(margins) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(accuracy(np.array([]))) and np.isnan(mean_loglik(np.array([])))
