"""Inferring another group's priorities from the public record alone.

A soft max-margin fit of an additive model: weights per option w (in [0, 1]) and a threshold theta
such that the outcomes the group said yes to score at least theta + margin and those it said no to
score at most theta - margin, slack paying for what cannot be separated. Its opening view, if it was
its own (not the opening proposal it had to table), is taken as its best option on every issue.
The fit is a small linear programme (scipy's HiGHS).
"""

from __future__ import annotations

import numpy as np

from dialectic.space import DiscreteSpace, Outcome


class AdditiveLearner:
    def __init__(self, space: DiscreteSpace):
        self.space = space
        self.offsets = np.concatenate([[0], np.cumsum(space.radix)[:-1]]).astype(np.int64)
        self.n_features = int(space.radix.sum())
        self._all_features = space.outcomes.astype(np.int64) + self.offsets[None, :]

    def features(self, outcome: Outcome) -> np.ndarray:
        return np.asarray(outcome, dtype=np.int64) + self.offsets

    def fit(self, judged: dict[Outcome, bool], best: Outcome | None) -> tuple[np.ndarray, float]:
        """Return (weights, theta) for one group from its yes/no stances."""
        from scipy.optimize import linprog

        outcomes = list(judged)
        m, f = len(outcomes), self.n_features
        n_vars = f + 2 + m  # w, theta, margin, slacks
        rows: list[np.ndarray] = []
        for j, outcome in enumerate(outcomes):
            row = np.zeros(n_vars)
            sign = -1.0 if judged[outcome] else 1.0
            row[self.features(outcome)] = sign
            row[f] = -sign
            row[f + 1] = 1.0
            row[f + 2 + j] = -1.0
            rows.append(row)
        if best is not None:
            for issue, chosen in enumerate(best):
                for option in range(int(self.space.radix[issue])):
                    if option != chosen:
                        row = np.zeros(n_vars)
                        row[self.offsets[issue] + option] = 1.0
                        row[self.offsets[issue] + chosen] = -1.0
                        rows.append(row)
        cost = np.zeros(n_vars)
        cost[f + 1] = -1.0
        cost[f + 2 :] = 1.0
        bounds = [(0.0, 1.0)] * f + [(0.0, float(self.space.n_issues)), (0.0, 1.0)] + [(0.0, None)] * m
        result = linprog(
            cost,
            A_ub=np.array(rows) if rows else None,
            b_ub=np.zeros(len(rows)) if rows else None,
            bounds=bounds,
            method="highs",
        )
        if result.status != 0:
            return np.ones(f), 0.0
        weights, theta = result.x[:f], float(result.x[f])
        # Optimism: lower the threshold to just above the best-scoring rejected outcome, so every
        # outcome not yet argued against by the data counts as tolerable; each wrong guess then
        # adds a rejection, and a rejected point is never chosen again.
        rejected = [weights[self.features(x)].sum() for x, yes in judged.items() if not yes]
        below = [score for score in rejected if score < theta]
        if below:
            theta = min(theta, max(below) + 1e-6)
        return weights, theta

    def predict_all(self, weights: np.ndarray, theta: float) -> np.ndarray:
        """Predicted yes for every outcome of the space (flat-index order)."""
        return weights[self._all_features].sum(axis=1) >= theta - 1e-9
