"""Reward kind ``learned``: one component of a model fitted by ``dialectic rm fit`` (dialectic.learned), scored in
process. A model of outcomes (onehot features) is an additive reward over the scenario's issues; a statement
model (minilm features) scores each statement by its text, phi(text) @ head, so it scores any text: a
statement generated during a run too (``ascore_texts``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dialectic.learned import FittedModel
from dialectic.learned._reward import SpecProblem, check_learned_reward, onehot_points
from dialectic.rewards._protocol import RewardModel, reward
from dialectic.rewards._tabular import AdditiveRewardModel
from dialectic.scenario import LearnedReward
from dialectic.space import DiscreteSpace


class LearnedTextRewardModel:
    """A statement model's component: r(s) = text_features(s) @ head, for the space's outcomes (by their text)
    and for any text."""

    def __init__(self, model: FittedModel, component: int, space: DiscreteSpace):
        self.model = model
        self.component = component
        self.space = space

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.score(list(texts), self.component)

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        rows = np.atleast_2d(outcomes)
        return self.score_texts([self.space.text(tuple(int(k) for k in row)) for row in rows])

    async def ascore_texts(self, texts: Sequence[str]) -> list[float]:
        return [float(v) for v in self.score_texts(texts)]


@reward("learned")
def learned(spec: LearnedReward, space: DiscreteSpace) -> RewardModel:
    try:
        model, index, span = check_learned_reward(spec.path(), spec.component, space.spec)
    except SpecProblem as problem:
        raise ValueError(f"reward kind 'learned' ({spec.path()}): {problem}") from None
    if span is None:
        return LearnedTextRewardModel(model, index, space)
    return AdditiveRewardModel(onehot_points(model, index, space.issue_ids, space.options))


learned.scores_text = True  # type: ignore[attr-defined]  # statement models score any text (onehot ones do not)
