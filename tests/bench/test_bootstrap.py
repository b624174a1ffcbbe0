"""Bootstrap estimates: coverage, reproducibility, degenerate samples."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dialectic.bench import Estimate, bootstrap_estimate
from dialectic.bench._tail import cvar_axis, mean_axis, worst_axis


def test_large_sample_interval_contains_true_mean() -> None:
    data = np.random.default_rng(11).normal(loc=3.0, scale=1.0, size=4000)
    est = bootstrap_estimate(data, mean_axis, np.random.default_rng(0), n_resamples=2000)
    assert est.status == "bootstrap" and est.method == "BCa"
    assert est.contains(3.0)
    assert est.value == pytest.approx(data.mean())
    # Width about 2 * 1.96 * sigma / sqrt(n) = 0.062.
    assert est.width is not None and 0.04 < est.width < 0.09
    assert est.standard_error == pytest.approx(1 / np.sqrt(4000), rel=0.2)


def test_coverage_over_repeated_samples() -> None:
    # 60 samples of 100 exponential draws (skewed; true mean 1): a 90 % interval should cover
    # about 54 of them; a binomial(60, .9) falls below 46 with probability well under 1e-3.
    covered = 0
    for i in range(60):
        data = np.random.default_rng(1000 + i).exponential(1.0, size=100)
        est = bootstrap_estimate(data, mean_axis, np.random.default_rng(i), confidence=0.9, n_resamples=999)
        covered += est.contains(1.0)
    assert covered >= 46


def test_reproducible_for_a_fixed_seed() -> None:
    data = np.random.default_rng(5).uniform(size=30)
    first = bootstrap_estimate(data, mean_axis, np.random.default_rng(42), n_resamples=999)
    second = bootstrap_estimate(data, mean_axis, np.random.default_rng(42), n_resamples=999)
    other = bootstrap_estimate(data, mean_axis, np.random.default_rng(43), n_resamples=999)
    assert first == second
    assert (first.low, first.high) != (other.low, other.high)


def test_single_value_has_an_undefined_interval() -> None:
    est = bootstrap_estimate([0.4], mean_axis, np.random.default_rng(0))
    assert est == Estimate(value=0.4, low=None, high=None, n=1, confidence=0.95, status="single")
    assert not est.contains(0.4) and est.width is None


@pytest.mark.parametrize("statistic", [mean_axis, worst_axis, cvar_axis])
def test_constant_sample_has_a_zero_width_interval(statistic) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = bootstrap_estimate([0.55] * 7, statistic, np.random.default_rng(0))
    assert est.status == "constant"
    assert est.value == pytest.approx(0.55) and est.low == est.high == est.value
    assert est.width == 0.0 and est.standard_error == 0.0 and est.method is None


def test_worst_run_interval_by_percentile() -> None:
    # The percentile interval of a minimum never goes below the observed worst.
    data = np.random.default_rng(3).uniform(size=25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = bootstrap_estimate(
            data, worst_axis, np.random.default_rng(0), method="percentile", n_resamples=999
        )
    assert est.status == "bootstrap" and est.method == "percentile"
    assert est.value == est.low == data.min()
    assert est.high is not None and est.high > est.low


def test_bca_without_answer_falls_back_to_percentile(monkeypatch: pytest.MonkeyPatch) -> None:
    from scipy import stats

    real = stats.bootstrap
    calls = []

    def bca_gives_nan(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["method"])
        result = real(*args, **kwargs)
        if kwargs["method"] == "BCa":
            result.confidence_interval = type(result.confidence_interval)(np.nan, np.nan)
        return result

    monkeypatch.setattr(stats, "bootstrap", bca_gives_nan)
    data = np.random.default_rng(3).uniform(size=25)
    est = bootstrap_estimate(data, mean_axis, np.random.default_rng(0), n_resamples=999)
    assert calls == ["BCa", "percentile"]
    assert est.status == "bootstrap" and est.method == "percentile" and est.contains(data.mean())

    def always_nan(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)
        result.confidence_interval = type(result.confidence_interval)(np.nan, np.nan)
        return result

    monkeypatch.setattr(stats, "bootstrap", always_nan)
    est = bootstrap_estimate(data, mean_axis, np.random.default_rng(0), n_resamples=999)
    assert est.status == "undefined" and est.low is None and est.high is None
    assert est.value == pytest.approx(data.mean())


def test_two_values() -> None:
    est = bootstrap_estimate(
        [0.0, 1.0], mean_axis, np.random.default_rng(0), method="percentile", n_resamples=999
    )
    assert est.status == "bootstrap" and est.value == 0.5
    assert est.low == 0.0 and est.high == 1.0


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        bootstrap_estimate([], mean_axis, np.random.default_rng(0))
    with pytest.raises(ValueError):
        bootstrap_estimate([0.1, float("inf")], mean_axis, np.random.default_rng(0))
    with pytest.raises(ValueError):
        bootstrap_estimate([0.1, 0.2], mean_axis, np.random.default_rng(0), confidence=1.0)
