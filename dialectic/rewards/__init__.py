"""Reward models: the protocol, the scenario's own kinds, and normalised group utilities."""

from dialectic.rewards import _continuous, _learned, _served, _tabular  # noqa: F401  (registers the reward kinds)
from dialectic.rewards._continuous import SeparableRewardModel
from dialectic.rewards._protocol import (
    RewardModel,
    TextRewardModel,
    build_reward,
    reward,
    rewards,
    scores_text,
)
from dialectic.rewards._served import NoRewardBackend, RewardBackend, ServedRewardModel
from dialectic.rewards._tabular import AdditiveRewardModel, TableRewardModel
from dialectic.rewards._utility import GroupUtility, TextNotScorable

__all__ = [
    "AdditiveRewardModel",
    "GroupUtility",
    "NoRewardBackend",
    "RewardBackend",
    "RewardModel",
    "SeparableRewardModel",
    "ServedRewardModel",
    "TableRewardModel",
    "TextNotScorable",
    "TextRewardModel",
    "build_reward",
    "reward",
    "rewards",
    "scores_text",
]
