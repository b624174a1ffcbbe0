"""The Kalai-Smorodinsky mediator: the settlement giving every group the same, largest, fraction of its possible gain.

E. Kalai and M. Smorodinsky, "Other solutions to Nash's bargaining problem", Econometrica 43 (1975) 513-518. The
disagreement point is each group's reservation rho_g; the feasible set is the individually rational outcomes the
rule passes honestly (every group accepts them, so they pass under any rule); the ideal point I_g is group g's
best utility over that set. The mediator proposes the outcome maximising min_g (u_g - rho_g) / (I_g - rho_g) over
it, groups with I_g = rho_g (no possible gain) left out of the minimum, exactly as the evaluator's oracle
`dialectic.oracles.kalai_smorodinsky` defines the KS point (the tests check the two agree).

When no outcome is acceptable to every group but some pass the rule (a quorum or majority rule settling over a
dissent), the feasible set is the passing outcomes and the ideal point is taken over them; the ratio is then
negative for a group below its reservation, and the maximum of the minimum is still well defined. Ties: the
run's seeded generator.
"""

from __future__ import annotations

import numpy as np

from dialectic.dialogue import MediatorObservation
from dialectic.game import Game
from dialectic.rules import ACCEPT_TOL
from dialectic.strategies._base import Params, choose, mediator, top
from dialectic.strategies.mediators._chosen import Choice, ChosenMediator, passing


def ks_scores(utilities: np.ndarray, reservations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (groups x candidates) utilities: each candidate's min_g (u_g - rho_g) / (I_g - rho_g), I_g the best
    u_g over the candidates (groups with I_g - rho_g <= ACCEPT_TOL left out; none left: 1), and the ideal point."""
    ideal = utilities.max(axis=1)
    rows = np.flatnonzero(ideal - reservations > ACCEPT_TOL)
    if rows.size == 0:
        return np.ones(utilities.shape[1]), ideal
    ratios = (utilities[rows] - reservations[rows, None]) / (ideal[rows] - reservations[rows])[:, None]
    return ratios.min(axis=0), ideal


def ks_candidates(game: Game) -> tuple[np.ndarray, bool]:
    """The feasible set: passing outcomes every group accepts (True), else all passing outcomes (False)."""
    candidates = passing(game)
    everyone = candidates[game.honest_accepts[:, candidates].all(axis=0)]
    return (everyone, True) if len(everyone) else (candidates, False)


class KalaiSmorodinsky(ChosenMediator):
    name = "kalai-smorodinsky"

    def choose(self, obs: MediatorObservation) -> Choice | None:
        candidates, individually_rational = ks_candidates(self.game)
        if len(candidates) == 0:
            return None
        scores, ideal = ks_scores(self.game.utility_matrix[:, candidates], self.game.reservations)
        full = np.full(self.game.space.size, -np.inf)
        full[candidates] = scores
        best = choose(obs.rng, top(full, candidates))
        value = float(full[best])
        where = ("the settlements every group accepts" if individually_rational
                 else "the settlements the rule can pass (none is acceptable to every group)")
        ideal_text = ", ".join(f"{g} {i:.3f}" for g, i in zip(self.game.group_ids, ideal, strict=True))
        return Choice(
            self.game.space.at(best),
            f"among {where}, it gives every group at least {value:.3f} of the way from its reservation to the best "
            "it could get there (the Kalai-Smorodinsky point).",
            f"ideal point: {ideal_text}",
        )


@mediator("kalai-smorodinsky", "Mediator proposing the Kalai-Smorodinsky point: the largest equal fraction of every "
          "group's possible gain over its reservation, among settlements every group accepts.")
def kalai_smorodinsky(params: Params, game: Game) -> KalaiSmorodinsky:
    return KalaiSmorodinsky(game)
