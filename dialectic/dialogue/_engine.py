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
    session = runtime.context
    move = state["pending"]
    if move is None:
        return {"end": state["end"] or "deadlock"}
    turn = state["turn"] + 1
    before = state["table"]
    session.check(move)
    table = before.apply(move, turn)
    said = Said(turn=turn, round=session.round_of(turn), move=move, answers=before.proposal)
    session.record(said, table)
    return {"table": table, "record": [said], "pending": None, "turn": turn, "end": session.decide(table, turn)}


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
