"""`run_vector`: a batch of rational dialogues advanced by one graph step at a time.

Each dialogue keeps everything a single run has: its own Session (policies, generators, public record),
its own trace writer, and `prepare_run` / `finish_run` around it; a turn is `dialectic.dialogue.play_turn`,
the function the single-run graph calls. So every trace is byte-identical to `run_dialogue`'s for the same
scenario, card, overrides and seed (same file name, same bytes), and so is its evaluation.

The graph has one node, `turn`, looping on itself: its state holds every dialogue's state (table, turn,
end) and the dialogues still going; one step plays one turn of every live dialogue. A dialogue that ends
(settlement, round limit, deadlock) drops out; one that raises drops out too, its trace so far on disk
(flushed per event, as in a single run), and is returned as its exception while the others go on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from dialectic.dialogue import DialogueState, Session, opening_state, play_turn, recursion_limit
from dialectic.game import Game
from dialectic.scenario import Scenario, load_scenario
from dialectic.strategies import StrategyCard, load_card

if TYPE_CHECKING:
    from dialectic.runner import PreparedRun, RunResult

TURN = "turn"

#: Dialogues advanced together at most (each holds an open trace file while it runs); more seeds run in
#: consecutive batches. Past a few dozen, LangGraph's per-step cost is already a small share of a turn.
BATCH_SIZE = 64


class BatchState(TypedDict):
    """Every dialogue's state (in the order of the seeds) and the indices of those still going."""

    states: tuple[DialogueState, ...]
    live: tuple[int, ...]


@dataclass(eq=False)
class Batch:
    """The batch's run-scoped side, handed to the node as the graph's context: each dialogue's Session,
    and the exception of each dialogue that raised (by index)."""

    sessions: list[Session]
    errors: dict[int, Exception] = field(default_factory=dict)


def _advance(state: BatchState, runtime: Runtime[Batch]) -> Command[str]:
    """One turn of every live dialogue; the ones that end or raise drop out; on to the next step while any is
    live (routed with a Command, as the single-run graph is: no separate routing step)."""
    batch = runtime.context
    states = list(state["states"])
    live: list[int] = []
    for i in state["live"]:
        try:
            after = play_turn(batch.sessions[i], states[i])
        except Exception as exc:  # noqa: BLE001 - this dialogue fails alone; KeyboardInterrupt stops the batch
            batch.errors[i] = exc
            continue
        states[i] = after
        if after["end"] is None:
            live.append(i)
    return Command(update={"states": tuple(states), "live": tuple(live)}, goto=TURN if live else END)


@lru_cache(maxsize=1)
def build_vector_graph() -> Any:
    """The compiled batch graph: START -> turn -> turn ... -> END (one step per turn of every live dialogue)."""
    graph = StateGraph(BatchState, context_schema=Batch)
    graph.add_node(TURN, _advance, destinations=(TURN, END))
    graph.add_edge(START, TURN)
    return graph.compile()


def run_vector(
    scenario: str | Path | Scenario,
    strategy: str | StrategyCard,
    seeds: Iterable[int],
    agents: dict[str, str] | None = None,
    out: str | Path = "runs",
    game: Game | None = None,
    evaluate: bool = True,
    batch_size: int = BATCH_SIZE,
) -> list[RunResult | BaseException]:
    """Run one dialogue per seed (same scenario, card and overrides), advanced together; returns, in the order
    of `seeds`, each dialogue's RunResult (trace and evaluation, as `run_dialogue` returns) or the exception it
    raised (while preparing, playing or evaluating it; its trace so far stays on disk).

    Rational casts only: a card (or override) with an LLM participant raises ValueError before anything runs
    (its turns await a chat model: run those with `run_dialogue` / `arun_dialogue`). The scenario file is read
    and its Game built once for the whole batch; pass `game` to reuse one across calls."""
    from dialectic.runner import prepare_run

    seeds = list(seeds)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, found {batch_size}")
    if game is None or (isinstance(scenario, Scenario) and game.scenario is not scenario):
        game = Game(scenario if isinstance(scenario, Scenario) else load_scenario(scenario))
    card = load_card(strategy) if isinstance(strategy, str) else strategy
    _refuse_llm(card, agents)

    results: list[RunResult | BaseException] = []
    for start in range(0, len(seeds), batch_size):
        runs: list[PreparedRun | BaseException] = []
        for seed in seeds[start : start + batch_size]:
            try:
                runs.append(prepare_run(scenario, card, seed, agents, out, game, evaluate))
            except Exception as exc:  # noqa: BLE001 - returned as this dialogue's result
                runs.append(exc)
        results.extend(_run_batch(runs))
    return results


async def arun_vector(
    scenario: str | Path | Scenario,
    strategy: str | StrategyCard,
    seeds: Iterable[int],
    agents: dict[str, str] | None = None,
    out: str | Path = "runs",
    game: Game | None = None,
    evaluate: bool = True,
    batch_size: int = BATCH_SIZE,
) -> list[RunResult | BaseException]:
    """:func:`run_vector` from async code: the batch runs in a worker thread (rational turns never await, so
    the event loop stays free for other work meanwhile)."""
    return await asyncio.to_thread(run_vector, scenario, strategy, list(seeds), agents, out, game, evaluate,
                                   batch_size)


def _refuse_llm(card: StrategyCard, agents: dict[str, str] | None) -> None:
    try:
        cast = card.with_agents(dict(agents or {}))
        needs_chat = cast.needs_chat
    except Exception:  # noqa: BLE001 - a bad override: prepare_run reports it, located, per dialogue
        return
    if needs_chat:
        raise ValueError(f"strategy {card.name!r}{' with --agent overrides' if agents else ''} has an LLM "
                         "participant: vectorised runs take rational casts only (run it with run_dialogue)")


def _run_batch(runs: Sequence[PreparedRun | BaseException]) -> list[RunResult | BaseException]:
    """Advance the prepared dialogues together to their ends, then finish each (end event, evaluation)."""
    from dialectic.runner import finish_run, stopped

    prepared = [(i, run) for i, run in enumerate(runs) if not isinstance(run, BaseException)]
    # Exceptions (dialogues that failed to prepare) stay in place; prepared runs are replaced by their results.
    results: list[Any] = list(runs)
    if not prepared:
        return results
    sessions = [run.session for _, run in prepared]
    if any(session.staged for session in sessions):  # _refuse_llm caught cards; this catches anything else
        for _, run in prepared:
            run.writer.close()
        raise ValueError("vectorised runs take rational casts only: a participant drafts with an LLM")
    batch = Batch(sessions)
    initial: BatchState = {"states": tuple(opening_state(s) for s in sessions), "live": tuple(range(len(sessions)))}
    limit = recursion_limit(max(s.max_turns for s in sessions))
    started = time.perf_counter()
    try:
        final: BatchState = build_vector_graph().invoke(initial, context=batch, config={"recursion_limit": limit})
    except BaseException:
        for _, run in prepared:
            run.writer.close()  # every trace so far stays on disk, flushed per event
        raise
    elapsed = (time.perf_counter() - started) / len(prepared)  # the batch's dialogue time, shared equally
    for k, (i, run) in enumerate(prepared):
        error = batch.errors.get(k)
        if error is not None:
            stopped(run, error, [])  # the error event a single run writes (rational casts make no retries)
            results[i] = error
            continue
        try:
            results[i] = finish_run(run, final["states"][k], elapsed)
        except Exception as exc:  # noqa: BLE001 - an evaluation that fails: returned as this dialogue's result
            run.writer.close()
            results[i] = exc
    return results
