"""The LangGraph engine: one node per participant (group agents, and a mediator in mediated
protocols) and a referee that applies each move to the table, writes it to the trace, applies the
agreement rule and ends the run.

The compiled graph depends only on the speaking order, so it is built once and reused; everything
that belongs to one run (participants, generators, the trace writer) reaches the nodes through the
graph's context (`Runtime[Session]`), never through globals.
"""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import Annotated, Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from dialectic.dialogue._move import Move
from dialectic.dialogue._observation import Said
from dialectic.dialogue._session import Session
from dialectic.dialogue._table import Table

REFEREE = "referee"
REWARD = "reward"
EndReason = Literal["settlement", "round_limit", "deadlock"]


class DialogueState(TypedDict):
    table: Table
    record: Annotated[list[Said], operator.add]
    pending: Move | None
    turn: int
    end: EndReason | None


def _agent_node(participant: str) -> Any:
    def speak(state: DialogueState, runtime: Runtime[Session]) -> dict[str, Any]:
        move = runtime.context.speak(participant, state["table"], state["record"], state["turn"] + 1)
        if move is None:
            return {"pending": None, "end": "deadlock"}
        return {"pending": move}

    return speak


def _referee(state: DialogueState, runtime: Runtime[Session]) -> dict[str, Any]:
    return _judge(state, runtime.context, None)


def _judge(state: DialogueState, session: Session, generation: Any) -> dict[str, Any]:
    """Apply the pending move to the table, record it (with how it was generated) and apply the rules."""
    move = state["pending"]
    if move is None:
        return {"end": state["end"] or "deadlock"}
    turn = state["turn"] + 1
    before = state["table"]
    session.check(move)
    table = before.apply(move, turn)
    said = Said(turn=turn, round=session.round_of(turn), move=move, answers=before.proposal)
    session.record(said, table, generation)
    end = session.decide(table, turn, move)  # a mediator's move with no proposal: deadlock
    return {"table": table, "record": [said], "pending": None, "turn": turn, "end": end}


class StagedState(DialogueState):
    """State of the graph with a reward step: an LLM participant's draft waits here to be scored."""

    draft: Any
    generation: Any


def _drafting_node(participant: str) -> Any:
    async def speak(state: StagedState, runtime: Runtime[Session]) -> dict[str, Any]:
        out = await runtime.context.aspeak(participant, state["table"], state["record"], state["turn"] + 1)
        if out is None:
            return {"pending": None, "end": "deadlock"}
        if isinstance(out, Move):
            return {"pending": out}
        return {"draft": out}

    return speak


async def _reward_step(state: StagedState, runtime: Runtime[Session]) -> dict[str, Any]:
    """Score the draft's candidates with the reward model(s) and put the chosen move up for the referee."""
    move, generation = await runtime.context.reward_step(state["draft"], state["table"], state["turn"] + 1)
    if move is None:
        return {"draft": None, "pending": None, "generation": generation, "end": "deadlock"}
    return {"draft": None, "pending": move, "generation": generation}


async def _staged_referee(state: StagedState, runtime: Runtime[Session]) -> dict[str, Any]:
    if state["pending"] is None:
        generation = state.get("generation")
        if generation is not None:  # a mediator with no valid draft: recorded, then deadlock
            runtime.context.record_failed_draft(generation, state["turn"] + 1)
        return {"end": state["end"] or "deadlock", "generation": None}
    await runtime.context.announce(state["pending"], state["turn"] + 1)  # generated statements, scored by all
    out = _judge(state, runtime.context, state.get("generation"))
    out["generation"] = None
    return out


def _after_speaker(state: StagedState) -> str:
    return REWARD if state.get("draft") is not None else REFEREE


def _route(order: tuple[str, ...]) -> Any:
    def next_speaker(state: DialogueState) -> str:
        if state["end"] is not None:
            return END
        return order[state["turn"] % len(order)]

    return next_speaker


@lru_cache(maxsize=64)
def build_graph(order: tuple[str, ...]) -> Any:
    """A compiled StateGraph for this speaking order."""
    graph = StateGraph(DialogueState, context_schema=Session)
    for participant in order:
        graph.add_node(participant, _agent_node(participant))
        graph.add_edge(participant, REFEREE)
    graph.add_node(REFEREE, _referee)
    graph.add_edge(START, order[0])
    graph.add_conditional_edges(REFEREE, _route(order), [*order, END])
    return graph.compile()


def run_graph(session: Session) -> DialogueState:
    """Run one dialogue to its end; the recursion limit covers exactly the turns the rules allow."""
    graph = build_graph(tuple(session.order))
    initial: DialogueState = {
        "table": session.opening_table(),
        "record": [],
        "pending": None,
        "turn": 0,
        "end": None,
    }
    limit = 2 * session.max_turns + 4
    final: DialogueState = graph.invoke(initial, context=session, config={"recursion_limit": limit})
    return final


@lru_cache(maxsize=64)
def build_staged_graph(order: tuple[str, ...]) -> Any:
    """The graph for runs with LLM participants (async): participant -> reward step -> referee. A rational
    participant's move skips the reward step; an LLM participant's draft goes through it."""
    graph = StateGraph(StagedState, context_schema=Session)
    for participant in order:
        graph.add_node(participant, _drafting_node(participant))
        graph.add_conditional_edges(participant, _after_speaker, [REWARD, REFEREE])
    graph.add_node(REWARD, _reward_step)
    graph.add_edge(REWARD, REFEREE)
    graph.add_node(REFEREE, _staged_referee)
    graph.add_edge(START, order[0])
    graph.add_conditional_edges(REFEREE, _route(order), [*order, END])
    return graph.compile()


async def arun_graph(session: Session) -> DialogueState:
    """Run one dialogue with a reward step (LLM participants), asynchronously; the recursion limit covers
    three steps per turn."""
    graph = build_staged_graph(tuple(session.order))
    initial: StagedState = {
        "table": session.opening_table(),
        "record": [],
        "pending": None,
        "turn": 0,
        "end": None,
        "draft": None,
        "generation": None,
    }
    limit = 3 * session.max_turns + 4
    final: DialogueState = await graph.ainvoke(initial, context=session, config={"recursion_limit": limit})
    return final
