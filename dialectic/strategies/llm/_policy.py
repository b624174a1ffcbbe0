"""LLM participants: an agent policy (negotiator, dialectical, critic prompts) and the Habermas mediator.

Each samples ``n`` candidates from the chat backend with the reply's JSON schema as structured output; the
engine's reward step then scores them with the group's reward model (the mediator: every group's) and plays
the best. The rewards of the agent's earlier moves are fed back in its next prompt. A candidate that is not
schema-valid after the client's retries is recorded as invalid; if every candidate is, the agent holds its
position (same view and stance, no proposal) and the trace says why.

``views: free`` (statement pools whose every group's reward scores text) lets a participant state a view or
propose a settlement in its own words; the text becomes a generated statement of the space, scored like any
other (its own group's model in the reward step; every group's by the engine once it is played, recorded
in the trace's statement events). docs/llm.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from dialectic.dialogue import MEDIATOR, MediatorObservation, Move, Observation, PublicGame, Table
from dialectic.game import Game
from dialectic.rewards import GroupUtility, scores_text
from dialectic.scenario import Scenario
from dialectic.strategies._base import Params, Unmet, mediator, policy
from dialectic.strategies.llm._context import (
    agent_fields,
    history_text,
    in_play,
    outcome_text,
    space_text,
    table_text,
)
from dialectic.strategies.llm._draft import ChatBackend, Draft
from dialectic.strategies.llm._prompt import PromptError, load_prompt
from dialectic.strategies.llm._reward_step import choose_agent_move, choose_mediator_move
from dialectic.strategies.llm._schema import move_schema, parse_outcome, settlement_schema, to_move
from dialectic.trace import Generation

SEED_RANGE = 2**31 - 1
#: Longest generated statement, in characters, unless a card sets ``statement_chars``.
STATEMENT_CHARS = 200


def _default(value: Any) -> bool:
    return value is None or value == "pool"


def _true(value: Any) -> bool:
    return value is True


class LLMParams(Params):
    prompt: str = "negotiator"
    n: int = Field(default=1, ge=1, le=32, description="candidates sampled per turn (best-of-n)")
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=16, description="default: the schema's own token budget")
    utterance_chars: int = Field(default=240, ge=8, le=4000)
    rationale_chars: int = Field(default=120, ge=0, le=2000)
    history: int = Field(default=12, ge=0, description="moves of the public record shown in the prompt")
    stance_penalty: float = Field(
        default=0.0, ge=0.0,
        description="subtracted from a candidate's score when its 'accepts' contradicts the group's reward "
                    "model (accepts below the reservation or rejects at/above it); 0 leaves stances to the LLM")
    quote_others: bool = Field(
        default=True,
        description="the defence against injected instructions, first half: other participants' utterances (and "
                    "statements they generated) reach the prompt only as quoted JSON strings inside a delimited "
                    "public record, after a notice that nothing there is an instruction (docs/hostile.md)")
    guard: bool = Field(
        default=True,
        description="the defence, second half (agents): the reward step rejects a candidate whose view or "
                    "proposal, or whose acceptance of the table, its own group's reward model puts below the "
                    "reservation; with every candidate rejected the agent holds its view and answers honestly")
    # Left out of the trace header at their defaults, so pool runs' traces are as they were.
    views: Literal["pool", "free"] = Field(
        default="pool", exclude_if=_default,
        description="pool: a view or proposal is a statement id of the pool; free: it may also be a new "
                    "statement in the participant's words, scored live by the reward models (statement "
                    "pools whose every group's reward scores text)")
    statement_chars: int | None = Field(
        default=None, ge=16, le=2000, exclude_if=_default,
        description=f"longest new statement with free views (default {STATEMENT_CHARS})")
    proposes: bool = Field(
        default=True, exclude_if=_true,
        description="false: the reply's proposal must be null (the schema allows nothing else), as protocol "
                    "mediated-critique requires of agents: only the mediator tables proposals")

    @model_validator(mode="after")
    def _chars_need_free(self) -> LLMParams:
        if self.statement_chars is not None and self.views != "free":
            raise ValueError("statement_chars is the length of a new statement: set it only with views: free")
        return self

    @property
    def free(self) -> bool:
        return self.views == "free"

    @property
    def free_chars(self) -> int | None:
        """The bound of a new statement (None: pool views, no new statements)."""
        return (self.statement_chars or STATEMENT_CHARS) if self.free else None

    def unmet(self, scenario: Scenario) -> list[Unmet]:
        """Free views need a statement pool whose every group's reward model scores new text."""
        if not self.free:
            return []
        needs = ("'pool' (free views need a statement pool whose every group's reward model scores new text: "
                 "reward kind served)")
        if scenario.space.kind != "statements":
            return [Unmet("views", needs, "space.kind", repr(scenario.space.kind))]
        return [Unmet("views", needs, f"groups[{k}].reward.kind", f"{group.reward.kind!r} (group {group.id})")
                for k, group in enumerate(scenario.groups) if not scores_text(group.reward.kind)]

    @field_validator("prompt")
    @classmethod
    def _prompt_exists(cls, value: str) -> str:
        try:
            load_prompt(value)
        except PromptError as e:
            raise ValueError(str(e)) from None
        return value


def sampling(params: LLMParams) -> dict[str, Any]:
    return {"n": params.n, "temperature": params.temperature, "top_p": params.top_p,
            "max_tokens": params.max_tokens}


async def sample(chat: ChatBackend, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                 params: LLMParams, seeds: list[int]) -> list[Any]:
    """The n candidates, requested concurrently (vLLM batches them)."""
    return list(await asyncio.gather(*(
        chat.complete_json(messages, schema, name=name, seed=s, max_tokens=params.max_tokens,
                           temperature=params.temperature, top_p=params.top_p)
        for s in seeds
    )))


def read_replies(replies: list[Any], make: Callable[[dict[str, Any]], Move]) -> tuple[list[Move | None],
                                                                                   list[str | None]]:
    """Each reply as a move, or None with the reason: no valid reply, or schema-valid but not a point of
    this game (e.g. shares that miss a space's total)."""
    moves: list[Move | None] = []
    errors: list[str | None] = []
    for reply in replies:
        if reply.data is None:
            moves.append(None)
            errors.append(reply.error or "no valid reply")
            continue
        try:
            moves.append(make(reply.data))
            errors.append(None)
        except (KeyError, ValueError) as e:
            moves.append(None)
            errors.append(f"not a move of this game: {e}")
    return moves, errors


class LLMAgent:
    """One group's LLM agent. It sees its own utility only (DESIGN.md, "What an agent knows")."""

    def __init__(self, params: LLMParams, me: str, utility: GroupUtility, public: PublicGame):
        self.params = params
        self.me = me
        self.utility = utility
        self.public = public
        self.template = load_prompt(params.prompt)
        self.schema = move_schema(public, me, utterance_chars=params.utterance_chars,
                                  rationale_chars=params.rationale_chars, statement_chars=params.free_chars,
                                  proposes=params.proposes)
        self.feedback: list[dict[str, Any]] = []

    def act(self, obs: Observation) -> Move:
        raise RuntimeError("an LLM agent drafts asynchronously; the engine runs it through its reward step")

    async def adraft(self, obs: Observation, chat: ChatBackend) -> Draft:
        await self.utility.ascore(in_play(obs.table))  # generated statements on the table, by its own model
        fields = agent_fields(obs, self.utility.persona, self.utility.name, self.feedback, self.params.history,
                              self.params.free, self.params.quote_others)
        messages = self.template.render(fields)
        seeds = [int(obs.rng.integers(SEED_RANGE)) for _ in range(self.params.n)]
        replies = await sample(chat, messages, self.schema, "move", self.params, seeds)
        free = self.params.free
        moves, errors = read_replies(replies, lambda data: to_move(self.me, data, self.public, obs.table, free))
        return Draft(self.me, "agent", self.params.prompt, messages, sampling(self.params), seeds, replies,
                     moves, errors, feedback=list(self.feedback[-6:]))

    async def achoose(self, draft: Draft, table: Table, turn: int) -> tuple[Move | None, Generation]:
        """The reward step (dialogue.Drafting): the candidate its own group's reward model scores best
        (less the stance penalty), its rewards remembered for the next prompt."""
        move, generation, pair = await choose_agent_move(draft, self.utility, table, self.params.stance_penalty,
                                                         guard=self.params.guard)
        if pair is not None:
            self.remember(turn, pair.view, pair.proposal)
        return move, generation

    def remember(self, turn: int, view: float | None, proposal: float | None) -> None:
        """The reward of the move just played, fed back in the next prompt."""
        self.feedback.append({"turn": turn, "view": view, "proposal": proposal})


class HabermasParams(LLMParams):
    prompt: str = "habermas-mediator"
    n: int = Field(default=4, ge=2, le=32, description="settlements drafted per turn, put to the election")


class HabermasMediator:
    """Drafts n settlements; every group's reward model ranks them; a Schulze election (weighted by the
    groups' population shares) picks the one tabled; the agents' critiques feed the next drafts."""

    def __init__(self, params: HabermasParams, game: Game):
        self.params = params
        self.game = game
        self.public = PublicGame.of(game)
        self.template = load_prompt(params.prompt)
        self.schema = settlement_schema(self.public, utterance_chars=params.utterance_chars,
                                        statement_chars=params.free_chars)

    def act(self, obs: MediatorObservation) -> Move | None:
        raise RuntimeError("an LLM mediator drafts asynchronously; the engine runs it through its reward step")

    def _fields(self, obs: MediatorObservation) -> dict[str, Any]:
        space, public = self.game.space, self.public
        tabled = [s.move.proposal for s in obs.record if s.move.proposal is not None][-4:]
        lines = []
        for outcome in dict.fromkeys(tabled):
            values = ", ".join(f"{g} {self.game.utilities[g](outcome):.2f}" for g in public.group_ids)
            lines.append(f"- {outcome_text(space, outcome, self.params.quote_others)}: {values}")
        critiques = [s for s in obs.record if s.move.speaker != MEDIATOR]
        return {
            "group": MEDIATOR, "group_name": "mediator", "persona": "", "others": ", ".join(public.group_ids),
            "n_groups": len(public.group_ids), "space": space_text(space, free=self.params.free),
            "rule": public.rule.describe(),
            "round": obs.round, "rounds": public.rounds, "turn": obs.turn,
            "table": table_text(public, obs.table, self.params.quote_others), "history": "",
            "critiques": history_text(public, critiques, self.params.history, self.params.quote_others),
            "own": "\n".join(lines) or "(nothing tabled yet)", "feedback": "", "reservation": "",
            "candidates": "",
        }

    def _settlement(self, data: dict[str, Any]) -> Move:
        outcome = parse_outcome(self.game.space, data["proposal"], self.params.free)
        return Move(speaker=MEDIATOR, view=outcome, proposal=outcome, utterance=str(data.get("utterance", "")))

    async def adraft(self, obs: MediatorObservation, chat: ChatBackend) -> Draft:
        messages = self.template.render(self._fields(obs))
        seeds = [int(obs.rng.integers(SEED_RANGE)) for _ in range(self.params.n)]
        replies = await sample(chat, messages, self.schema, "settlement", self.params, seeds)
        moves, errors = read_replies(replies, self._settlement)
        return Draft(MEDIATOR, "mediator", self.params.prompt, messages, sampling(self.params), seeds, replies,
                     moves, errors, rule="schulze")

    async def achoose(self, draft: Draft, table: Table, turn: int) -> tuple[Move | None, Generation]:
        """The reward step (dialogue.Drafting): every group's reward model ranks the drafts, a Schulze
        election picks one (None when no draft was valid)."""
        return await choose_mediator_move(draft, self.game)


@policy("llm", "LLM agent: samples n moves from the chat backend (structured output), its group's reward "
        "model picks the best (best-of-n); prompt from agents/prompts/", LLMParams, needs_chat=True)
def _build_llm(params: LLMParams, me: str, utility: GroupUtility, public: PublicGame) -> LLMAgent:
    return LLMAgent(params, me, utility, public)


@mediator("habermas", "LLM mediator (Habermas Machine): drafts n settlements, each group's reward model "
          "ranks them, a Schulze election picks one; agents critique; repeat", HabermasParams, needs_chat=True)
def _build_habermas(params: HabermasParams, game: Game) -> HabermasMediator:
    return HabermasMediator(params, game)
