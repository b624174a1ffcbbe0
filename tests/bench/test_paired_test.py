"""The paired tests: sign-flip permutation and Wilcoxon signed-rank, against hand-worked cases and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dialectic.bench import paired_difference
from dialectic.bench._paired_test import sign_flip_p_value, wilcoxon_p_value

from .support import row


def test_hand_worked_all_positive() -> None:
    # d = 1..n, all positive: of the 2^n sign vectors only all-plus and all-minus reach |sum| = n(n+1)/2,
    # so the permutation p = 2 / 2^n; the signed-rank sum W+ is at its maximum, with the same exact p.
    for n, p in ((3, 0.25), (5, 0.0625)):
        d = np.arange(1.0, n + 1)
        assert sign_flip_p_value(d, np.random.default_rng(0)) == pytest.approx(p)
        assert wilcoxon_p_value(d) == pytest.approx(p)
        assert wilcoxon_p_value(-d) == pytest.approx(p)


def test_hand_worked_mixed_signs() -> None:
    # d = (1, -2, 3): |mean| = 2/3, sums over sign vectors: +-1 +-2 +-3 = 6, 0, 4, -2, 2, -4, 0, -6;
    # |sum| >= 2 in six of eight: p = 0.75.
    assert sign_flip_p_value([1.0, -2.0, 3.0], np.random.default_rng(0)) == pytest.approx(0.75)


def test_exact_against_scipy_permutation_test() -> None:
    rng = np.random.default_rng(3)
    for n in (4, 9, 12):
        d = rng.normal(0.3, 1.0, size=n)
        expected = stats.permutation_test(
            (d,), lambda x, axis: np.abs(np.mean(x, axis=axis)), permutation_type="samples",
            alternative="greater", n_resamples=np.inf, vectorized=True,
        ).pvalue
        assert sign_flip_p_value(d, np.random.default_rng(0)) == pytest.approx(expected)
        assert wilcoxon_p_value(d) == pytest.approx(stats.wilcoxon(d).pvalue)


def test_sampled_above_exact_limit_is_close_and_seeded() -> None:
    d = np.random.default_rng(5).normal(0.25, 1.0, size=30)
    one = sign_flip_p_value(d, np.random.default_rng(1), n_resamples=20000)
    assert one == sign_flip_p_value(d, np.random.default_rng(1), n_resamples=20000)
    expected = stats.permutation_test(
        (d,), lambda x, axis: np.abs(np.mean(x, axis=axis)), permutation_type="samples",
        alternative="greater", n_resamples=20000, vectorized=True, rng=np.random.default_rng(9),
    ).pvalue
    assert one is not None and abs(one - expected) < 0.015


def test_nothing_to_test() -> None:
    assert sign_flip_p_value([], np.random.default_rng(0)) is None
    assert sign_flip_p_value([0.0, 1e-17], np.random.default_rng(0)) is None
    assert wilcoxon_p_value([0.0, 0.0]) is None


def test_paired_difference_reports_both_tests() -> None:
    a = [0.6, 0.7, 0.65, 0.8, 0.55, 0.75]
    b = [0.5, 0.5, 0.6, 0.5, 0.6, 0.5]
    rows = [row(strategy="a", seed=s, welfare={"g": v}) for s, v in enumerate(a)]
    rows += [row(strategy="b", seed=s, welfare={"g": v}) for s, v in enumerate(b)]
    d = paired_difference(rows, "s", "a", "b", 0, metric="welfare", group="g", n_resamples=999)
    diffs = np.array(a) - np.array(b)
    assert d.wilcoxon_p == pytest.approx(stats.wilcoxon(diffs).pvalue)
    # Five of six differences positive, one -0.05: hand count over 64 sign vectors via the exact enumeration.
    signs = np.array(np.meshgrid(*[[1, -1]] * 6)).reshape(6, -1).T
    expected = np.mean(np.abs(signs @ diffs) >= abs(diffs.sum()) - 1e-12)
    assert d.p_value == pytest.approx(expected)
    same = paired_difference(rows, "s", "a", "a", 0, metric="welfare", group="g")
    assert same.p_value is None and same.wilcoxon_p is None
