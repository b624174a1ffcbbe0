"""Rewards written in the scenario: additive points per option, or a table over whole outcomes."""

from __future__ import annotations

import numpy as np

from dialectic.rewards._protocol import reward
from dialectic.scenario import AdditiveReward, StatementScores, TableReward
from dialectic.space import DiscreteSpace


class AdditiveRewardModel:
    """r(x) = sum over issues of points[issue][option chosen]."""

    def __init__(self, points: list[np.ndarray]):
        self.points = points

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        outcomes = np.atleast_2d(outcomes)
        total = np.zeros(len(outcomes), dtype=np.float64)
        for issue, table in enumerate(self.points):
            total += table[outcomes[:, issue]]
        return total


class TableRewardModel:
    """r(x) looked up in a dense table over the space's flat indices."""

    def __init__(self, space: DiscreteSpace, table: np.ndarray):
        self.space = space
        self.table = table

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        return self.table[self.space.index_many(np.atleast_2d(outcomes))]


@reward("additive")
def additive(spec: AdditiveReward, space: DiscreteSpace) -> AdditiveRewardModel:
    return AdditiveRewardModel([np.asarray(spec.points[i], dtype=np.float64) for i in space.issue_ids])


@reward("table")
def table(spec: TableReward, space: DiscreteSpace) -> TableRewardModel:
    dense = np.full(space.size, np.nan if spec.default is None else spec.default, dtype=np.float64)
    for entry in spec.entries:
        dense[space.index(space.parse(entry.outcome))] = entry.reward
    return TableRewardModel(space, dense)


@reward("statements")
def statements(spec: StatementScores, space: DiscreteSpace) -> AdditiveRewardModel:
    """A statement pool is one issue whose options are the statements: scores are its points."""
    return AdditiveRewardModel([np.asarray([spec.scores[s] for s in space.options[0]], dtype=np.float64)])
