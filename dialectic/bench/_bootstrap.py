"""A point estimate with a bootstrap confidence interval (scipy.stats.bootstrap), degenerate cases handled."""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict

Method = Literal["BCa", "percentile", "basic"]
Statistic = Callable[..., NDArray[np.float64]]

#: How the interval of an `Estimate` came about.
#: - "bootstrap": scipy.stats.bootstrap computed it (with `method`);
#: - "constant": every value in the sample is equal (n >= 2; to 1e-12 relative, so float noise in
#:   differences does not count), so every resample gives the same statistic: the interval is
#:   zero-width, low = high = value, and no resampling was done;
#: - "single": one value (n = 1): nothing to resample, the interval is undefined (low = high = None);
#: - "undefined": the sample varies but scipy returned no finite interval (e.g. a bootstrap
#:   distribution BCa cannot correct): low = high = None.
Status = Literal["bootstrap", "constant", "single", "undefined"]


class Estimate(BaseModel):
    """A statistic of a sample of runs, with its bootstrap confidence interval."""

    model_config = ConfigDict(extra="forbid")

    value: float
    low: float | None
    high: float | None
    n: int
    confidence: float
    status: Status
    #: The bootstrap method behind [low, high]; None when no resampling was done.
    method: Method | None = None
    #: The bootstrap standard error of the statistic (0 for a constant sample, None for n = 1).
    standard_error: float | None = None

    @property
    def width(self) -> float | None:
        return None if self.low is None or self.high is None else self.high - self.low

    def contains(self, x: float) -> bool:
        """Whether x lies in [low, high] (False when the interval is undefined)."""
        return self.low is not None and self.high is not None and self.low <= x <= self.high


def bootstrap_estimate(
    values: ArrayLike,
    statistic: Statistic,
    rng: np.random.Generator,
    *,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    method: Method = "BCa",
) -> Estimate:
    """The statistic of `values` and its two-sided bootstrap interval from `scipy.stats.bootstrap`.

    `statistic(x, axis=-1)` must be vectorised along `axis`. Resampling draws from `rng` only, so a
    fixed generator state gives the same interval. Degenerate samples do not raise: n = 1 gives
    status "single" (undefined interval), all-equal values give status "constant" (zero-width
    interval). If BCa yields no finite interval the percentile method is tried before giving up
    with status "undefined"; `method` always says what was used.
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError("bootstrap_estimate needs a non-empty one-dimensional sample")
    if not np.all(np.isfinite(x)):
        raise ValueError("sample contains NaN or infinite values")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), found {confidence}")
    value = float(statistic(x, axis=-1))
    n = int(x.size)
    if n == 1:
        return Estimate(value=value, low=None, high=None, n=n, confidence=confidence, status="single")
    if np.ptp(x) <= 1e-12 * max(1.0, float(np.max(np.abs(x)))):
        return Estimate(
            value=value,
            low=value,
            high=value,
            n=n,
            confidence=confidence,
            status="constant",
            standard_error=0.0,
        )
    for tried in dict.fromkeys((method, "percentile")):
        with warnings.catch_warnings():
            # Reported through `status` instead: a degenerate BCa answer is retried as percentile.
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            result = stats.bootstrap(
                (x,),
                statistic,
                n_resamples=n_resamples,
                vectorized=True,
                axis=-1,
                confidence_level=confidence,
                method=tried,
                rng=rng,
            )
        low, high = (float(v) for v in result.confidence_interval)
        if np.isfinite(low) and np.isfinite(high):
            return Estimate(
                value=value,
                low=low,
                high=high,
                n=n,
                confidence=confidence,
                status="bootstrap",
                method=tried,
                standard_error=float(result.standard_error),
            )
    return Estimate(value=value, low=None, high=None, n=n, confidence=confidence, status="undefined")


def derived_rng(base: int, *key: str) -> np.random.Generator:
    """A generator determined by `base` (drawn once from the caller's generator) and a cell key.

    Each estimate of a summary resamples from its own stream, so its interval does not depend on
    which other scenarios, strategies or groups the same summary happens to contain.
    """
    return np.random.default_rng([base, *(zlib.crc32(part.encode()) for part in key)])
