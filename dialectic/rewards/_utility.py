"""Normalised utility of one group over an enumerable space: u(x) = (r(x) - min r) / (max r - min r)."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from dialectic.rewards._protocol import RewardModel
from dialectic.rules import accepts, accepts_array
from dialectic.space import DiscreteSpace, Outcome


class GroupUtility:
    """One group's reward model, normalised over the space, with its reservation in the same units.

    This is everything an agent knows of its own group's preferences; the evaluator builds the same
    object for every group, so what an agent optimised is what it is judged by.
    """

    def __init__(self, group_id: str, model: RewardModel, space: DiscreteSpace, reservation: float):
        self.group_id = group_id
        self.name = group_id
        self.persona = ""
        self.model = model
        self.space = space
        self.rewards = np.asarray(model.score(space.outcomes), dtype=np.float64)
        # A reward over a continuous domain knows its exact range there (the lattice may miss both ends).
        exact_range = getattr(model, "reward_range", None)
        low, high = exact_range() if exact_range is not None else (self.rewards.min(), self.rewards.max())
        self.low, self.high = float(low), float(high)
        self.values = (self.rewards - self.low) / (self.high - self.low)
        self.reservation_reward = reservation
        self.reservation = (reservation - self.low) / (self.high - self.low)
        # Python-float copies for scalar look-ups, which numpy indexing makes slow (same values).
        self._value_list: list[float] = self.values.tolist()
        self._reward_list: list[float] = self.rewards.tolist()

    def __call__(self, outcome: Outcome) -> float:
        try:
            return self._value_list[self.space.index(outcome)]
        except KeyError:  # off a continuous space's lattice (e.g. one issue changed under a total)
            return (self.reward(outcome) - self.low) / (self.high - self.low)

    def reward(self, outcome: Outcome) -> float:
        try:
            return self._reward_list[self.space.index(outcome)]
        except KeyError:
            return float(self.model.score(np.array([outcome]))[0])

    def reward_at(self, flat_index: int) -> float:
        """r of the outcome at this flat index of the space."""
        return self._reward_list[flat_index]

    @cached_property
    def acceptable(self) -> np.ndarray:
        """Mask of outcomes at or above the reservation (what an honest agent accepts)."""
        return accepts_array(self.values, self.reservation)

    def accepts(self, outcome: Outcome) -> bool:
        """Honest acceptance of one outcome: u(x) >= rho (dialectic.rules)."""
        return accepts(self(outcome), self.reservation)

    def best(self, near: Outcome | None = None) -> Outcome:
        """Best outcome; ties to the one nearest `near`, then the first in option order."""
        top = np.flatnonzero(self.values >= self.values.max() - 1e-12)
        if near is not None and len(top) > 1:
            dist = self.space.distances_to(near)[top]
            top = top[dist <= dist.min() + 1e-12]
        return self.space.at(int(top[0]))
