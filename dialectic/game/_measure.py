"""The evaluator's distance D (DESIGN.md): what "identical views", pull and AI-wins are measured with.

On discrete and continuous spaces D is the space's own (share of differing issues; scaled Euclidean), which
is public. On a statement pool it is the reward-profile distance mean_g |u_g(s) - u_g(t)| over the
groups' normalised utilities clipped to [0, 1]: it is built from every group's rewards, so it belongs to
the evaluator and the mediators, and is never reachable from what an agent is handed (its space measures
with the public lexical or embedding distance instead).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from dialectic.space import Outcome


class Distance(Protocol):
    def distance(self, a: Outcome, b: Outcome) -> float: ...

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray: ...


class ProfileDistance:
    """mean_g |u_g(s) - u_g(t)| between statements of a pool (outcomes are (k,) tuples)."""

    def __init__(self, utilities: np.ndarray):
        """utilities: (groups, statements) normalised utilities; clipped to [0, 1] here."""
        profile = np.clip(np.asarray(utilities, dtype=np.float64), 0.0, 1.0)
        self._pairwise = np.abs(profile[:, :, None] - profile[:, None, :]).mean(axis=0)
        self._pairwise.setflags(write=False)

    def distance(self, a: Outcome, b: Outcome) -> float:
        return float(self._pairwise[a[0], b[0]])

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        row = self._pairwise[outcome[0]]
        return row if among is None else row[among]
