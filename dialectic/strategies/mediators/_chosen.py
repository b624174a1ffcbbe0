"""Pieces the literature's mediators share: the honest candidates, a bounded shortlist of them for elections, and a
mediator that decides once and keeps proposing its choice.

Like the aggregate mediators (aggregate.py) they choose only among the outcomes that pass the rule honestly (every
group accepting exactly what its reward model puts at or above its reservation); when none passes they propose
nothing and say so (`no_passing_outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialectic.dialogue import MEDIATOR, MediatorObservation, Move
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.strategies.mediators.aggregate import no_passing_outcome

#: Utilities are rounded to this many decimals before they become ballots, so that outcomes a group values
#: equally (up to floating-point noise) are ties on its ballot.
BALLOT_DECIMALS = 9


def passing(game: Game) -> np.ndarray:
    """Flat indices of the outcomes that pass the rule under honest acceptance, in space order."""
    return np.flatnonzero(game.honest_pass)


def shortlist(game: Game, candidates: np.ndarray, limit: int) -> np.ndarray:
    """At most about ``limit`` of ``candidates`` for an election: all of them when they are few enough, else the
    union over groups of each group's top ``max(1, limit // groups)`` candidates by its own utility (ties: space
    order), in space order. Every group's favourites stay on the ballot, so no group's best passing outcome is
    dropped, and an election's cost (Schulze is cubic in the candidates) stays bounded."""
    if len(candidates) <= limit:
        return candidates
    per_group = max(1, limit // len(game.group_ids))
    keep: set[int] = set()
    for row in game.utility_matrix[:, candidates]:
        order = np.argsort(-np.round(row, BALLOT_DECIMALS), kind="stable")
        keep.update(int(candidates[k]) for k in order[:per_group])
    return np.array(sorted(keep), dtype=np.int64)


def ballots(game: Game, candidates: np.ndarray) -> np.ndarray:
    """(groups x candidates) scores: each group's normalised utility, rounded so near-equal values tie."""
    return np.round(game.utility_matrix[:, candidates], BALLOT_DECIMALS)


def shares(game: Game) -> np.ndarray:
    return np.array([game.shares[g] for g in game.group_ids], dtype=np.float64)


@dataclass(frozen=True)
class Choice:
    """What a mediator decided: the outcome and the sentence that explains it."""

    outcome: Outcome
    reason: str
    detail: str = ""


class ChosenMediator:
    """Decides once, at its first turn, and proposes that choice at every turn (re-tabling the same proposal
    keeps everyone's stances). Subclasses implement ``choose`` (None: no outcome passes the rule honestly)."""

    name = "chosen"

    def __init__(self, game: Game):
        self.game = game
        self._choice: Choice | None = None
        self._decided = False

    def choose(self, obs: MediatorObservation) -> Choice | None:
        raise NotImplementedError

    def words(self, obs: MediatorObservation, choice: Choice) -> tuple[str, str]:
        """The move's utterance and rationale for the current turn."""
        label = self.game.space.label(choice.outcome)
        return f"I propose {label}: {choice.reason}", choice.detail

    def act(self, obs: MediatorObservation) -> Move:
        if not self._decided:
            self._choice = self.choose(obs)
            self._decided = True
        if self._choice is None:
            return no_passing_outcome(obs)
        utterance, rationale = self.words(obs, self._choice)
        return Move(speaker=MEDIATOR, view=self._choice.outcome, proposal=self._choice.outcome,
                    utterance=utterance, rationale=rationale)
