"""Scores of a fit: comparison accuracy and log-likelihood, and the adjusted Rand index of two labelings."""

from __future__ import annotations

import numpy as np

from dialectic.learned._bt import log_sigmoid


def accuracy(margins: np.ndarray) -> float:
    """Share of comparisons whose chosen item scores higher (a tie counts one half); nan when none."""
    margins = np.asarray(margins, dtype=np.float64)
    if not len(margins):
        return float("nan")
    return float(np.mean((margins > 0) + 0.5 * (margins == 0)))


def mean_loglik(margins: np.ndarray) -> float:
    """Mean log P(chosen over rejected) = mean log sigmoid(margin); nan when none."""
    margins = np.asarray(margins, dtype=np.float64)
    return float(log_sigmoid(margins).mean()) if len(margins) else float("nan")


def adjusted_rand_index(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Hubert and Arabie's adjusted Rand index of two labelings of the same items, from the pair confusion
    counts (pairs together in both, apart in both, together in one only): 1 for the same partition (up to
    renaming), about 0 for independent ones. Two labelings that agree on every pair (including both
    putting everything in one cluster) give 1."""
    a = np.unique(np.asarray(labels_true), return_inverse=True)[1].reshape(-1)
    b = np.unique(np.asarray(labels_pred), return_inverse=True)[1].reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"labelings of different lengths: {a.shape} and {b.shape}")
    n = float(len(a))
    table = np.zeros((int(a.max(initial=-1)) + 1, int(b.max(initial=-1)) + 1))
    np.add.at(table, (a, b), 1.0)
    rows = table.sum(axis=1)
    cols = table.sum(axis=0)
    squares = float((table ** 2).sum())
    together_both = squares - n  # ordered pairs (i != j) together in both
    together_pred_only = float(table @ cols @ np.ones(len(rows))) - squares if table.size else 0.0
    together_true_only = float(table.T @ rows @ np.ones(len(cols))) - squares if table.size else 0.0
    apart_both = n * n - together_pred_only - together_true_only - squares
    if together_pred_only == 0 and together_true_only == 0:
        return 1.0
    numerator = 2.0 * (together_both * apart_both - together_true_only * together_pred_only)
    denominator = ((together_both + together_true_only) * (together_true_only + apart_both)
                   + (together_both + together_pred_only) * (together_pred_only + apart_both))
    return float(numerator / denominator)
