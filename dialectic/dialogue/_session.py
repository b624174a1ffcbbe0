"""One run's mutable side: participants, seeded generators, the trace, and the referee's rules."""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np

from dialectic.dialogue._move import MEDIATOR, Move, MoveError
from dialectic.dialogue._observation import MediatorObservation, Observation, PublicGame, Said
from dialectic.dialogue._referee import EndReason, Referee
from dialectic.dialogue._table import Table
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.trace import MoveEvent, StatementEvent, TraceWriter, collect_retries

#: The participant whose policy is running; lets checks see who touches which reward model.
ACTING: ContextVar[str | None] = ContextVar("dialectic_acting", default=None)


class Speaker(Protocol):
    def act(self, obs: Any) -> Move | None: ...


class Drafted(Protocol):
    """What a drafting participant hands the reward step: whose draft it is, and in which role."""

    @property
    def participant(self) -> str: ...

    @property
    def role(self) -> str: ...  # "agent" or "mediator"


class Drafting(Protocol):
    """A participant that drafts with a chat model and chooses in the graph's reward step (the LLM
    policies, dialectic.strategies.llm): the strategy supplies both halves, so the dialogue never
    imports a strategy. `achoose` scores the draft with the participant's own reward model(s) and
    returns the move to play (None: no valid draft, the run ends in deadlock) and what to record of
    the generation."""

    async def adraft(self, obs: Any, chat: Any) -> Drafted: ...

    async def achoose(self, draft: Any, table: Table, turn: int) -> tuple[Move | None, Any]: ...


def participant_rng(seed: int, index: int) -> np.random.Generator:
    """Each participant draws from its own stream of the run's seed, so adding a draw to one policy
    does not shift another's."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


@dataclass(eq=False, repr=False)
class Session:
    """One run's participants and state, handed to the graph's nodes as its context (`Runtime[Session]`).
    A dataclass because LangGraph's context schema must be one (or a TypedDict or a pydantic model);
    compared and hashed by identity, like any run-scoped object."""

    game: Game
    agents: dict[str, Speaker]
    mediator: Speaker | None
    mutual_tolerance: bool
    seed: int
    writer: TraceWriter | None = None
    backends: Any = None  # chat + reward backends for LLM participants (dialectic.backends.Backends)
    #: Who each participant hears (its neighbours in the run's topology, dialectic.topology); None: everyone
    #: hears everyone. A group agent's observation then holds only the moves of those it hears and its own;
    #: the table stays public, and the mediator's observation stays whole.
    hears: Mapping[str, frozenset[str]] | None = None
    #: The simultaneous protocol: every agent moves at once each round, the referee merges (dialectic.dialogue._engine).
    simultaneous: bool = False
    #: The mediated-critique protocol: only the mediator tables proposals; agents answer with stances and critiques.
    critique: bool = False
    public: PublicGame = field(init=False)
    referee: Referee = field(init=False)
    order: list[str] = field(init=False)
    rngs: dict[str, np.random.Generator] = field(init=False)
    max_turns: int = field(init=False)
    #: The public record: every move so far, in order (what observations show as `record`).
    said: list[Said] = field(init=False)
    events: list[MoveEvent] = field(init=False)
    statements: list[StatementEvent] = field(init=False)
    failed_drafts: list[tuple[int, Any]] = field(init=False)
    #: Per group agent (with a topology): the moves it heard, in order, and their indices in `said`.
    heard: dict[str, list[Said]] = field(init=False)
    heard_at: dict[str, list[int]] = field(init=False)
    #: Per speaker: the group agents that hear its moves (itself included).
    listeners: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        game = self.game
        self.public = PublicGame.of(game)
        groups = game.group_ids
        self.referee = Referee.of(game.rule, groups, game.opening.speaker, game.rounds,
                                  mediated=self.mediator is not None, mutual_tolerance=self.mutual_tolerance)
        self.order = list(self.referee.order)
        self.rngs = {g: participant_rng(self.seed, k) for k, g in enumerate(groups)}
        self.rngs[MEDIATOR] = participant_rng(self.seed, len(groups))
        self.max_turns = self.referee.max_turns
        self.said = []
        self.events = []
        self.statements = []
        self.failed_drafts = []
        self.heard = {g: [] for g in groups} if self.hears is not None else {}
        self.heard_at = {g: [] for g in groups} if self.hears is not None else {}
        self.listeners = {}
        if self.hears is not None:
            hears = self.hears
            self.listeners = {s: tuple(g for g in groups if g == s or s in hears.get(g, ())) for s in self.order}

    def record_for(self, participant: str, record: Sequence[Said]) -> Sequence[Said]:
        """What ``participant`` observes of ``record`` (a prefix of `said`, as the engine passes it): all of
        it without a topology, and for the mediator; else the moves it heard (kept per agent as they are
        recorded, so nothing is filtered again at each turn)."""
        if self.hears is None or participant == MEDIATOR:
            return record
        heard, at = self.heard[participant], self.heard_at[participant]
        if not at or at[-1] < len(record):
            return heard
        return heard[:bisect_left(at, len(record))]

    def opening_views(self) -> dict[str, Outcome]:
        return dict(self.public.opening_views)

    def opening_table(self) -> Table:
        return Table.opening(self.opening_views(), self.game.opening.speaker, self.game.opening.proposal)

    def round_of(self, turn: int) -> int:
        return self.referee.round_of(turn)

    def speak(self, participant: str, table: Table, record: Sequence[Said], turn: int) -> Move | None:
        rng = self.rngs[participant]
        if participant == MEDIATOR:
            assert self.mediator is not None
            return self.mediator.act(MediatorObservation(self.game, table, record, turn, self.round_of(turn), rng))
        record = self.record_for(participant, record)
        obs = Observation(
            me=participant,
            utility=self.game.utilities[participant],
            public=self.public,
            table=table,
            record=record,
            turn=turn,
            round=self.round_of(turn),
            rng=rng,
        )
        token = ACTING.set(participant)
        try:
            return self.agents[participant].act(obs)
        finally:
            ACTING.reset(token)

    @property
    def staged(self) -> bool:
        """True when some participant drafts with an LLM: the run needs the graph with a reward step."""
        speakers = [*self.agents.values(), *([self.mediator] if self.mediator is not None else [])]
        return any(hasattr(s, "adraft") for s in speakers)

    async def aspeak(self, participant: str, table: Table, record: Sequence[Said], turn: int) -> Any:
        """A Move (rational participants), a Draft to be scored (LLM participants), or None (deadlock)."""
        speaker = self.mediator if participant == MEDIATOR else self.agents[participant]
        assert speaker is not None  # a mediator speaks only in mediated runs (the referee's order)
        if not hasattr(speaker, "adraft"):
            return self.speak(participant, table, record, turn)
        if self.backends is None or self.backends.chat is None:
            raise RuntimeError(f"{participant} is an LLM participant but the run has no chat backend "
                               "(pass --endpoints FILE from `dialectic serve`, or --backend transformers)")
        rng = self.rngs[participant]
        if participant == MEDIATOR:
            mobs = MediatorObservation(self.game, table, record, turn, self.round_of(turn), rng)
            return await speaker.adraft(mobs, self.backends.chat)
        record = self.record_for(participant, record)
        obs = Observation(me=participant, utility=self.game.utilities[participant], public=self.public,
                          table=table, record=record, turn=turn, round=self.round_of(turn), rng=rng)
        token = ACTING.set(participant)
        try:
            return await speaker.adraft(obs, self.backends.chat)
        finally:
            ACTING.reset(token)

    async def reward_step(self, draft: Drafted, table: Table, turn: int) -> tuple[Move | None, Any]:
        """The graph's reward step: the drafting participant scores its draft's candidates with its reward
        model(s) and chooses the move (Drafting.achoose)."""
        if draft.role == "mediator":
            return await cast(Drafting, self.mediator).achoose(draft, table, turn)
        token = ACTING.set(draft.participant)
        try:
            return await cast(Drafting, self.agents[draft.participant]).achoose(draft, table, turn)
        finally:
            ACTING.reset(token)

    def record_failed_draft(self, generation: Any, turn: int) -> None:
        """A mediator whose every draft was invalid: the run ends in deadlock; the drafts stay on record."""
        self.failed_drafts.append((turn, generation))

    async def announce(self, move: Move, turn: int) -> None:
        """Before a move is recorded: each statement it states that was generated during the run (an LLM
        participant's own words) and is not on record yet is scored by every group's reward model (the
        engine's side: no agent is shown another group's reward) and written once, as a StatementEvent."""
        space = self.game.space
        said = {s.id for s in self.statements}
        new = [o for o in dict.fromkeys((move.view, move.proposal)) if o is not None and space.is_valid(o)
               and space.is_generated(o) and space.label(o) not in said]
        if not new:
            return
        utilities = self.game.utilities
        await asyncio.gather(*(utility.ascore(new) for utility in utilities.values()))
        for outcome in new:
            event = StatementEvent(id=space.label(outcome), text=space.text(outcome), turn=turn,
                                   rewards={g: utility.reward(outcome) for g, utility in utilities.items()})
            self.statements.append(event)
            if self.writer is not None:
                self.writer.write(event)

    def check(self, move: Move) -> None:
        """A move must fit the space and name only known groups."""
        space = self.game.space
        where = f"move by {move.speaker}"
        if move.speaker not in self.order:
            raise MoveError(f"{where}: speaker is not a participant ({self.order})")
        if not space.is_valid(move.view):
            raise MoveError(f"{where}: view {move.view!r} is not an outcome of the space")
        if move.proposal is not None and not space.is_valid(move.proposal):
            raise MoveError(f"{where}: proposal {move.proposal!r} is not an outcome of the space")
        if self.critique and move.speaker != MEDIATOR and move.proposal is not None:
            raise MoveError(f"{where}: proposal {move.proposal!r}, but under protocol 'mediated-critique' only the "
                            "mediator tables proposals (an agent answers the draft with its stance and a critique)")
        unknown = [g for g in move.tolerates if g not in self.game.utilities or g == move.speaker]
        if unknown:
            raise MoveError(f"{where}: tolerates names {unknown}, expected other group ids")

    def record(self, said: Said, table: Table, generation: Any = None) -> None:
        space, move = self.game.space, said.move
        view_at = space.index(move.view)
        proposal_at = None if move.proposal is None else space.index(move.proposal)
        # Validated from plain data in one call: cheaper than building a RewardPair per group first.
        event = MoveEvent.model_validate(
            {
                "turn": said.turn,
                "round": said.round,
                "speaker": move.speaker,
                "view": space.names(move.view),
                "proposal": None if move.proposal is None else space.names(move.proposal),
                "answers": None if said.answers is None else space.names(said.answers),
                "accepts": move.accepts,
                "tolerates": dict(move.tolerates),
                "utterance": move.utterance,
                "rationale": move.rationale,
                "target": move.target,
                "rewards": {
                    g: {
                        "view": utility.reward_at(view_at),
                        "proposal": None if proposal_at is None else utility.reward_at(proposal_at),
                    }
                    for g, utility in self.game.utilities.items()
                },
            }
        )
        if generation is not None:
            event.generation = generation
        retries = collect_retries()  # requests to a server retried while this move was made
        if retries is not None:
            event.retries = retries
        self.events.append(event)
        if self.writer is not None:
            self.writer.write(event)
        if self.hears is not None:
            index = len(self.said)
            for listener in self.listeners.get(said.speaker, ()):
                self.heard[listener].append(said)
                self.heard_at[listener].append(index)
        self.said.append(said)

    def passes(self, table: Table) -> bool:
        return self.referee.passes(table)

    def decide(self, table: Table, turn: int, move: Move | None = None) -> EndReason | None:
        return self.referee.decide(table, turn, move)
