"""Oracles by enumeration over the outcome space: the best an honest process could reach.

Each oracle is a max over the space's outcomes in flat order (ties: the first), computed on the
game's (groups, outcomes) utility matrix in column chunks so temporaries stay bounded.
"Honestly passing" outcomes pass the rule when every group accepts exactly what its reward model
puts at or above its reservation (`Game.honest_pass`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dialectic.game import Game
from dialectic.space import Outcome

CHUNK = 1 << 18

#: Maps a slice of outcome columns to one score per outcome; -inf excludes an outcome.
Score = Callable[[slice], np.ndarray]


@dataclass(frozen=True)
class OracleResult:
    """The optimum and the outcome attaining it (None: no deal is at least as good)."""

    value: float
    outcome: Outcome | None


def _best(game: Game, score: Score, honest_only: bool) -> OracleResult | None:
    """Max of `score` over outcomes (honestly passing ones only if asked), first in flat order."""
    size = game.utility_matrix.shape[1]
    best_value, best_index = -np.inf, -1
    for start in range(0, size, CHUNK):
        columns = slice(start, min(start + CHUNK, size))
        values = np.asarray(score(columns), dtype=np.float64)
        if honest_only:
            values = np.where(game.honest_pass[columns], values, -np.inf)
        k = int(np.argmax(values))
        if values[k] > best_value:
            best_value, best_index = float(values[k]), start + k
    if best_index < 0:
        return None
    return OracleResult(best_value, game.space.at(best_index))


def _worst_group(game: Game) -> Score:
    return lambda columns: game.utility_matrix[:, columns].min(axis=0)


def maxmin_unconstrained(game: Game) -> OracleResult:
    """max_x min_g u_g(x), ignoring reservations and the rule (the MaxMin-RLHF objective)."""
    result = _best(game, _worst_group(game), honest_only=False)
    assert result is not None  # a space has at least one outcome
    return result


def maxmin_oracle(game: Game) -> OracleResult:
    """max over honestly passing x of min_g u_g(x), and at least the no-deal value min_g rho_g
    (then, or when nothing passes honestly, the outcome is None)."""
    no_deal = float(game.reservations.min())
    best = _best(game, _worst_group(game), honest_only=True)
    if best is None or no_deal >= best.value:
        return OracleResult(no_deal, None)
    return best


def utilitarian_optimum(game: Game) -> OracleResult | None:
    """max over honestly passing x of sum_g w_g u_g(x); None when nothing passes honestly."""
    shares = np.array([game.shares[g] for g in game.group_ids])
    return _best(game, lambda columns: shares @ game.utility_matrix[:, columns], honest_only=True)


def nash_optimum(game: Game) -> OracleResult | None:
    """max of prod_g (u_g(x) - rho_g) over honestly passing x that every group's reward model
    accepts; None when there is no such x."""

    def product(columns: slice) -> np.ndarray:
        gains = np.clip(game.utility_matrix[:, columns] - game.reservations[:, None], 0.0, None)
        return np.where(game.honest_accepts[:, columns].all(axis=0), gains.prod(axis=0), -np.inf)

    return _best(game, product, honest_only=True)
