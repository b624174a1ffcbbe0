"""Registered agent policies, mediators and strategy cards."""

from dialectic.strategies import hostile as _hostile  # noqa: F401  (registers the hostile control)
from dialectic.strategies import llm as _llm  # noqa: F401  (registers the LLM policy and mediator)
from dialectic.strategies import mediators as _mediators  # noqa: F401  (registers mediators)
from dialectic.strategies import rational as _rational  # noqa: F401  (registers rational policies)
from dialectic.strategies._base import (
    Mediator,
    MediatorSpec,
    Params,
    Policy,
    PolicySpec,
    mediator,
    mediators,
    policies,
    policy,
)
from dialectic.strategies._card import Cast, CastEntry, StrategyCard, agents_dir, card_names, load_card

__all__ = [
    "Cast",
    "CastEntry",
    "Mediator",
    "MediatorSpec",
    "Params",
    "Policy",
    "PolicySpec",
    "StrategyCard",
    "agents_dir",
    "card_names",
    "load_card",
    "mediator",
    "mediators",
    "policies",
    "policy",
]
