"""Worst run and CVaR (the mean of the worst runs) of a metric over seeds.

Definitions (DESIGN.md: "each group's worst run (min over seeds) and CVaR at 10 %"). Let x_1..x_n
be a metric's values over n >= 1 runs, and let "worse" mean lower for a metric where higher is
better (welfare) and higher for one where lower is better (regret, Gini).

- **Worst run** = the worst value: min_i x_i (or max_i x_i when lower is better).
- **Tail size** k(n, alpha) = ceil(alpha * n), at least 1 and at most n. alpha * n is rounded to 9
  decimals before the ceiling, so 0.07 * 100 counts as exactly 7 (in floating point it is
  7.000000000000001, which would give 8).
- **CVaR at alpha** = the mean of the k worst values: with x_(1) <= ... <= x_(n) sorted from worst
  to best, (1 / k) * sum_{i=1..k} x_(i). Equivalently, the lowest mean of any k of the n runs.

Small n at alpha = 10 %: n <= 10 gives k = 1, so CVaR equals the worst run; n = 11..20 gives k = 2;
n = 1 gives the only value. CVaR always lies between the worst run and the mean. When alpha * n is
not an integer this is slightly less conservative than the Rockafellar-Uryasev CVaR, which gives
the k-th worst run only the weight alpha * n - (k - 1) instead of a full share.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def tail_size(n: int, alpha: float) -> int:
    """k = ceil(alpha * n), clipped to [1, n]: the number of runs the CVaR averages."""
    if n < 1:
        raise ValueError("tail_size needs at least one run")
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], found {alpha}")
    return min(n, max(1, math.ceil(round(alpha * n, 9))))


def _values(values: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError("expected a non-empty one-dimensional sample")
    if not np.all(np.isfinite(x)):
        raise ValueError("sample contains NaN or infinite values")
    return x


def worst_run(values: ArrayLike, higher_is_better: bool = True) -> float:
    """The worst value over the runs (min, or max when lower is better)."""
    return float(worst_axis(_values(values), axis=-1, higher_is_better=higher_is_better))


def cvar(values: ArrayLike, alpha: float = 0.1, higher_is_better: bool = True) -> float:
    """The mean of the ceil(alpha * n) worst values (see the module docstring)."""
    return float(cvar_axis(_values(values), axis=-1, alpha=alpha, higher_is_better=higher_is_better))


# Vectorised forms, as scipy.stats.bootstrap calls them: statistic(x, axis=-1) over a batch of
# resamples. The tail size is taken from the length along `axis` at call time.


def mean_axis(x: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    return np.mean(x, axis=axis)


def worst_axis(x: NDArray[np.float64], axis: int = -1, higher_is_better: bool = True) -> NDArray[np.float64]:
    return np.min(x, axis=axis) if higher_is_better else np.max(x, axis=axis)


def cvar_axis(
    x: NDArray[np.float64], axis: int = -1, alpha: float = 0.1, higher_is_better: bool = True
) -> NDArray[np.float64]:
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    k = tail_size(x.shape[-1], alpha)
    ordered = np.sort(x, axis=-1)
    tail = ordered[..., :k] if higher_is_better else ordered[..., -k:]
    return np.mean(tail, axis=-1)
