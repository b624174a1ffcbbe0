"""The RewardModel protocol and the registry that builds one from a scenario's reward spec."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from dialectic.registry import Registry
from dialectic.space import DiscreteSpace


@runtime_checkable
class RewardModel(Protocol):
    """Scores a batch of outcomes ((n, issues) int array of option indices) in the reward's own units."""

    def score(self, outcomes: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class TextRewardModel(RewardModel, Protocol):
    """A reward model that scores any text, not only the space's outcomes: what a statement generated during
    a run (an LLM agent's own words, `views: free`) needs. ``score`` reads each outcome by ``space.text``
    (so a generated statement is scored by its text), ``ascore_texts`` gives raw rewards of texts."""

    async def ascore_texts(self, texts: Sequence[str]) -> list[float]: ...


RewardFactory = Callable[[Any, DiscreteSpace], RewardModel]
rewards: Registry[RewardFactory] = Registry("reward kind")


def reward(kind: str) -> Callable[[RewardFactory], RewardFactory]:
    """Register a factory building a RewardModel from a scenario reward spec of this `kind`."""
    return rewards.register(kind)


def scores_text(kind: str) -> bool:
    """Does the reward kind build a TextRewardModel (its factory is marked ``scores_text``)? Known from the
    scenario alone, so a card that needs text scoring is refused when it meets the scenario, before a run."""
    return kind in rewards and bool(getattr(rewards.get(kind), "scores_text", False))


def build_reward(spec: Any, space: DiscreteSpace, backend: Any = None) -> RewardModel:
    """The reward model of a scenario spec; kinds marked ``needs_backend`` (served models) get ``backend``."""
    factory = rewards.get(spec.kind)
    if getattr(factory, "needs_backend", False):
        return factory(spec, space, backend)  # type: ignore[call-arg]
    return factory(spec, space)
