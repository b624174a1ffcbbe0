"""The LangGraph engine: one node per participant (group agents, and a mediator in mediated
protocols); a rational run takes one graph step per turn: the speaker's node asks its policy for a
move and does the referee's work on it in the same step (check it, apply it to the table, record it
in the trace, apply the agreement rule), then routes to the next speaker or ends the run.

The compiled graph depends only on the speaking order, so it is built once and reused; everything
that belongs to one run (participants, generators, the public record, the trace writer) reaches the
nodes through the graph's context (`Runtime[Session]`), never through globals. The graph's state is
what changes from turn to turn and is not kept elsewhere: the table, the turn and the end reason.
The public record (every move so far) lives in the Session (`Session.said`, appended to in place),
not in a state channel: a list reducer would copy the growing record every turn.

`play_turn` is the one definition of a turn: the single-run graph, the vectorised runs
(dialectic.vector) and the staged graph's referee all go through it (or its second half, `judge`),
so they write the same trace bytes.

The simultaneous protocol (`Session.simultaneous`) moves a whole round at once: every agent is asked for
its move on the same round-start table and record (`round_asks`), through `Send` fan-out in its graph
(`build_simultaneous_graph`), and the referee merges the moves (`merge_round`) in speaking order with
`judge`, dropping stances the round made stale. `play_turn` on a simultaneous session plays one round by
the same two functions, so the vectorised runs write the same bytes as the single run's graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Annotated, Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, Send

from dialectic.dialogue._move import Move
from dialectic.dialogue._observation import Said
from dialectic.dialogue._session import Session
from dialectic.dialogue._table import Table

REFEREE = "referee"
REWARD = "reward"
EndReason = Literal["settlement", "round_limit", "deadlock"]


class DialogueState(TypedDict):
    """One dialogue between turns: the table, the turns played so far, and how it ended (None: it goes on)."""

    table: Table
    turn: int
    end: EndReason | None


def opening_state(session: Session) -> DialogueState:
    return {"table": session.opening_table(), "turn": 0, "end": None}


def judge(session: Session, table: Table, turn: int, move: Move, generation: Any = None) -> DialogueState:
    """The referee's work on the move of turn `turn + 1`: check it, apply it to the table, record it (with
    how it was generated) and apply the rules."""
    turn += 1
    session.check(move)
    after = table.apply(move, turn)
    said = Said(turn, session.round_of(turn), move, table.proposal)
    session.record(said, after, generation)
    return {"table": after, "turn": turn, "end": session.decide(after, turn, move)}


def play_turn(session: Session, state: DialogueState) -> DialogueState:
    """One turn of a rational run: the speaker's move, then the referee's work on it (None: deadlock).
    Under the simultaneous protocol, one round (`play_round`): every agent moves at once."""
    if session.simultaneous:
        return play_round(session, state)
    table, turn = state["table"], state["turn"]
    order = session.order
    move = session.speak(order[turn % len(order)], table, session.said, turn + 1)
    if move is None:
        return {"table": table, "turn": turn, "end": "deadlock"}
    return judge(session, table, turn, move)


class Ask(TypedDict):
    """What one agent is asked in a simultaneous round: the round-start table and record, and its own turn."""

    participant: str
    table: Table
    record: Sequence[Said]
    turn: int


def round_asks(session: Session, state: DialogueState) -> list[Ask]:
    """The round that starts after `state`: every participant in speaking order, each with its own turn
    number (the referee's: round r has turns (r-1)*n+1 .. r*n) and the same table and public record, as
    they stood at the round's start (a snapshot: the merge appends to `session.said`)."""
    table, turn = state["table"], state["turn"]
    record = tuple(session.said)
    return [{"participant": p, "table": table, "record": record, "turn": turn + k + 1}
            for k, p in enumerate(session.order)]


def _ask(session: Session, ask: Ask) -> Move | None:
    return session.speak(ask["participant"], ask["table"], ask["record"], ask["turn"])


STALE_PROPOSAL = "answered the round-start proposal"
STALE_VIEW = "judged the round-start view"


def drop_stale(move: Move, start: Table, table: Table) -> Move:
    """A simultaneous move's stances judged the round-start table (`start`); those that no longer answer
    what is on the table (`table`, after the round's earlier moves) are dropped, and the rationale says so:
    `accepts` when a proposal was tabled since the round started, a `tolerates` entry when the judged
    group's view changed since."""
    accepts, tolerates, notes = move.accepts, move.tolerates, []
    if accepts is not None and table.proposed_at != start.proposed_at:
        accepts = None
        notes.append(f"stance on the proposal dropped: {STALE_PROPOSAL}")
    stale = [g for g in tolerates if g in table.view_since and table.view_since[g] != start.view_since.get(g)]
    if stale:
        tolerates = {g: yes for g, yes in tolerates.items() if g not in stale}
        notes += [f"stance on {g} dropped: {STALE_VIEW}" for g in stale]
    if not notes:
        return move
    rationale = "; ".join([move.rationale, *notes] if move.rationale else notes)
    return replace(move, accepts=accepts, tolerates=tolerates, rationale=rationale)


def merge_round(session: Session, state: DialogueState, moves: Mapping[str, Move | None]) -> DialogueState:
    """The referee's work on a simultaneous round: the moves (by participant) are judged in speaking order,
    each after dropping its stale stances (`drop_stale`), so each is recorded and the rules apply after
    each; the run ends at the first move after which they end it (later moves of the round are never
    recorded); a participant with no move ends the run in deadlock there, as in round-robin."""
    start = state["table"]
    for participant in session.order:
        move = moves.get(participant)
        if move is None:
            return {"table": state["table"], "turn": state["turn"], "end": "deadlock"}
        state = judge(session, state["table"], state["turn"], drop_stale(move, start, state["table"]))
        if state["end"] is not None:
            break
    return state


def play_round(session: Session, state: DialogueState) -> DialogueState:
    """One simultaneous round of a rational run, without a graph (the vectorised runs): every agent's move on
    the round-start table, then `merge_round`. Asked in speaking order; each agent draws from its own
    generator, so the order of asking does not change a move."""
    moves = {ask["participant"]: _ask(session, ask) for ask in round_asks(session, state)}
    return merge_round(session, state, moves)


def _turn_node(order: tuple[str, ...]) -> Any:
    """A participant's node: its turn (`play_turn`), then on to the next speaker or the end. It routes with a
    Command (the update and where to go, in one return) rather than a conditional edge: LangGraph then runs
    no separate routing step, which reads the state back after every turn."""

    def turn(state: DialogueState, runtime: Runtime[Session]) -> Command[str]:
        after = play_turn(runtime.context, state)
        goto = END if after["end"] is not None else order[after["turn"] % len(order)]
        return Command(update=after, goto=goto)

    return turn


def _route(order: tuple[str, ...]) -> Any:
    def next_speaker(state: DialogueState) -> str:
        if state["end"] is not None:
            return END
        return order[state["turn"] % len(order)]

    return next_speaker


@lru_cache(maxsize=64)
def build_graph(order: tuple[str, ...]) -> Any:
    """A compiled StateGraph for this speaking order: one node per participant, one step per turn."""
    graph = StateGraph(DialogueState, context_schema=Session)
    turn = _turn_node(order)
    for participant in order:  # every node runs the same turn; the node's name says whose turn it is
        graph.add_node(participant, turn, destinations=(*order, END))
    graph.add_edge(START, order[0])
    return graph.compile()


def recursion_limit(max_turns: int, steps_per_turn: int = 1) -> int:
    """The graph steps a run may take: exactly the turns the rules allow, and a margin."""
    return steps_per_turn * max_turns + 4


def run_graph(session: Session) -> DialogueState:
    """Run one dialogue to its end; the recursion limit covers exactly the turns the rules allow."""
    if session.simultaneous:  # two steps per round (agents, merge); rounds = max_turns / len(order)
        graph = build_simultaneous_graph(tuple(session.order))
        rounds = -(-session.max_turns // len(session.order))
        initial: SimultaneousState = {**opening_state(session), "moves": {}}
        config = {"recursion_limit": recursion_limit(rounds, 2)}
        out: DialogueState = graph.invoke(initial, context=session, config=config)
        return {"table": out["table"], "turn": out["turn"], "end": out["end"]}
    graph = build_graph(tuple(session.order))
    limit = recursion_limit(session.max_turns)
    final: DialogueState = graph.invoke(opening_state(session), context=session, config={"recursion_limit": limit})
    return final


MERGE = "merge"


def _collect(left: dict[str, Move | None], right: dict[str, Move | None] | None) -> dict[str, Move | None]:
    """The moves channel's reducer: the round's moves by participant (a dict: the same whatever order the
    agents' nodes finish in); None clears it for the next round."""
    return {} if right is None else {**left, **right}


class SimultaneousState(DialogueState):
    """The table, turn and end, and the moves of the round under way (by participant)."""

    moves: Annotated[dict[str, Move | None], _collect]


def _fan_out(state: DialogueState, runtime: Runtime[Session]) -> list[Send]:
    return [Send(ask["participant"], ask) for ask in round_asks(runtime.context, state)]


def _simultaneous_agent(ask: Ask, runtime: Runtime[Session]) -> dict[str, Any]:
    return {"moves": {ask["participant"]: _ask(runtime.context, ask)}}


def _merge_node(state: SimultaneousState, runtime: Runtime[Session]) -> Command[Any]:
    """The referee: merges the round's moves, then fans out the next round or ends the run."""
    session = runtime.context
    after = merge_round(session, state, state["moves"])
    update = {**after, "moves": None}
    if after["end"] is not None:
        return Command(update=update, goto=END)
    return Command(update=update, goto=_fan_out(after, runtime))


@lru_cache(maxsize=64)
def build_simultaneous_graph(order: tuple[str, ...]) -> Any:
    """The simultaneous protocol's graph: START fans out (`Send`) to every agent's node with the same
    round-start table; their moves meet in the `moves` channel; the `merge` node (the referee) judges them
    and fans out the next round or ends. Two graph steps per round."""
    graph = StateGraph(SimultaneousState, context_schema=Session)
    for participant in order:
        graph.add_node(participant, _simultaneous_agent, input_schema=Ask)  # type: ignore[call-overload]
        graph.add_edge(participant, MERGE)
    graph.add_node(MERGE, _merge_node, destinations=(*order, END))
    graph.add_conditional_edges(START, _fan_out, list(order))
    return graph.compile()


class StagedState(DialogueState):
    """State of the graph with a reward step: a move waits here for the referee, an LLM participant's draft
    to be scored."""

    pending: Move | None
    draft: Any
    generation: Any


def _drafting_node(participant: str) -> Any:
    async def speak(state: StagedState, runtime: Runtime[Session]) -> dict[str, Any]:
        session = runtime.context
        out = await session.aspeak(participant, state["table"], session.said, state["turn"] + 1)
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
    judged = judge(runtime.context, state["table"], state["turn"], state["pending"], state.get("generation"))
    return {**judged, "pending": None, "generation": None}


def _after_speaker(state: StagedState) -> str:
    return REWARD if state.get("draft") is not None else REFEREE


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
    if session.simultaneous:
        raise ValueError("protocol simultaneous runs rational agents only: this cast has an LLM participant")
    graph = build_staged_graph(tuple(session.order))
    initial: StagedState = {**opening_state(session), "pending": None, "draft": None, "generation": None}
    limit = recursion_limit(session.max_turns, 3)
    final: DialogueState = await graph.ainvoke(initial, context=session, config={"recursion_limit": limit})
    return final
