"""Significance tests for seed-matched differences d_i = metric(a, seed i) - metric(b, seed i).

Two tests of "no difference between a and b", both two-sided and both free of a normality assumption:

- **Sign-flip permutation test** (the paired randomisation test): under the null each d_i is as likely
  to be -d_i, so the observed |mean(d)| is compared with |mean(s * d)| over sign vectors s. With
  n <= EXACT_PAIRS every one of the 2^n vectors is enumerated (an exact p-value, no randomness);
  above that `n_resamples` vectors are drawn from the caller's generator and
  p = (1 + #{|mean(s d)| >= |mean(d)|}) / (1 + n_resamples), which never reports 0.
- **Wilcoxon signed-rank** (scipy.stats.wilcoxon, zero differences dropped, exact distribution for
  small samples): tests the ranks, so one huge pair cannot dominate it.

Both give None when there is nothing to test (no pair, or every difference is 0: the null holds exactly
on the sample and a p-value of 1 would be a statement about nothing).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from numpy.typing import ArrayLike

#: Up to this many pairs the permutation test enumerates every sign vector (2^16 = 65536 of them).
EXACT_PAIRS = 16

#: Differences this close to 0 (relative to the largest |d|) count as ties: float noise of a - b.
_TIE = 1e-12


def _differences(diffs: ArrayLike) -> np.ndarray:
    d = np.asarray(diffs, dtype=float)
    if d.ndim != 1:
        raise ValueError("expected a one-dimensional sample of paired differences")
    if not np.all(np.isfinite(d)):
        raise ValueError("paired differences contain NaN or infinite values")
    return np.where(np.abs(d) <= _TIE * max(1.0, float(np.max(np.abs(d), initial=0.0))), 0.0, d)


def sign_flip_p_value(diffs: ArrayLike, rng: np.random.Generator, n_resamples: int = 9999) -> float | None:
    """Two-sided p-value of the sign-flip permutation test on the mean difference (module docstring)."""
    d = _differences(diffs)
    if d.size == 0 or not np.any(d):
        return None
    observed = abs(float(np.mean(d)))
    # Compare with a relative tolerance so a sign vector giving the same |mean| up to rounding counts.
    tolerance = 1e-12 * max(1.0, float(np.max(np.abs(d))))
    if d.size <= EXACT_PAIRS:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
        stats = np.abs(signs @ d) / d.size
        return float(np.mean(stats >= observed - tolerance))
    signs = rng.choice(np.array([1.0, -1.0]), size=(n_resamples, d.size))
    stats = np.abs(signs @ d) / d.size
    return float((1 + np.sum(stats >= observed - tolerance)) / (1 + n_resamples))


def wilcoxon_p_value(diffs: ArrayLike) -> float | None:
    """Two-sided p-value of the Wilcoxon signed-rank test (zeros dropped, scipy's default method)."""
    from scipy import stats

    d = _differences(diffs)
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return None
    with warnings.catch_warnings():
        # A sample too small for the normal approximation is fine: scipy uses the exact distribution.
        warnings.simplefilter("ignore", UserWarning)
        return float(stats.wilcoxon(nonzero, alternative="two-sided").pvalue)
