"""Mediators that propose the outcome best by one aggregate of every group's utility.

They choose only among outcomes that pass the rule honestly (every group accepting exactly what its
reward model puts at or above its reservation); when none passes they propose nothing and say so.
average-reward is the single pooled reward model of RLHF; max-min is MaxMin-RLHF's objective (so it
reaches `maxmin_oracle` by construction); nash maximises the product of gains over reservations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dialectic.dialogue import MEDIATOR, MediatorObservation, Move
from dialectic.game import Game
from dialectic.strategies._base import Params, choose, mediator, top

Objective = Callable[[Game, np.ndarray], np.ndarray]


def _average(game: Game, candidates: np.ndarray) -> np.ndarray:
    shares = np.array([game.shares[g] for g in game.group_ids])
    return np.asarray(shares @ game.utility_matrix[:, candidates])


def _maxmin(game: Game, candidates: np.ndarray) -> np.ndarray:
    return np.asarray(game.utility_matrix[:, candidates].min(axis=0))


def _nash(game: Game, candidates: np.ndarray) -> np.ndarray:
    gains = game.utility_matrix[:, candidates] - game.reservations[:, None]
    return np.asarray(np.clip(gains, 0.0, None).prod(axis=0))


def no_passing_outcome(obs: MediatorObservation) -> Move:
    """The move of a mediator that finds no outcome passing the rule honestly: it proposes nothing and
    says so, naming the rule; the referee ends the run in deadlock on it. Its view is the one it held
    (none yet: the proposal on the table), so it states no position of its own."""
    game, table = obs.game, obs.table
    view = table.views.get(MEDIATOR, table.proposal if table.proposal is not None else game.opening.proposal)
    rule = f"{game.rule.agreement.rule}: {game.rule.describe()}"
    return Move(
        speaker=MEDIATOR,
        view=view,
        proposal=None,
        utterance=f"No outcome passes the agreement rule ({rule}) when every group accepts exactly what "
        "its reward model puts at or above its reservation, so I propose nothing: this is a deadlock.",
        rationale=f"0 of {game.space.size} outcomes pass the rule under honest acceptance.",
    )


class AggregateMediator:
    def __init__(self, game: Game, objective: Objective, name: str, what: str):
        self.game = game
        self.objective = objective
        self.name = name
        self.what = what
        self._choice: tuple[int, ...] | None = None
        self._value = 0.0

    def _decide(self, obs: MediatorObservation) -> tuple[int, ...] | None:
        candidates = np.flatnonzero(self.game.honest_pass)
        if len(candidates) == 0:
            return None
        scores = np.zeros(self.game.space.size)
        scores[candidates] = self.objective(self.game, candidates)
        best = choose(obs.rng, top(scores, candidates))
        self._value = float(scores[best])
        return self.game.space.at(best)

    def act(self, obs: MediatorObservation) -> Move:
        if self._choice is None:
            self._choice = self._decide(obs)
            if self._choice is None:
                return no_passing_outcome(obs)
        label = self.game.space.label(self._choice)
        return Move(
            speaker=MEDIATOR,
            view=self._choice,
            proposal=self._choice,
            utterance=f"I propose {label}: of the settlements the rule can pass, it has the highest "
            f"{self.what} ({self._value:.3f}).",
        )


@mediator("average-reward", "Mediator maximising the share-weighted mean utility (pooled RLHF reward).")
def average_reward(params: Params, game: Game) -> AggregateMediator:
    return AggregateMediator(game, _average, "average-reward", "share-weighted mean utility")


@mediator("max-min", "Mediator maximising the worst-off group's utility (MaxMin-RLHF).")
def max_min(params: Params, game: Game) -> AggregateMediator:
    return AggregateMediator(game, _maxmin, "max-min", "worst-off group's utility")


@mediator("nash", "Mediator maximising the Nash product of gains over reservations.")
def nash(params: Params, game: Game) -> AggregateMediator:
    return AggregateMediator(game, _nash, "nash", "Nash product of gains over reservations")
