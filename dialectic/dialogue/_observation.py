"""What a participant sees at its turn: the public game, the public record, and its own utility only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dialectic.dialogue._move import Move
from dialectic.dialogue._table import Table
from dialectic.game import AgreementRule, Game, Opening
from dialectic.rewards import GroupUtility
from dialectic.space import DiscreteSpace, Outcome


@dataclass(frozen=True, slots=True)
class PublicGame:
    """The scenario as every agent may know it: the space, the groups, the rule, the schedule.
    It deliberately holds no reward model and no reservation of any group."""

    space: DiscreteSpace
    group_ids: tuple[str, ...]
    rule: AgreementRule
    rounds: int
    opening: Opening
    opening_views: dict[str, Outcome]
    epsilon: float

    @classmethod
    def of(cls, game: Game) -> PublicGame:
        views = {g: game.opening_view(g) for g in game.group_ids}
        return cls(game.space, tuple(game.group_ids), game.rule, game.rounds, game.opening, views, game.epsilon)


@dataclass(frozen=True, slots=True)
class Said:
    """A move in context: the one record of a move the engine, the agents and the evaluator share (the
    trace's MoveEvent is its form on disk). ``answers`` is the proposal that was on the table when it was
    made (what its ``accepts`` stance answered); ``turn`` and ``round`` number it as the engine does."""

    turn: int
    round: int
    move: Move
    answers: Outcome | None

    @property
    def speaker(self) -> str:
        return self.move.speaker


@dataclass(frozen=True, slots=True)
class Observation:
    me: str
    utility: GroupUtility
    public: PublicGame
    table: Table
    record: Sequence[Said]
    turn: int
    round: int
    rng: np.random.Generator

    @property
    def progress(self) -> float:
        """Time in [0, 1]: 0 in the first round, 1 in the last (the t of concession targets)."""
        return (self.round - 1) / max(self.public.rounds - 1, 1)

    @property
    def my_view(self) -> Outcome:
        return self.table.views[self.me]

    def others(self) -> list[str]:
        return [g for g in self.public.group_ids if g != self.me]


@dataclass(frozen=True, slots=True)
class MediatorObservation:
    """A mediator holds every group's reward model, as the aggregating reward model of RLHF does."""

    game: Game
    table: Table
    record: Sequence[Said]
    turn: int
    round: int
    rng: np.random.Generator
