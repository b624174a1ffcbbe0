"""Policies (one group's agent) and mediators, registered by name with a pydantic parameter model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.dialogue import MediatorObservation, Move, Observation, PublicGame
from dialectic.game import Game
from dialectic.registry import Registry
from dialectic.rewards import GroupUtility
from dialectic.scenario import Scenario


@dataclass(frozen=True)
class Unmet:
    """A parameter a scenario cannot serve: the parameter, what it needs, and where the scenario falls
    short (its field and what it holds there)."""

    param: str
    needs: str
    scenario_field: str
    found: str


class Params(BaseModel):
    """Base of every policy's parameters: unknown keys in a card are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def unmet(self, scenario: Scenario) -> list[Unmet]:
        """What these parameters need of a scenario that it lacks (checked when a card meets a scenario,
        before a run); nothing by default."""
        return []


class Policy(Protocol):
    def act(self, obs: Observation) -> Move: ...


class Mediator(Protocol):
    def act(self, obs: MediatorObservation) -> Move | None:
        """The mediator's move. A move with no proposal says it has nothing the rule could pass (its
        utterance says why): it is recorded and the run ends in deadlock. None ends the run in deadlock
        without a move on record (the LLM mediator when none of its drafts is valid)."""
        ...


@dataclass(frozen=True)
class PolicySpec:
    name: str
    description: str
    params: type[Params]
    build: Callable[[Any, str, GroupUtility, PublicGame], Policy]
    needs_chat: bool = False  # an LLM policy: runs only with a chat backend


@dataclass(frozen=True)
class MediatorSpec:
    name: str
    description: str
    params: type[Params]
    build: Callable[[Any, Game], Mediator]
    needs_chat: bool = False


policies: Registry[PolicySpec] = Registry("policy")
mediators: Registry[MediatorSpec] = Registry("mediator")


def policy(
    name: str, description: str, params: type[Params] = Params, needs_chat: bool = False
) -> Callable[[Callable[..., Policy]], Callable[..., Policy]]:
    """Register a policy: `build(params, me, own_utility, public_game)`; it never sees other groups'
    reward models (DESIGN.md, "What an agent knows")."""

    def add(build: Callable[..., Policy]) -> Callable[..., Policy]:
        policies.register(name)(PolicySpec(name, description, params, build, needs_chat))
        return build

    return add


def mediator(
    name: str, description: str, params: type[Params] = Params, needs_chat: bool = False
) -> Callable[[Callable[..., Mediator]], Callable[..., Mediator]]:
    def add(build: Callable[..., Mediator]) -> Callable[..., Mediator]:
        mediators.register(name)(MediatorSpec(name, description, params, build, needs_chat))
        return build

    return add


def choose(rng: np.random.Generator, candidates: np.ndarray) -> int:
    """The run's seeded generator breaks the ties that remain."""
    if len(candidates) == 1:
        return int(candidates[0])
    return int(candidates[rng.integers(len(candidates))])


def top(scores: np.ndarray, among: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Members of `among` whose score is maximal."""
    values = scores[among]
    return among[values >= values.max() - tol]
