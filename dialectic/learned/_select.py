"""Choosing K: one mixture per K of a range, scored on held-out comparisons of the annotators it was fitted on
(each scored by the component its training assigned it; with a soft E-step, by its responsibilities), or by
BIC on the training data.

- ``heldout`` (default): the smallest K whose mean held-out log-likelihood per comparison is within
  ``K_TOL`` nats of the best K's (more components that explain held-out data no better are not kept).
- ``bic``: the K with the lowest BIC = -2 log L + p log n, where log L is the training data's mixture
  log-likelihood sum_a log sum_k pi_k exp(L[a, k]) (pi = the components' shares), p = K * r + (K - 1)
  (r: the rank of the item features' differences, the head's free parameters) and n the number of
  training comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from dialectic.learned._bt import L2, log_sigmoid
from dialectic.learned._mixture import EStep, Init, MixtureFit, fit_mixture, logsumexp_rows

Criterion = Literal["heldout", "bic"]

#: Nats per held-out comparison within which a smaller K is preferred to the best one.
K_TOL = 1e-3


@dataclass(frozen=True)
class Comparisons:
    """Comparisons as index arrays: ``chosen[n]`` over ``rejected[n]`` (rows of the item features) by
    ``annotator[n]``."""

    chosen: np.ndarray
    rejected: np.ndarray
    annotator: np.ndarray

    def __len__(self) -> int:
        return len(self.chosen)

    def subset(self, mask: np.ndarray) -> Comparisons:
        return Comparisons(self.chosen[mask], self.rejected[mask], self.annotator[mask])


@dataclass(frozen=True)
class KPoint:
    k: int
    train_loglik: float  # unpenalised, training comparisons
    heldout_loglik: float | None  # sum over held-out comparisons of seen annotators
    heldout_mean: float | None  # per comparison
    bic: float
    fit: MixtureFit


def comparison_loglik(X: np.ndarray, fit: MixtureFit, data: Comparisons) -> np.ndarray:
    """log P of each comparison under its annotator's component (hard) or responsibility mixture (soft)."""
    scores = np.asarray(X, dtype=np.float64) @ fit.weights.T
    per_head = log_sigmoid(scores[data.chosen] - scores[data.rejected])  # (n, k)
    if fit.estep == "hard":
        return per_head[np.arange(len(data)), fit.assignment[data.annotator]]
    with np.errstate(divide="ignore"):
        return logsumexp_rows(per_head + np.log(fit.responsibilities[data.annotator]))


def feature_rank(X: np.ndarray) -> int:
    """The rank of the differences between item features (a head's free parameters)."""
    X = np.asarray(X, dtype=np.float64)
    if len(X) < 2:
        return 0
    return int(np.linalg.matrix_rank(X[1:] - X[0]))


def annotator_loglik(X: np.ndarray, heads: np.ndarray, data: Comparisons, n_annotators: int) -> np.ndarray:
    """L (n_annotators, k): each annotator's total log-likelihood of its comparisons in ``data`` under each head
    (0 for an annotator without comparisons there)."""
    scores = np.asarray(X, dtype=np.float64) @ heads.T
    per_head = log_sigmoid(scores[data.chosen] - scores[data.rejected])
    return np.stack([np.bincount(data.annotator, weights=per_head[:, k], minlength=n_annotators)
                     for k in range(len(heads))], axis=1)


def mixture_loglik(X: np.ndarray, fit: MixtureFit, data: Comparisons, n_annotators: int) -> float:
    """sum_a log sum_k pi_k exp(L[a, k]) on ``data`` (pi: the fit's mixing weights)."""
    L = annotator_loglik(X, fit.weights, data, n_annotators)
    seen = np.bincount(data.annotator, minlength=n_annotators) > 0
    with np.errstate(divide="ignore"):
        return float(logsumexp_rows(L[seen] + np.log(fit.mixing)[None, :]).sum())


def bic(X: np.ndarray, fit: MixtureFit, train: Comparisons, n_annotators: int, rank: int | None = None) -> float:
    rank = feature_rank(X) if rank is None else rank
    parameters = fit.k * rank + fit.k - 1
    return -2.0 * mixture_loglik(X, fit, train, n_annotators) + parameters * np.log(max(len(train), 1))


def select_k(X: np.ndarray, train: Comparisons, heldout: Comparisons | None, n_annotators: int,
             ks: list[int], *, criterion: Criterion = "heldout", estep: EStep = "hard", restarts: int = 4,
             seed: int = 0, init: Init = "auto", l2: float = L2, max_iter: int = 100, tol: float = 1e-8,
             progress: bool = False) -> tuple[int, list[KPoint]]:
    """Fit one mixture per K in ``ks`` (same seed and seeding ``init`` each) and choose K (module docstring)."""
    if criterion == "heldout" and (heldout is None or len(heldout) == 0):
        raise ValueError("choosing K by held-out log-likelihood needs held-out comparisons of seen annotators "
                         "(--heldout-comparisons > 0), or use --criterion bic")
    rank = feature_rank(X)
    curve: list[KPoint] = []
    for k in ks:
        fit = fit_mixture(X, train.chosen, train.rejected, train.annotator, n_annotators, k, estep=estep,
                          restarts=restarts, seed=seed, init=init, l2=l2, max_iter=max_iter, tol=tol,
                          progress=progress)
        held = None if heldout is None or not len(heldout) else comparison_loglik(X, fit, heldout)
        curve.append(KPoint(
            k=k, train_loglik=fit.loglik,
            heldout_loglik=None if held is None else float(held.sum()),
            heldout_mean=None if held is None else float(held.mean()),
            bic=bic(X, fit, train, n_annotators, rank), fit=fit,
        ))
    if criterion == "bic":
        chosen = min(curve, key=lambda p: (p.bic, p.k))
    else:
        best = max(p.heldout_mean for p in curve if p.heldout_mean is not None)
        chosen = min((p for p in curve if p.heldout_mean is not None and p.heldout_mean >= best - K_TOL),
                     key=lambda p: p.k)
    return chosen.k, curve
