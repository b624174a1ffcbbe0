"""The Borda count over scored ballots, with weighted voters and ties.

Jean-Charles de Borda, "Mémoire sur les élections au scrutin" (1781); the worked example tested is Wikipedia's
"Borda count" page (Tennessee's capital: Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107 points per
100 voters). It is what a single reward model fitted to everyone's pooled pairwise comparisons implicitly
optimises (Siththaranjan, Laidlaw and Hadfield-Menell, "Distributional Preference Learning", 2023: a pooled
Bradley-Terry model ranks alternatives by their Borda count), so a mediator electing by Borda is the pooled
reward model made explicit.

Definitions: with ``n`` candidates, a voter gives a candidate one point for every other candidate it scores
strictly lower and half a point for every other candidate it scores equally (the averaged-rank rule for tied
ballots; a strict ballot gives ``n - 1`` points to its first choice, ``0`` to its last). A candidate's total is
the weighted sum of its points over the voters; equivalently ``total[x] = sum_y d[x, y] + (ties) / 2`` with
``d`` Schulze's pairwise preference matrix. The winners are the candidates with the highest total; ``tie_break``
orders them (default: index order) and the ranking sorts by total, ties in ``tie_break`` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dialectic.social_choice.schulze import _check

#: Totals this close count as equal (sums of fractional weights added in different orders).
_TOL = 1e-9


@dataclass(frozen=True)
class BordaResult:
    """The outcome of a Borda count over candidates ``0 .. n-1``: ``winner`` is ``winners[0]`` after the
    tie-break, ``winners`` every candidate with the highest total, ``ranking`` all candidates best first,
    ``totals`` each candidate's weighted points."""

    winner: int
    winners: list[int]
    ranking: list[int]
    totals: NDArray[np.float64]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for traces)."""
        return {"winner": self.winner, "winners": list(self.winners), "ranking": list(self.ranking),
                "totals": self.totals.tolist()}


def borda_points(ballots: ArrayLike) -> NDArray[np.float64]:
    """(voters x candidates) Borda points of each ballot: candidates scored lower count 1, equal ones 1/2."""
    scores, _ = _check(ballots, None)
    below = (scores[:, :, None] > scores[:, None, :]).sum(axis=2)
    equal = (scores[:, :, None] == scores[:, None, :]).sum(axis=2) - 1  # minus the candidate itself
    return np.asarray(below + 0.5 * equal, dtype=np.float64)


def borda(ballots: ArrayLike, weights: ArrayLike | None = None, *,
          tie_break: Sequence[int] | None = None) -> BordaResult:
    """Elect one of the candidates (columns of ``ballots``) by the Borda count.

    ``ballots``: (voters x candidates) scores, higher = preferred, equal = tie. ``weights``: one non-negative
    weight per voter (default 1 each; e.g. groups' population shares). ``tie_break``: the order in which
    candidates with equal totals are preferred (default 0, 1, 2, ...).
    """
    scores, w = _check(ballots, weights)
    totals = np.asarray(w @ borda_points(scores), dtype=np.float64)
    n = totals.shape[0]
    order = list(range(n)) if tie_break is None else [int(c) for c in tie_break]
    if sorted(order) != list(range(n)):
        raise ValueError(f"tie_break must be a permutation of 0..{n - 1}, found {list(tie_break or [])}")
    position = {c: k for k, c in enumerate(order)}
    best = float(totals.max())
    winners = [c for c in order if totals[c] >= best - _TOL]
    # sort by total (equal within _TOL counts as equal), then by tie-break position
    ranking = sorted(range(n), key=lambda c: (-round(float(totals[c]) / _TOL) * _TOL, position[c]))
    return BordaResult(winner=winners[0], winners=winners, ranking=ranking, totals=totals)
