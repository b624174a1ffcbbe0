"""Bradley-Terry on item features: the item-level gradient against finite differences, the fit against a direct
minimisation of the per-comparison likelihood, recovery of known weights, weights as repeated comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from dialectic.learned import fit_bt
from dialectic.learned._bt import fit_pairs, objective, pairs_of


def _synthetic(n_items: int, d: int, n: int, seed: int, scale: float = 1.5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_items, d))
    w = rng.normal(size=d) * scale
    a = rng.integers(n_items, size=n)
    b = (a + 1 + rng.integers(n_items - 1, size=n)) % n_items
    p = 1.0 / (1.0 + np.exp(-(X[a] - X[b]) @ w))
    wins = rng.random(n) < p
    return X, w, np.where(wins, a, b), np.where(wins, b, a)


def _direct(X, chosen, rejected, l2, weights=None):
    """The penalised likelihood written per comparison (the (n, d) difference matrix), minimised by BFGS
    with numerical gradients: an independent computation."""
    D = X[chosen] - X[rejected]
    c = np.ones(len(D)) if weights is None else weights

    def negative(w):
        return float(c @ np.logaddexp(0.0, -D @ w)) + 0.5 * l2 * float(w @ w)

    return minimize(negative, np.zeros(X.shape[1]), method="BFGS", options={"gtol": 1e-10}).x


def test_gradient_matches_finite_differences() -> None:
    X, _, chosen, rejected = _synthetic(12, 5, 300, seed=1)
    pairs = pairs_of(chosen, rejected, len(X))
    counts = pairs.counts(np.random.default_rng(2).uniform(0.1, 2.0, len(chosen)))
    w = np.random.default_rng(3).normal(size=5)
    value, grad = objective(w, X, pairs, counts, l2=0.7)
    step = 1e-6
    numeric = np.array([(objective(w + step * e, X, pairs, counts, 0.7)[0]
                         - objective(w - step * e, X, pairs, counts, 0.7)[0]) / (2 * step) for e in np.eye(5)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)
    # and the value is the per-comparison sum
    D = X[chosen] - X[rejected]
    rows = np.random.default_rng(2).uniform(0.1, 2.0, len(chosen))
    assert value == pytest.approx(float(rows @ -np.logaddexp(0, -D @ w)) - 0.35 * float(w @ w), rel=1e-12)


@pytest.mark.parametrize("l2", [0.1, 1.0, 10.0])
def test_fit_equals_a_direct_fit_of_the_plain_likelihood(l2: float) -> None:
    X, _, chosen, rejected = _synthetic(8, 4, 200, seed=4)
    np.testing.assert_allclose(fit_bt(X, chosen, rejected, l2=l2), _direct(X, chosen, rejected, l2), atol=1e-4)


def test_weights_equal_repeated_comparisons_and_a_direct_weighted_fit() -> None:
    X, _, chosen, rejected = _synthetic(8, 4, 150, seed=5)
    repeat = np.random.default_rng(6).integers(0, 4, size=len(chosen))
    weighted = fit_bt(X, chosen, rejected, l2=0.5, weights=repeat.astype(float))
    repeated = fit_bt(X, np.repeat(chosen, repeat), np.repeat(rejected, repeat), l2=0.5)
    np.testing.assert_allclose(weighted, repeated, atol=1e-7)
    soft = np.random.default_rng(7).uniform(0, 1, len(chosen))
    np.testing.assert_allclose(fit_bt(X, chosen, rejected, l2=0.5, weights=soft),
                               _direct(X, chosen, rejected, 0.5, soft), atol=1e-4)


def test_recovers_known_weights() -> None:
    X, w, chosen, rejected = _synthetic(60, 6, 40_000, seed=8)
    fitted = fit_bt(X, chosen, rejected, l2=1e-3)
    assert np.max(np.abs(fitted - w)) < 0.1 * np.max(np.abs(w))
    assert np.corrcoef(fitted, w)[0, 1] > 0.999


def test_a_fit_is_never_worse_than_its_start_and_no_data_gives_zero() -> None:
    X, _, chosen, rejected = _synthetic(10, 3, 100, seed=9)
    pairs = pairs_of(chosen, rejected, len(X))
    counts = pairs.counts()
    best = fit_pairs(X, pairs, counts, l2=1.0)
    assert objective(best, X, pairs, counts, 1.0)[0] >= objective(np.ones(3), X, pairs, counts, 1.0)[0]
    again = fit_pairs(X, pairs, counts, l2=1.0, w0=best)
    assert objective(again, X, pairs, counts, 1.0)[0] >= objective(best, X, pairs, counts, 1.0)[0]
    np.testing.assert_array_equal(fit_pairs(X, pairs, np.zeros((2, len(pairs))), l2=1.0, w0=np.ones(3)), np.zeros(3))


def test_both_orders_of_a_pair_share_one_margin() -> None:
    chosen, rejected = np.array([0, 1, 1, 2, 0]), np.array([1, 0, 0, 0, 2])
    pairs = pairs_of(chosen, rejected, 3)
    assert len(pairs) == 2 and list(pairs.first) == [0, 0] and list(pairs.second) == [1, 2]
    np.testing.assert_array_equal(pairs.counts(), [[1, 1], [2, 1]])  # {0,1}: 0 won once, 1 twice; {0,2}: 1, 1


def test_separable_data_stays_finite_and_onehot_weights_centre_per_issue() -> None:
    # Two issues of 3 and 2 options; the annotator always prefers option 0 of issue 0 (noiseless).
    X = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 1, 0], [0, 0, 1, 0, 1], [1, 0, 0, 0, 1]], dtype=float)
    chosen, rejected = np.array([0, 3, 0, 3]), np.array([1, 2, 2, 1])
    w = fit_bt(X, chosen, rejected, l2=1.0)
    assert np.all(np.isfinite(w))
    assert abs(w[:3].sum()) < 1e-6 and abs(w[3:].sum()) < 1e-6  # the minimum-norm solution


def test_bad_indices_are_refused() -> None:
    X = np.eye(3)
    with pytest.raises(ValueError, match="item indices"):
        fit_bt(X, np.array([0, 3]), np.array([1, 2]))
    with pytest.raises(ValueError, match="weights"):
        fit_bt(X, np.array([0]), np.array([1]), weights=np.array([-1.0]))
