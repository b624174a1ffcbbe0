"""Paired, seed-matched differences on synthetic data with a known shift and unmatched seeds."""

from __future__ import annotations

import numpy as np
import pytest

from dialectic.bench import RunRow, paired_difference, paired_differences

from .support import row


def _shifted(n: int, shift: float, noise: float, seed: int = 0) -> list[RunRow]:
    """b's welfare of g is random per seed; a's is b's + shift + small noise (a seed effect shared by both)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.2, 0.7, size=n)
    eps = rng.normal(0, noise, size=n)
    rows = [row(strategy="b", seed=s, welfare={"g": float(base[s]), "h": 0.5}) for s in range(n)]
    rows += [
        row(strategy="a", seed=s, welfare={"g": float(base[s] + shift + eps[s]), "h": 0.5}) for s in range(n)
    ]
    return rows


def test_known_shift_is_recovered() -> None:
    rows = _shifted(200, 0.1, 0.02)
    d = paired_difference(
        rows, "s", "a", "b", np.random.default_rng(1), metric="welfare", group="g", n_resamples=1999
    )
    assert d.n_pairs == 200 and d.unmatched_a == d.unmatched_b == []
    assert d.mean_difference is not None and d.mean_difference.status == "bootstrap"
    assert d.mean_difference.contains(0.1) and not d.mean_difference.contains(0.0)
    # Pairing removes the seed effect (spread 0.5): the interval is about 2 * 1.96 * 0.02 / sqrt(200) wide.
    assert d.mean_difference.width is not None and d.mean_difference.width < 0.01
    # The other way round: the negative.
    r = paired_difference(
        rows, "s", "b", "a", np.random.default_rng(1), metric="welfare", group="g", n_resamples=1999
    )
    assert r.mean_difference is not None
    assert r.mean_difference.value == pytest.approx(-d.mean_difference.value)
    assert r.b_better == d.a_better


def test_reproducible() -> None:
    rows = _shifted(40, 0.05, 0.05)
    one = paired_difference(rows, "s", "a", "b", np.random.default_rng(9), metric="welfare", group="g")
    two = paired_difference(rows, "s", "a", "b", np.random.default_rng(9), metric="welfare", group="g")
    assert one == two


def test_unmatched_seeds_are_left_out_and_listed() -> None:
    rows = [row(strategy="a", seed=s, welfare={"g": 0.6 + s / 100}) for s in range(10)]
    rows += [row(strategy="b", seed=s, welfare={"g": 0.4 + s / 100}) for s in range(3, 13)]
    # A run of another scenario with a matching seed must not be paired.
    rows += [row(scenario="other", strategy="b", seed=0, welfare={"g": 0.0})]
    d = paired_difference(rows, "s", "a", "b", 0, metric="welfare", group="g")
    assert d.seeds == list(range(3, 10)) and d.n_pairs == 7
    assert d.unmatched_a == [0, 1, 2] and d.unmatched_b == [10, 11, 12]
    # Every matched difference is exactly 0.2: a constant sample, zero-width interval.
    assert d.mean_difference is not None and d.mean_difference.status == "constant"
    assert d.mean_difference.value == pytest.approx(0.2) and d.mean_difference.width == 0.0
    assert (d.a_better, d.b_better, d.ties) == (7, 0, 0)


def test_no_common_seed_and_missing_strategy() -> None:
    rows = [row(strategy="a", seed=0), row(strategy="b", seed=1)]
    d = paired_difference(rows, "s", "a", "b", 0)
    assert d.n_pairs == 0 and d.mean_difference is None
    assert d.unmatched_a == [0] and d.unmatched_b == [1]
    with pytest.raises(ValueError, match="'c'"):
        paired_difference(rows, "s", "a", "c", 0)
    with pytest.raises(ValueError, match="per group"):
        paired_difference(rows, "s", "a", "b", 0, metric="welfare")


def test_single_pair_and_lower_is_better() -> None:
    rows = [row(strategy="a", seed=0, welfare={"g": 0.5}), row(strategy="b", seed=0, welfare={"g": 0.3})]
    d = paired_difference(rows, "s", "a", "b", 0, metric="maxmin_regret")
    # regret a = 0.1, b = 0.3: a - b = -0.2, and lower regret is better, so a did better.
    assert d.mean_difference is not None and d.mean_difference.status == "single"
    assert d.mean_difference.value == pytest.approx(-0.2) and d.mean_difference.low is None
    assert not d.higher_is_better and d.a_better == 1


def test_paired_differences_over_scenarios_and_groups() -> None:
    rows = _shifted(20, 0.1, 0.01)
    rows += [row(scenario="t", strategy=s, seed=0, welfare={"x": 0.1}) for s in ("a", "b")]
    rows += [row(scenario="u", strategy="a", seed=0)]  # b never ran u: skipped
    out = paired_differences(rows, "a", "b", np.random.default_rng(0), n_resamples=999)
    assert [(d.scenario, d.group) for d in out] == [("s", "g"), ("s", "h"), ("t", "x")]
    assert out[0].mean_difference is not None and out[0].mean_difference.contains(0.1)
    again = paired_differences(rows, "a", "b", np.random.default_rng(0), n_resamples=999)
    assert again == out
    scalar = paired_differences(rows, "a", "b", 0, metric="worst_case_welfare", n_resamples=99)
    assert [(d.scenario, d.group) for d in scalar] == [("s", None), ("t", None)]
