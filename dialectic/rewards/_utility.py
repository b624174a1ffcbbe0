"""Normalised utility of one group over an enumerable space: u(x) = (r(x) - min r) / (max r - min r).

On a statement pool the space may also hold statements generated during a run (dialectic.space
StatementSpace.admit): outcomes beyond the pool. Their rewards come from the group's reward model by their
text (a TextRewardModel), asked once each and remembered; their utility is normalised over the reference
pool, as every other, and clipped to [0, 1] (DESIGN.md), so min and max stay the pool's.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from dialectic.rewards._protocol import RewardModel, TextRewardModel
from dialectic.rules import accepts, accepts_array
from dialectic.space import DiscreteSpace, Outcome


class TextNotScorable(ValueError):
    """A generated statement met a reward model that scores only the space's own outcomes."""


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
        #: Raw rewards of outcomes beyond the enumerated space (generated statements), by flat index.
        self._beyond: dict[int, float] = {}

    def __call__(self, outcome: Outcome) -> float:
        try:
            return self._value_list[self.space.index(outcome)]
        except KeyError:  # off a continuous space's lattice (e.g. one issue changed under a total)
            return (self.reward(outcome) - self.low) / (self.high - self.low)
        except IndexError:  # a generated statement: normalised over the pool, clipped to [0, 1]
            return self.clipped(self.reward_at(self.space.index(outcome)))

    def clipped(self, reward: float) -> float:
        """A raw reward in normalised units, clipped to [0, 1] (how a generated statement is measured)."""
        return min(max((reward - self.low) / (self.high - self.low), 0.0), 1.0)

    def reward(self, outcome: Outcome) -> float:
        try:
            return self._reward_list[self.space.index(outcome)]
        except KeyError:
            return float(self.model.score(np.array([outcome]))[0])
        except IndexError:
            return self.reward_at(self.space.index(outcome))

    def reward_at(self, flat_index: int) -> float:
        """r of the outcome at this flat index of the space (beyond it: a generated statement, scored once)."""
        try:
            return self._reward_list[flat_index]
        except IndexError:
            known = self._beyond.get(flat_index)
            if known is None:
                outcome = self._generated(flat_index)
                self._require_text(outcome)
                known = self._beyond[flat_index] = float(self.model.score(np.array([outcome]))[0])
            return known

    @property
    def scores_text(self) -> bool:
        """Can this group's reward model score a new text (a statement generated during a run)?"""
        return isinstance(self.model, TextRewardModel)

    def remember(self, outcome: Outcome, reward: float) -> None:
        """Take r of a generated statement as given (the evaluator, from a trace's record, where the model
        cannot score text); an outcome of the space keeps its own reward."""
        flat = self.space.index(outcome)
        self._generated(flat)
        self._beyond[flat] = float(reward)

    def knows(self, outcome: Outcome) -> bool:
        """Is r(outcome) known without asking the model (an outcome of the space, or a generated statement
        scored or remembered before)?"""
        return not self._unscored(outcome)

    def _unscored(self, outcome: Outcome) -> bool:
        """A generated statement whose reward is not known yet (anything else is known or computed here)."""
        try:
            flat = self.space.index(outcome)
        except KeyError:  # off a continuous lattice: scored by its issues, in process
            return False
        return flat >= len(self._reward_list) and flat not in self._beyond

    async def ascore(self, outcomes: Sequence[Outcome]) -> list[float]:
        """u of each outcome; generated statements not scored before are asked of the model by their text,
        asynchronously and in one batch (so no synchronous request runs inside an event loop)."""
        fresh = list(dict.fromkeys(o for o in outcomes if self._unscored(o)))
        if fresh:
            for outcome in fresh:
                self._require_text(self._generated(self.space.index(outcome)))
            model = self.model
            assert isinstance(model, TextRewardModel)
            raw = await model.ascore_texts([self.space.text(o) for o in fresh])
            for outcome, value in zip(fresh, raw, strict=True):
                self._beyond[self.space.index(outcome)] = float(value)
        return [self(o) for o in outcomes]

    def _generated(self, flat_index: int) -> Outcome:
        """The generated statement at this flat index (IndexError: the space has no such outcome)."""
        outcome = self.space.at(flat_index) if flat_index >= 0 else (flat_index,)
        if not self.space.is_generated(outcome) or not self.space.is_valid(outcome):
            raise IndexError(f"flat index {flat_index} is not an outcome of the space (size {self.space.size})")
        return outcome

    def _require_text(self, outcome: Outcome) -> None:
        if not self.scores_text:
            raise TextNotScorable(
                f"group {self.group_id!r}: its reward model ({type(self.model).__name__}) scores only the "
                f"reference pool, not the generated statement {self.space.label(outcome)} "
                f"({self.space.text(outcome)[:80]!r}); a run with generated statements needs reward models "
                "that score text (reward kind 'served')")

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
