"""The context every metric reads: one run's trace replayed against its game, with the intermediate
verdicts (stances, pulls, AI-wins, welfare, oracles) computed once, on first use, and shared.

A metric is a function of this context (see `dialectic.evaluate.metric`); it never replays the
trace itself, so twenty metrics cost one replay.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from dialectic.dialogue import MEDIATOR, OPENING_TURN, Step, Utterance
from dialectic.evaluate import _agreement as agreement
from dialectic.evaluate import _injection as injection
from dialectic.evaluate import _persuasion as persuasion
from dialectic.evaluate._replay import Ending, Replay, replay
from dialectic.evaluate._solved import dominance, solved
from dialectic.evaluate._welfare import Welfare, welfare
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.trace import Trace

NamedOutcome = dict[str, str]

if TYPE_CHECKING:
    from dialectic.oracles import OracleResult


class Context:
    """One run, replayed once; every derived quantity is a cached property."""

    def __init__(self, game: Game, trace: Trace, run: Replay | None = None):
        self.game = game
        self.trace = trace
        self.run = run if run is not None else replay(game, trace)

    # -- the run -----------------------------------------------------------------------------------
    @property
    def groups(self) -> list[str]:
        return self.game.group_ids

    @property
    def settlement(self) -> Outcome | None:
        return self.run.settlement

    @property
    def declared(self) -> bool:
        return self.run.settlement is not None

    @property
    def ending(self) -> Ending:
        """How the run ended, by the replay (not by the trace's end event)."""
        assert self.run.ending is not None
        return self.run.ending

    @property
    def opening(self) -> dict[str, Outcome]:
        """Opening view of every participant (a mediator's: its first proposal)."""
        return self.run.opening_views

    @property
    def final(self) -> dict[str, Outcome]:
        """Final view of every participant (a mediator's: its last proposal)."""
        return self.run.final_views

    def is_group(self, speaker: str) -> bool:
        return speaker in self.game.utilities

    def named(self, outcome: Outcome) -> NamedOutcome:
        return self.game.space.names(outcome)

    def named_or_none(self, outcome: Outcome | None) -> NamedOutcome | None:
        return None if outcome is None else self.named(outcome)

    @cached_property
    def steps(self) -> list[Step]:
        """Every move in order, with the tables around it and what it answered."""
        steps: list[Step] = []
        opener = self.trace.opening.speaker
        said: list[Utterance] = [Utterance(OPENING_TURN, opener)]
        last_turn: dict[str, int] = {opener: OPENING_TURN}
        before = self.run.opening
        for turn, after in zip(self.run.turns, self.run.tables, strict=True):
            speaker = turn.move.speaker
            since = last_turn.get(speaker, OPENING_TURN - 1)
            replies = tuple(u for u in said if u.turn > since and u.speaker != speaker)
            steps.append(Step(turn.turn, turn.round, turn.move, turn.answers, before, after, replies))
            said.append(Utterance(turn.turn, speaker))
            last_turn[speaker] = turn.turn
            before = after
        return steps

    @cached_property
    def injected(self) -> list[injection.Injected]:
        """Utterances carrying an injection attack (dialectic.evaluate._injection), read once per run."""
        return injection.injected(self.steps)

    @cached_property
    def injection_exposure(self) -> dict[str, list[tuple[Step, tuple[int, ...]]]]:
        """Per group, its moves that answered another speaker's attack, with the attack turns."""
        return injection.exposure(self.game, self.steps, self.injected)

    @cached_property
    def mediated(self) -> bool:
        return MEDIATOR in self.opening

    # -- agreement ---------------------------------------------------------------------------------
    @cached_property
    def stances(self) -> dict[str, bool]:
        """Each participant's final stance on the settlement (empty without one)."""
        return self.run.accepted_settlement

    @cached_property
    def false_acceptors(self) -> list[str]:
        return agreement.false_acceptors(self.game, self.settlement, self.stances)

    @cached_property
    def false_tolerance(self) -> list[tuple[str, str]]:
        return agreement.false_tolerance(self.game, self.run.final)

    @cached_property
    def false_agreement(self) -> bool:
        return self.declared and bool(self.false_acceptors or self.false_tolerance)

    @cached_property
    def compatible(self) -> bool:
        return agreement.compatible(self.game, self.settlement)

    @cached_property
    def compatible_views(self) -> bool:
        return agreement.compatible_views(self.game, self.final)

    @cached_property
    def identical_views(self) -> bool:
        return agreement.identical_views(self.game, self.final)

    @cached_property
    def static_by_group(self) -> dict[str, bool]:
        return agreement.static_by_group(self.game, self.run.opening, self.run.final)

    # -- persuasion --------------------------------------------------------------------------------
    @cached_property
    def pulls(self) -> dict[str, float]:
        return {a: persuasion.pull(self.game, self.opening, self.final, a) for a in self.opening}

    @cached_property
    def wins(self) -> persuasion.AIWins:
        return persuasion.ai_wins(self.game, self.pulls, self.opening, self.final, self.settlement)

    @cached_property
    def concession(self) -> dict[str, float | None]:
        return persuasion.concession(self.game, self.opening, self.final)

    @cached_property
    def flip_turns(self) -> dict[str, list[int]]:
        return persuasion.flip_turns(self.game, self.run.turns)

    # -- welfare and oracles -----------------------------------------------------------------------
    @cached_property
    def welfare(self) -> Welfare:
        return welfare(self.game, self.settlement)

    def optimum(self, objective: str) -> OracleResult:
        """An oracle of the game (dialectic.oracles objective name), solved once per Game."""
        return solved(self.game, objective)

    @property
    def oracle(self) -> OracleResult:
        return self.optimum("maxmin")

    @property
    def unconstrained(self) -> OracleResult:
        return self.optimum("maxmin_unconstrained")

    @cached_property
    def dominance(self) -> OracleResult | None:
        """Is the settlement Pareto dominated (dialectic.oracles.is_pareto_dominated)? None without one."""
        return None if self.settlement is None else dominance(self.game, self.settlement)
