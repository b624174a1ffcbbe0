"""The EM mixture: a log-likelihood that never decreases (many seeds, hard and soft, more components than
groups), recovery of planted groups, determinism under a seed, labels by size, refused inputs, and K chosen
by held-out log-likelihood and by BIC."""

from __future__ import annotations

import numpy as np
import pytest

from dialectic.learned import adjusted_rand_index, fit_mixture, select_k
from dialectic.learned._mixture import _hard_objective, _Problem, _soft_objective, pairs_of
from dialectic.learned._select import Comparisons


def planted(sizes: list[int], per_annotator: int, seed: int, n_items: int = 30, d: int = 5, scale: float = 3.0):
    """Annotators in groups of ``sizes``, each group a random head; comparisons by Bradley-Terry."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_items, d))
    heads = rng.normal(size=(len(sizes), d)) * scale
    group = np.repeat(np.arange(len(sizes)), sizes)
    annotator = np.repeat(np.arange(len(group)), per_annotator)
    a = rng.integers(n_items, size=len(annotator))
    b = (a + 1 + rng.integers(n_items - 1, size=len(annotator))) % n_items
    p = 1.0 / (1.0 + np.exp(-np.einsum("nd,nd->n", X[a] - X[b], heads[group[annotator]])))
    wins = rng.random(len(annotator)) < p
    return X, np.where(wins, a, b), np.where(wins, b, a), annotator, group


@pytest.mark.parametrize("estep", ["hard", "soft"])
def test_the_log_likelihood_never_decreases(estep: str) -> None:
    """The trace is non-decreasing, and not because steps were refused: a step the fit refuses (it keeps the
    better state and stops) may only have been lower by floating-point rounding."""
    for seed in range(12):
        X, chosen, rejected, annotator, group = planted([20, 12, 5], 15, seed, scale=1.5)
        for k in (2, 3, 5):
            fit = fit_mixture(X, chosen, rejected, annotator, len(group), k, estep=estep, restarts=2, seed=seed,
                              init="random" if seed % 2 else "kmeans++", max_iter=25, tol=0.0)
            trace = np.array(fit.loglik_trace)
            assert np.all(np.diff(trace) >= 0), (seed, k, np.diff(trace).min())
            assert fit.refused_drop <= 1e-9 * abs(fit.objective), (seed, k, fit.refused_drop)
            assert fit.objective == trace[-1] == max(fit.restart_objectives)
            assert len(trace) >= 2 or fit.converged


def test_the_trace_is_the_objective_the_fit_reports() -> None:
    X, chosen, rejected, annotator, group = planted([30, 10], 20, 3)
    problem = _Problem.build(X, pairs_of(chosen, rejected, len(X)), annotator, len(group), 1.0)
    hard = fit_mixture(X, chosen, rejected, annotator, len(group), 2, seed=0)
    assert hard.loglik_trace[-1] == pytest.approx(_hard_objective(problem, hard.weights, hard.assignment), rel=1e-12)
    soft = fit_mixture(X, chosen, rejected, annotator, len(group), 2, estep="soft", seed=0)
    assert soft.loglik_trace[-1] == pytest.approx(_soft_objective(problem, soft.weights, soft.mixing)[0], rel=1e-9)
    np.testing.assert_allclose(soft.responsibilities.sum(axis=1), 1.0)


@pytest.mark.parametrize("sizes", [[60, 6], [50, 25, 5]])
@pytest.mark.parametrize("estep", ["hard", "soft"])
def test_planted_groups_are_recovered(sizes: list[int], estep: str) -> None:
    X, chosen, rejected, annotator, group = planted(sizes, 40, seed=len(sizes))
    fit = fit_mixture(X, chosen, rejected, annotator, len(group), len(sizes), estep=estep, seed=0)
    assert adjusted_rand_index(group, fit.assignment) >= 0.95
    assert list(fit.sizes) == sorted(fit.sizes, reverse=True)  # labels by size, largest first
    assert fit.sizes.sum() == len(group)


def test_the_same_seed_gives_the_same_fit_and_another_seed_may_differ_only_in_work_done() -> None:
    X, chosen, rejected, annotator, group = planted([30, 20, 10], 20, seed=7)
    one = fit_mixture(X, chosen, rejected, annotator, len(group), 3, seed=11)
    two = fit_mixture(X, chosen, rejected, annotator, len(group), 3, seed=11)
    np.testing.assert_array_equal(one.weights, two.weights)
    np.testing.assert_array_equal(one.assignment, two.assignment)
    assert one.loglik_trace == two.loglik_trace and one.restart_objectives == two.restart_objectives


def test_more_components_than_groups_are_reseeded_or_left_empty_without_a_drop() -> None:
    X, chosen, rejected, annotator, group = planted([40, 40], 10, seed=2)
    fit = fit_mixture(X, chosen, rejected, annotator, len(group), 6, seed=0, restarts=3)
    assert fit.k == 6 and fit.sizes.sum() == 80
    assert np.all(np.diff(fit.loglik_trace) >= 0)
    for k in np.flatnonzero(fit.sizes == 0):
        np.testing.assert_array_equal(fit.weights[k], 0.0)


def test_annotators_without_comparisons_are_not_counted() -> None:
    X, chosen, rejected, annotator, group = planted([20, 10], 10, seed=4)
    fit = fit_mixture(X, chosen, rejected, annotator, len(group) + 5, 2, seed=0)
    assert fit.sizes.sum() == len(group)
    assert fit.mixing.sum() == pytest.approx(1.0)


def test_bad_requests_are_refused() -> None:
    X, chosen, rejected, annotator, group = planted([3, 2], 4, seed=1)
    with pytest.raises(ValueError, match="at least 6 annotators"):
        fit_mixture(X, chosen, rejected, annotator, len(group), 6)
    with pytest.raises(ValueError, match="k must be"):
        fit_mixture(X, chosen, rejected, annotator, len(group), 0)
    with pytest.raises(ValueError, match="estep"):
        fit_mixture(X, chosen, rejected, annotator, len(group), 2, estep="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="annotator indices"):
        fit_mixture(X, chosen, rejected, annotator, 2, 2)


def _split(chosen, rejected, annotator, seed: int):
    held = np.random.default_rng(seed).random(len(chosen)) < 0.25
    return (Comparisons(chosen[~held], rejected[~held], annotator[~held]),
            Comparisons(chosen[held], rejected[held], annotator[held]))


@pytest.mark.parametrize("sizes", [[60, 6], [50, 25, 8]])
@pytest.mark.parametrize("criterion", ["heldout", "bic"])
def test_k_chosen_over_a_range_is_the_true_k(sizes: list[int], criterion: str) -> None:
    X, chosen, rejected, annotator, group = planted(sizes, 40, seed=10 + len(sizes))
    train, heldout = _split(chosen, rejected, annotator, 0)
    k, curve = select_k(X, train, heldout, len(group), [1, 2, 3, 4, 5], criterion=criterion,  # type: ignore[arg-type]
                        restarts=3, seed=0)
    assert k == len(sizes), [(p.k, p.heldout_mean, p.bic) for p in curve]
    assert [p.k for p in curve] == [1, 2, 3, 4, 5]
    chosen_point = next(p for p in curve if p.k == k)
    assert adjusted_rand_index(group, chosen_point.fit.assignment) >= 0.95


def test_heldout_selection_needs_heldout_comparisons() -> None:
    X, chosen, rejected, annotator, group = planted([5, 5], 5, seed=1)
    with pytest.raises(ValueError, match="held-out"):
        select_k(X, Comparisons(chosen, rejected, annotator), None, len(group), [1, 2])


def test_k_chosen_over_a_range_fits_each_k_with_the_seeding_asked_for() -> None:
    X, chosen, rejected, annotator, group = planted([20, 10, 4], 15, seed=4)
    train, heldout = _split(chosen, rejected, annotator, 0)
    _, curve = select_k(X, train, heldout, len(group), [2, 3], restarts=2, seed=1, init="random")
    for point in curve:
        alone = fit_mixture(X, train.chosen, train.rejected, train.annotator, len(group), point.k, restarts=2, seed=1,
                            init="random")
        assert point.fit.restart_objectives == alone.restart_objectives
        np.testing.assert_array_equal(point.fit.weights, alone.weights)
        auto = fit_mixture(X, train.chosen, train.rejected, train.annotator, len(group), point.k, restarts=2, seed=1)
        assert point.fit.restart_objectives != auto.restart_objectives  # the seeding asked for, not the default
