"""A Game is a compiled scenario: the space, every group's normalised utility, the rule, the opening."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from dialectic.game._measure import Distance, ProfileDistance
from dialectic.game._rule import AgreementRule
from dialectic.rewards import GroupUtility, build_reward
from dialectic.rules import accepts_array
from dialectic.scenario import LearnedReward, Scenario, ServedReward
from dialectic.space import Outcome, StatementSpace, build_space


@dataclass(frozen=True)
class Opening:
    speaker: str
    proposal: Outcome


class Game:
    def __init__(self, scenario: Scenario, reward_backend: Any = None):
        """``reward_backend``: the served reward models' client (HTTP or in-process), for scenarios whose
        groups have ``reward: {kind: served}``; ignored by every other kind."""
        self.scenario = scenario
        self.reward_backend = reward_backend
        self.space = build_space(scenario.space)
        self.group_ids = scenario.group_ids
        self.shares = {g.id: g.share for g in scenario.groups}
        self.utilities: dict[str, GroupUtility] = {
            g.id: GroupUtility(g.id, build_reward(g.reward, self.space, reward_backend), self.space, g.reservation)
            for g in scenario.groups
        }
        for g in scenario.groups:  # the group's own words about itself, for its LLM agent's prompt
            self.utilities[g.id].name = g.name or g.id
            self.utilities[g.id].persona = g.persona
        self._check_served()
        #: The evaluator's D (the reward-profile distance on a pool): for the evaluator and mediators only.
        self.measure: Distance = (
            ProfileDistance(np.stack([self.utilities[g].values for g in self.group_ids]),
                            [self.utilities[g] for g in self.group_ids])
            if isinstance(self.space, StatementSpace) else self.space
        )
        self.rule = AgreementRule(
            scenario.agreement,
            self.group_ids,
            [g.share for g in scenario.groups],
            [g.id for g in scenario.groups if g.veto],
        )
        if scenario.opening is not None:
            self.opening = Opening(scenario.opening.speaker, self.space.parse(scenario.opening.named()))
        else:
            first = self.group_ids[0]
            self.opening = Opening(first, self.utilities[first].best())

    def _check_served(self) -> None:
        """Served rewards (and learned statement models) are known only now: their range must be
        non-degenerate, the reservation reachable."""
        for index, group in enumerate(self.scenario.groups):
            if isinstance(group.reward, LearnedReward):
                name = f"model {group.reward.model!r}, component {group.reward.component!r}"
                what, best = f"the learned {name}", "learned"
            elif isinstance(group.reward, ServedReward):
                name = group.reward.describe()
                what, best = f"the served model ({name})", "served"
            else:
                continue
            utility = self.utilities[group.id]
            where = f"groups[{index}]"
            if utility.high <= utility.low:
                raise ValueError(f"{where}.reward: {what} gives every outcome the same reward ({utility.high:g}); "
                                 "expected rewards that differ")
            if group.reservation > utility.high:
                raise ValueError(f"{where}.reservation: expected at most the best {best} reward {utility.high:g} "
                                 f"({name}), found {group.reservation:g}")

    @property
    def epsilon(self) -> float:
        return self.scenario.epsilon

    @property
    def rounds(self) -> int:
        return self.scenario.rounds

    def opening_view(self, group_id: str) -> Outcome:
        """The opening speaker's view is the opening proposal; any other group's is its best outcome
        (ties: nearest the opening proposal, then first in option order)."""
        if group_id == self.opening.speaker:
            return self.opening.proposal
        return self.utilities[group_id].best(near=self.opening.proposal)

    @cached_property
    def utility_matrix(self) -> np.ndarray:
        """(groups, outcomes) normalised utilities, rows in scenario group order."""
        return np.stack([self.utilities[g].values for g in self.group_ids])

    @cached_property
    def reservations(self) -> np.ndarray:
        return np.array([self.utilities[g].reservation for g in self.group_ids])

    @cached_property
    def honest_accepts(self) -> np.ndarray:
        """(groups, outcomes): each group accepts exactly what its reward model puts at or above rho."""
        return accepts_array(self.utility_matrix, self.reservations)

    @cached_property
    def honest_pass(self) -> np.ndarray:
        """(outcomes,) mask of outcomes that pass the rule under honest acceptance."""
        return self.rule.passes_mask(self.honest_accepts)
