"""The Schulze method (beatpath): a Condorcet-consistent election over scored ballots.

Markus Schulze, "A new monotonic, clone-independent, reversal symmetric, and Condorcet-consistent single-winner
election method", Social Choice and Welfare 36 (2011) 267-303. A mediator uses it to pick one of several
candidate settlements from each group's scores (as in the Habermas Machine): every group is a voter, its
reward model's scores are its ballot, its population share its weight.

Definitions (the paper's section 2, as on Wikipedia's "Schulze method" page):

- ``d[x, y]``: the total weight of the voters who score ``x`` above ``y`` (equal scores: no preference);
- a link ``x -> y`` exists where ``d[x, y] > d[y, x]``; its strength is ``d[x, y]`` ("winning votes", the
  default) or ``d[x, y] - d[y, x]`` ("margin");
- ``p[x, y]``: the strength of the strongest path from ``x`` to ``y`` (a path is as strong as its weakest
  link; 0 when there is none), computed by a Floyd-Warshall widest-path pass;
- ``x`` is *better* than ``y`` when ``p[x, y] > p[y, x]`` (a transitive relation, the paper's section 4.1);
  the *potential winners* are the candidates no other candidate is better than (never empty).

Ties, where several candidates are potential winners, are broken by ``tie_break``: an order of the
candidates (default: their index order, lowest first). The same rule orders the ranking: it is built by
taking, again and again, the first candidate in ``tie_break`` order among the remaining ones that no
remaining candidate is better than; so it is a linear order that never puts a candidate above one that is
better. Pass a seeded random permutation as ``tie_break`` to break ties at random but reproducibly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Strength = Literal["winning", "margin"]
#: Decimals kept of d / total weight when weights are not integers, so that sums of the same shares added
#: in different orders (0.1 + 0.2 vs 0.3) compare equal; integer weights are summed exactly.
_DECIMALS = 12


@dataclass(frozen=True)
class SchulzeResult:
    """The outcome of a Schulze election over candidates ``0 .. n-1``.

    ``winner`` is ``winners[0]`` after the tie-break; ``winners`` lists every potential winner in tie-break
    order; ``ranking`` orders all candidates (best first); ``d`` is the pairwise preference matrix and ``p``
    the strongest-path matrix (diagonals 0).
    """

    winner: int
    winners: list[int]
    ranking: list[int]
    d: NDArray[np.float64]
    p: NDArray[np.float64]
    strength: Strength = "winning"

    def better(self, x: int, y: int) -> bool:
        """Candidate ``x`` beats ``y`` by Schulze: ``p[x, y] > p[y, x]``."""
        return bool(self.p[x, y] > self.p[y, x])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for traces)."""
        return {"winner": self.winner, "winners": list(self.winners), "ranking": list(self.ranking),
                "d": self.d.tolist(), "p": self.p.tolist(), "strength": self.strength}


def pairwise_preferences(ballots: ArrayLike, weights: ArrayLike | None = None) -> NDArray[np.float64]:
    """``d[x, y]``: the total weight of the voters whose ballot scores ``x`` strictly above ``y``.

    ``ballots`` is (voters x candidates), higher score = preferred, equal scores = indifferent.
    """
    scores, w = _check(ballots, weights)
    above = (scores[:, :, None] > scores[:, None, :]).astype(np.float64)  # voter, x, y
    d = np.einsum("v,vxy->xy", w, above)
    if not np.all(w == np.round(w)):
        total = float(w.sum())
        if total > 0:
            d = np.round(d / total, _DECIMALS) * total
    return np.asarray(d, dtype=np.float64)


def strongest_paths(d: ArrayLike, strength: Strength = "winning") -> NDArray[np.float64]:
    """``p[x, y]``: the strength of the strongest path from ``x`` to ``y`` over the links of ``d``."""
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"d must be a square matrix, found shape {d.shape}")
    if strength not in ("winning", "margin"):
        raise ValueError(f"strength must be 'winning' or 'margin', found {strength!r}")
    wins = d > d.T
    link = d if strength == "winning" else d - d.T
    p = np.where(wins, link, 0.0)
    np.fill_diagonal(p, 0.0)
    for i in range(len(p)):
        # row i and column i do not change in step i (p[i, i] = 0), so the whole update can be vectorised
        p = np.maximum(p, np.minimum(p[:, i : i + 1], p[i : i + 1, :]))
        np.fill_diagonal(p, 0.0)
    return p


def schulze(ballots: ArrayLike, weights: ArrayLike | None = None, *, strength: Strength = "winning",
            tie_break: Sequence[int] | None = None) -> SchulzeResult:
    """Elect one of the candidates (columns of ``ballots``) by the Schulze method.

    ``ballots``: (voters x candidates) scores, higher = preferred, equal = tie. ``weights``: one non-negative
    weight per voter (default 1 each; e.g. groups' population shares); a voter of weight k counts as k
    voters. ``strength``: "winning" votes (Schulze's default) or "margin". ``tie_break``: the order in which
    otherwise tied candidates are preferred (default 0, 1, 2, ...).
    """
    d = pairwise_preferences(ballots, weights)
    n = d.shape[0]
    order = list(range(n)) if tie_break is None else [int(c) for c in tie_break]
    if sorted(order) != list(range(n)):
        raise ValueError(f"tie_break must be a permutation of 0..{n - 1}, found {list(tie_break or [])}")
    p = strongest_paths(d, strength)
    better = p > p.T

    def unbeaten(among: list[int]) -> list[int]:
        return [x for x in among if not any(better[y, x] for y in among)]

    winners = unbeaten(order)
    ranking: list[int] = []
    remaining = list(order)
    while remaining:
        top = unbeaten(remaining)[0]  # never empty: "better" is a strict partial order (transitive)
        ranking.append(top)
        remaining.remove(top)
    return SchulzeResult(winner=winners[0], winners=winners, ranking=ranking, d=d, p=p, strength=strength)


def _check(ballots: ArrayLike, weights: ArrayLike | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    scores = np.asarray(ballots, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"ballots must be a (voters x candidates) array, found {scores.ndim} dimension(s)")
    if scores.shape[1] == 0:
        raise ValueError("ballots must have at least one candidate (column)")
    if np.isnan(scores).any():
        raise ValueError("ballots contain NaN scores; use equal scores for indifference")
    if weights is None:
        return scores, np.ones(scores.shape[0])
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != scores.shape[0]:
        raise ValueError(f"weights must have one entry per voter ({scores.shape[0]}), found {w.shape[0]}")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return scores, w
