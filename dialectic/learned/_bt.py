"""Bradley-Terry on item features: P(a over b) = sigmoid(w . (x_a - x_b)), L2-regularised, fitted by L-BFGS.

The fit never builds an (n_comparisons, d) matrix. Comparisons are first aggregated to the distinct
unordered item pairs {a, b} (a < b) with two weights each, c1 (comparisons a won) and c2 (b won): their
counts, or the sums of per-comparison weights. So 10^6 comparisons over 200 items become at most
200 * 199 / 2 pairs. Then, per evaluation of the objective:

    s = X @ w                                 scores of the items        (n_items,)
    m = s[a] - s[b]                           margins of the pairs       (n_pairs,)
    loglik = (c1 + c2) . log sigmoid(m) - c2 . m          (log sigmoid(-m) = log sigmoid(m) - m)
    r = (c1 + c2) * sigmoid(-m) - c2          d loglik / d m
    grad loglik = X.T @ (bincount(a, r) - bincount(b, r))

The objective maximised is the penalised log-likelihood  loglik(w) - l2 / 2 * |w|^2  (a Gaussian prior of
variance 1 / l2 on every weight; ``L2`` = 1.0 by default, absolute, not scaled by the number of
comparisons, so it matters on small data and fades on large data). It keeps the fit finite when the data
are separable (a noiseless annotator) and, for one-hot features, picks the one solution among the
equivalent ones (adding a constant to every option of an issue changes no margin) whose options' weights
sum to zero within each issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

#: Default L2 penalty on the head's weights (see the module docstring).
L2 = 1.0
#: L-BFGS's limits: iterations, and the tolerance on the gradient of the objective per comparison.
MAX_ITER = 1000
GTOL = 1e-9


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run BLAS single-threaded: the fit's matrix products are small, and OpenBLAS's threads only wait on
    each other (measured: a K=5 mixture 3.6x slower with two threads on a shared 2-core machine)."""
    import scipy.optimize  # noqa: F401  (loads scipy's own OpenBLAS first, so the limit reaches it too)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x| (and 5x faster than
    -logaddexp(0, -x))."""
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """sigmoid(x) = 1 / (1 + exp(-x)), stable for large |x| (written with tanh)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class Pairs:
    """Comparisons as distinct unordered item pairs (``first`` < ``second``): comparison n is pair
    ``index[n]``, won by the pair's second item where ``second_won[n]``. A pair's data are two weights, the
    comparisons its first item won and those its second item won, so both orders share one margin."""

    first: np.ndarray  # (p,) int64
    second: np.ndarray  # (p,) int64
    index: np.ndarray  # (n,) int64
    second_won: np.ndarray  # (n,) bool
    n_items: int

    def __len__(self) -> int:
        return len(self.first)

    def counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """(2, p): each pair's comparisons won by its first item and by its second (or the sums of their
        ``weights``)."""
        w = np.ones(len(self.index)) if weights is None else np.asarray(weights, dtype=np.float64)
        second = np.bincount(self.index, weights=w * self.second_won, minlength=len(self))
        return np.stack([np.bincount(self.index, weights=w, minlength=len(self)) - second, second])


def pairs_of(chosen: np.ndarray, rejected: np.ndarray, n_items: int) -> Pairs:
    """Aggregate comparisons (index arrays into the items) to their distinct unordered pairs."""
    chosen = np.asarray(chosen, dtype=np.int64)
    rejected = np.asarray(rejected, dtype=np.int64)
    if chosen.shape != rejected.shape or chosen.ndim != 1:
        raise ValueError(f"chosen and rejected must be 1-d arrays of one length, found {chosen.shape} and "
                         f"{rejected.shape}")
    if len(chosen) and (min(chosen.min(), rejected.min()) < 0 or max(chosen.max(), rejected.max()) >= n_items):
        raise ValueError(f"item indices must lie in [0, {n_items}); found {min(chosen.min(), rejected.min())} "
                         f"to {max(chosen.max(), rejected.max())}")
    low, high = np.minimum(chosen, rejected), np.maximum(chosen, rejected)
    keys, index = np.unique(low * n_items + high, return_inverse=True)
    return Pairs(keys // n_items, keys % n_items, index.reshape(-1).astype(np.int64), chosen > rejected, n_items)


def pair_margins(X: np.ndarray, W: np.ndarray, pairs: Pairs) -> np.ndarray:
    """score(first) - score(second) of every pair under head(s) W: (p,) for a head, (p, k) for k heads."""
    scores = X @ W.T if W.ndim == 2 else X @ W
    return scores[pairs.first] - scores[pairs.second]


def objective(w: np.ndarray, X: np.ndarray, pairs: Pairs, counts: np.ndarray,
              l2: float) -> tuple[float, np.ndarray]:
    """The penalised log-likelihood loglik(w) - l2/2 |w|^2 of pairs with weights ``counts`` (2, p), and its
    gradient in w (item-level aggregation, see the module docstring). With m the pair's margin (first over
    second), a first-item win adds log sigmoid(m), a second-item win log sigmoid(-m) = log sigmoid(m) - m."""
    margins = pair_margins(X, w, pairs)
    first, second = counts
    total = first + second
    small = np.exp(-np.abs(margins))  # shared by log sigmoid(m) and sigmoid(-m)
    log_first = np.minimum(margins, 0.0) - np.log1p(small)
    value = float(total @ log_first) - float(second @ margins) - 0.5 * l2 * float(w @ w)
    sigmoid_neg = np.where(margins >= 0, small, 1.0) / (1.0 + small)  # sigmoid(-m)
    residual = total * sigmoid_neg - second  # d loglik / d m
    per_item = (np.bincount(pairs.first, weights=residual, minlength=pairs.n_items)
                - np.bincount(pairs.second, weights=residual, minlength=pairs.n_items))
    return value, X.T @ per_item - l2 * w


def fit_pairs(X: np.ndarray, pairs: Pairs, counts: np.ndarray, *, l2: float = L2,
              w0: np.ndarray | None = None) -> np.ndarray:
    """Maximise the penalised log-likelihood of weighted pairs (``counts`` (2, p)) from ``w0`` (zeros by
    default).

    L-BFGS on the objective divided by the total weight (so its tolerance means the same on 10^2 as on 10^6
    comparisons). The result is never worse than ``w0`` (L-BFGS's line search guarantees it; checked), which
    the EM's monotone log-likelihood relies on. Pairs of weight 0 are left out; no weight at all gives the
    prior's maximum, w = 0."""
    from scipy.optimize import minimize

    d = X.shape[1]
    start = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64)
    keep = counts.sum(axis=0) > 0
    total = float(counts[:, keep].sum())
    if total == 0.0:
        return np.zeros(d)
    if not keep.all():
        pairs = Pairs(pairs.first[keep], pairs.second[keep], pairs.index, pairs.second_won, pairs.n_items)
        counts = counts[:, keep]

    def negative(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective(w, X, pairs, counts, l2)
        return -value / total, -grad / total

    result = minimize(negative, start, jac=True, method="L-BFGS-B",
                      options={"maxiter": MAX_ITER, "gtol": GTOL, "ftol": 1e-15, "maxcor": 20})
    w = np.asarray(result.x, dtype=np.float64)
    if negative(w)[0] > negative(start)[0]:
        return start.copy()
    return w


def fit_bt(X: np.ndarray, chosen: np.ndarray, rejected: np.ndarray, *, l2: float = L2,
           weights: np.ndarray | None = None, w0: np.ndarray | None = None) -> np.ndarray:
    """The Bradley-Terry head w (d,) of comparisons ``chosen[n]`` over ``rejected[n]`` (indices into the rows
    of the item features ``X`` (n_items, d)), with optional per-comparison ``weights`` (a soft E-step's
    responsibilities), maximising the L2-penalised log-likelihood."""
    X = np.asarray(X, dtype=np.float64)
    pairs = pairs_of(chosen, rejected, len(X))
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != pairs.index.shape or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("weights must be finite, non-negative and one per comparison")
    with one_blas_thread():
        return fit_pairs(X, pairs, pairs.counts(weights), l2=l2, w0=w0)


def bt_loglik(X: np.ndarray, w: np.ndarray, chosen: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """log P(chosen over rejected) of every comparison under head w (n,), unpenalised."""
    scores = np.asarray(X, dtype=np.float64) @ w
    return log_sigmoid(scores[chosen] - scores[rejected])
