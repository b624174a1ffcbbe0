"""Mediators that elect a settlement from every group's ranking of the candidates.

The candidates are the outcomes that pass the rule honestly; when more than ``max_candidates`` pass, the ballot
holds the union over groups of each group's top ``max_candidates // groups`` of them by its own utility (so every
group's favourites stay on it; `_chosen.shortlist`). Every group is a voter, its reward model's normalised utility
its ballot (equal utilities: ties), its population share its weight. The run's seeded generator picks among the
potential winners when several remain.

- ``schulze``: the Schulze method (winning votes), as the Habermas Machine elects among drafted statements
  (Tessler et al., Science 2024) and the LLM Habermas mediator here does (dialectic.social_choice.schulze).
- ``borda``: the Borda count (dialectic.social_choice.borda), what a single reward model fitted to everyone's
  pooled comparisons implicitly optimises (Siththaranjan et al., "Distributional Preference Learning", 2023).
  Unlike Schulze it is not Condorcet-consistent, and it depends on which other candidates are on the ballot.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from dialectic.dialogue import MediatorObservation
from dialectic.game import Game
from dialectic.social_choice import borda, schulze
from dialectic.strategies._base import Params, choose, mediator
from dialectic.strategies.mediators._chosen import Choice, ChosenMediator, ballots, passing, shares, shortlist


class ElectionParams(Params):
    max_candidates: int = Field(default=64, ge=2, le=512,
                                description="most candidates on the ballot (beyond it: each group's top ones)")


class _Election(ChosenMediator):
    """The shared part of an election mediator: its ballot, the settlements the rule can pass (shortlisted)."""

    def __init__(self, params: ElectionParams, game: Game):
        super().__init__(game)
        self.params = params

    def candidates(self) -> np.ndarray:
        return shortlist(self.game, passing(self.game), self.params.max_candidates)


class SchulzeMediator(_Election):
    name = "schulze"

    def choose(self, obs: MediatorObservation) -> Choice | None:
        candidates = self.candidates()
        if len(candidates) == 0:
            return None
        result = schulze(ballots(self.game, candidates), shares(self.game))
        winner = choose(obs.rng, np.asarray(result.winners))
        n_winners = len(result.winners)
        tied = f" ({n_winners} potential winners; the run's generator picked one)" if n_winners > 1 else ""
        return Choice(
            self.game.space.at(int(candidates[winner])),
            f"it wins the Schulze election among the {len(candidates)} settlements the rule can pass, every group "
            f"voting its ranking weighted by its population share{tied}.",
            f"Schulze winners (candidate flat indices): {[int(candidates[w]) for w in result.winners]}",
        )


class BordaMediator(_Election):
    name = "borda"

    def choose(self, obs: MediatorObservation) -> Choice | None:
        candidates = self.candidates()
        if len(candidates) == 0:
            return None
        result = borda(ballots(self.game, candidates), shares(self.game))
        winner = choose(obs.rng, np.asarray(result.winners))
        total = float(result.totals[winner])
        return Choice(
            self.game.space.at(int(candidates[winner])),
            f"it has the highest Borda count ({total:.3f} share-weighted points) among the {len(candidates)} "
            "settlements the rule can pass.",
            f"Borda totals of the top five: {sorted((round(float(t), 6) for t in result.totals), reverse=True)[:5]}",
        )


@mediator("schulze", "Mediator electing, by the Schulze method, among the settlements the rule can pass: every group "
          "ranks them by its reward model, weighted by its population share.", ElectionParams)
def schulze_mediator(params: ElectionParams, game: Game) -> SchulzeMediator:
    return SchulzeMediator(params, game)


@mediator("borda", "Mediator electing by Borda count among the settlements the rule can pass (what a pooled "
          "Bradley-Terry reward model optimises).", ElectionParams)
def borda_mediator(params: ElectionParams, game: Game) -> BordaMediator:
    return BordaMediator(params, game)
