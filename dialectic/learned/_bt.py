"""Bradley-Terry on item features: P(a over b) = sigmoid(w . (x_a - x_b)), L2-regularised, fitted by L-BFGS.

The fit never builds an (n_comparisons, d) matrix. Comparisons are first aggregated to the distinct ordered
(chosen, rejected) item pairs with a weight each (their count, or the sum of the per-comparison weights), so
10^6 comparisons over 200 items become at most 200 * 199 pairs. Then, per evaluation of the objective:

    s = X @ w                         scores of the items                 (n_items,)
    m = s[chosen] - s[rejected]       margins of the pairs                (n_pairs,)
    loglik = c . log sigmoid(m)       c: the pairs' weights
    r = c * sigmoid(-m)               residuals
    grad loglik = X.T @ (bincount(chosen, r) - bincount(rejected, r))

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
    """log(sigmoid(x)), stable for large |x|."""
    return -np.logaddexp(0.0, -x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """sigmoid(x) = 1 / (1 + exp(-x)), stable for large |x| (written with tanh)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class Pairs:
    """Comparisons as distinct ordered (chosen, rejected) item pairs: ``index[n]`` is comparison n's pair."""

    chosen: np.ndarray  # (p,) int64
    rejected: np.ndarray  # (p,) int64
    index: np.ndarray  # (n,) int64
    n_items: int

    def __len__(self) -> int:
        return len(self.chosen)

    def weights(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Each pair's total weight: its number of comparisons, or the sum of their ``weights``."""
        return np.bincount(self.index, weights=weights, minlength=len(self)).astype(np.float64)


def pairs_of(chosen: np.ndarray, rejected: np.ndarray, n_items: int) -> Pairs:
    """Aggregate comparisons (index arrays into the items) to their distinct ordered pairs."""
    chosen = np.asarray(chosen, dtype=np.int64)
    rejected = np.asarray(rejected, dtype=np.int64)
    if chosen.shape != rejected.shape or chosen.ndim != 1:
        raise ValueError(f"chosen and rejected must be 1-d arrays of one length, found {chosen.shape} and "
                         f"{rejected.shape}")
    if len(chosen) and (min(chosen.min(), rejected.min()) < 0 or max(chosen.max(), rejected.max()) >= n_items):
        raise ValueError(f"item indices must lie in [0, {n_items}); found {min(chosen.min(), rejected.min())} "
                         f"to {max(chosen.max(), rejected.max())}")
    keys, index = np.unique(chosen * n_items + rejected, return_inverse=True)
    return Pairs(keys // n_items, keys % n_items, index.reshape(-1).astype(np.int64), n_items)


def objective(w: np.ndarray, X: np.ndarray, pairs: Pairs, counts: np.ndarray,
              l2: float) -> tuple[float, np.ndarray]:
    """The penalised log-likelihood loglik(w) - l2/2 |w|^2 of pairs with weights ``counts``, and its gradient
    in w (item-level aggregation, see the module docstring)."""
    scores = X @ w
    margins = scores[pairs.chosen] - scores[pairs.rejected]
    value = float(counts @ log_sigmoid(margins)) - 0.5 * l2 * float(w @ w)
    residual = counts * sigmoid(-margins)
    per_item = (np.bincount(pairs.chosen, weights=residual, minlength=pairs.n_items)
                - np.bincount(pairs.rejected, weights=residual, minlength=pairs.n_items))
    return value, X.T @ per_item - l2 * w


def fit_pairs(X: np.ndarray, pairs: Pairs, counts: np.ndarray, *, l2: float = L2,
              w0: np.ndarray | None = None) -> np.ndarray:
    """Maximise the penalised log-likelihood of weighted pairs from ``w0`` (zeros by default).

    L-BFGS on the objective divided by the total weight (so its tolerance means the same on 10^2 as on 10^6
    comparisons). The result is never worse than ``w0`` (L-BFGS's line search guarantees it; checked), which
    the EM's monotone log-likelihood relies on. Pairs of weight 0 are left out; no weight at all gives the
    prior's maximum, w = 0."""
    from scipy.optimize import minimize

    d = X.shape[1]
    start = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64)
    keep = counts > 0
    total = float(counts[keep].sum())
    if total == 0.0:
        return np.zeros(d)
    if not keep.all():
        pairs = Pairs(pairs.chosen[keep], pairs.rejected[keep], pairs.index, pairs.n_items)
        counts = counts[keep]

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
        return fit_pairs(X, pairs, pairs.weights(weights), l2=l2, w0=w0)


def bt_loglik(X: np.ndarray, w: np.ndarray, chosen: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """log P(chosen over rejected) of every comparison under head w (n,), unpenalised."""
    scores = np.asarray(X, dtype=np.float64) @ w
    return log_sigmoid(scores[chosen] - scores[rejected])
