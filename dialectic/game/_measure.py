"""The evaluator's distance D (DESIGN.md): what "identical views", pull and AI-wins are measured with.

On discrete and continuous spaces D is the space's own (share of differing issues; scaled Euclidean), which
is public. On a statement pool it is the reward-profile distance mean_g |u_g(s) - u_g(t)| over the
groups' normalised utilities clipped to [0, 1]: it is built from every group's rewards, so it belongs to
the evaluator and the mediators, and is never reachable from what an agent is handed (its space measures
with the public lexical or embedding distance instead).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from dialectic.space import Outcome


class Distance(Protocol):
    def distance(self, a: Outcome, b: Outcome) -> float: ...

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray: ...


class ProfileDistance:
    """mean_g |u_g(s) - u_g(t)| between statements of a pool (outcomes are (k,) tuples). A statement
    generated during the run (beyond the pool) is measured by its profile under ``groups``, each group's
    utility, normalised over the pool and clipped to [0, 1]."""

    def __init__(self, utilities: np.ndarray, groups: Sequence[Callable[[Outcome], float]] = ()):
        """utilities: (groups, statements) normalised utilities; clipped to [0, 1] here. groups: each
        group's utility, in the same order, for generated statements."""
        profile = np.clip(np.asarray(utilities, dtype=np.float64), 0.0, 1.0)
        self._profile = profile
        self._groups = tuple(groups)
        self._pairwise = np.abs(profile[:, :, None] - profile[:, None, :]).mean(axis=0)
        self._pairwise.setflags(write=False)

    def _of(self, outcome: Outcome) -> np.ndarray:
        """Every group's utility of a statement, in [0, 1]."""
        if outcome[0] < self._profile.shape[1]:
            return self._profile[:, outcome[0]]
        if not self._groups:
            raise IndexError(f"outcome {outcome} is beyond the pool and this distance has no group utilities")
        return np.clip(np.array([u(outcome) for u in self._groups], dtype=np.float64), 0.0, 1.0)

    def distance(self, a: Outcome, b: Outcome) -> float:
        n = self._profile.shape[1]
        if a[0] < n and b[0] < n:
            return float(self._pairwise[a[0], b[0]])
        return float(np.abs(self._of(a) - self._of(b)).mean())

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        if outcome[0] < self._profile.shape[1]:
            row = self._pairwise[outcome[0]]
        else:
            row = np.abs(self._profile - self._of(outcome)[:, None]).mean(axis=0)
        return row if among is None else row[among]
