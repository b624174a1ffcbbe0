"""Engine throughput benchmark: the engine against a bare LangGraph graph, a plain-Python loop and vectorised runs.

    .venv/bin/python eval/perf/bench_engine.py [--quick] [--dialogues N] [--repeats R] [--out FILE]

Workload: `conceder` card on scenarios/harbour-sport-park.yaml (24 rounds x 6 agents = at most 144
turns), seeds 0..N-1. The scenario, game and card are loaded once, as a sweep does; each dialogue
writes its JSONL trace (flushed per event) to a temporary folder.

Measures, side by side in one process (every repetition runs every seed under each per-dialogue
measure; those alternate dialogue by dialogue in a rotating order, so changes in the machine's load
hit them alike; medians over repetitions):

- `engine+eval`: run_dialogue with the evaluation step (the trace then ends with the evaluation);
- `engine`:      run_dialogue without the evaluation step;
- `graph`:       the dialogue part of `engine` alone (time inside `run_graph`, as the runner reports it;
                 wall clock only);
- `plain`:       the same dialogue without LangGraph: `prepare_run`, then a plain Python loop making the
                 engine's moves through the same Session (policies, move checks, table, trace records,
                 referee), then `finish_run` without evaluation. Its traces are checked byte-identical to
                 the engine's. The lower bound for the engine's own work;
- `bare`:        a bare LangGraph StateGraph of the engine's shape (read from the engine's compiled graph:
                 a referee node after each participant, or one step per turn): trivial nodes, the same
                 state channels (the record with its list reducer), the run passed as context through
                 `Runtime`, the same routing and recursion limit, no checkpointer; it runs exactly the
                 turns the engine's dialogue with that seed took. LangGraph's own cost for this shape;
- `vector`, `vector+eval`: `dialectic.vector.run_vector` on all N seeds at once (one batch per
                 repetition, run after the per-dialogue measures), without and with evaluation, when
                 dialectic.vector exists; its traces are checked byte-identical to the engine's.

Clocks: `cpu` is this process's CPU time (one process = one core; less sensitive to other load on a
shared machine), `wall` the elapsed time. Figures: dialogues per second per core and ratios of each
measure's time to the bare graph's and to the plain loop's. Targets (cpu clock): engine <= 1.2x the
bare graph; >= 20 dialogues/s/core with vectorised runs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _profile import print_profile, profile_top  # eval/perf/_profile.py, beside this script

from dialectic.bench import machine_info
from dialectic.dialogue import DialogueState, Said, build_graph

try:  # one definition of a turn, shared by the graph and vectorised runs (issue 10's engine)
    from dialectic.dialogue._engine import opening_state, play_turn
except ImportError:  # the engine before issue 10: the plain loop spells the turn out
    opening_state = play_turn = None
from dialectic.game import Game
from dialectic.runner import RunResult, finish_run, prepare_run, run_dialogue
from dialectic.scenario import Scenario, load_scenario
from dialectic.strategies import StrategyCard, load_card

SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
CARD = "conceder"
TARGET_RATIO = 1.2  # engine time / bare graph time
TARGET_VECTOR_RATE = 20.0  # dialogues per second per core, vectorised
REFEREE = "referee"


# --- the bare graph: the engine's shape, trivial nodes ------------------------------------------------


@dataclass(frozen=True)
class BareRun:
    """The run's context, passed like the engine's Session: how many turns to run."""

    turns: int


def _judged(state: Any, runtime: Runtime[BareRun], said: Any) -> dict[str, Any]:
    """What the engine's referee writes after a move, as placeholders, on the channels the engine's state has."""
    turn = state["turn"] + 1
    out: dict[str, Any] = {
        "table": state["table"],
        "turn": turn,
        "end": "round_limit" if turn >= runtime.context.turns else None,
    }
    if "record" in CHANNELS:  # the record as a channel with a list reducer (the engine before issue 10)
        out["record"] = [said]
    if "pending" in CHANNELS:
        out["pending"] = None
    return out


def _bare_agent(participant: str) -> Any:
    def speak(state: Any, runtime: Runtime[BareRun]) -> dict[str, Any]:
        return {"pending": participant}

    return speak


def _bare_turn(order: tuple[str, ...]) -> Any:
    """One step per turn, as the engine's node: the move and the referee's work, then a Command naming the next
    speaker (or the end) in the same return: no separate routing step."""

    def turn(state: Any, runtime: Runtime[BareRun]) -> Command[str]:
        after = _judged(state, runtime, None)
        goto = END if after["end"] is not None else order[after["turn"] % len(order)]
        return Command(update=after, goto=goto)

    return turn


def _bare_referee(state: Any, runtime: Runtime[BareRun]) -> dict[str, Any]:
    return _judged(state, runtime, state["pending"])


#: The engine's state channels: the bare graph runs on the engine's own state schema (same reducers).
CHANNELS = frozenset(DialogueState.__annotations__)


def build_bare_graph(order: tuple[str, ...], steps_per_turn: int) -> Any:
    """The engine's shape with trivial nodes, on the engine's state schema. Two steps per turn: participant ->
    referee -> next participant (the engine before issue 10); one: participant -> next participant, the
    referee's work inside the participant's step and the routing by Command (the engine since issue 10)."""

    def next_speaker(state: Any) -> str:
        if state["end"] is not None:
            return END
        return order[state["turn"] % len(order)]

    graph = StateGraph(DialogueState, context_schema=BareRun)
    if steps_per_turn == 2:
        for participant in order:
            graph.add_node(participant, _bare_agent(participant))
            graph.add_edge(participant, REFEREE)
        graph.add_node(REFEREE, _bare_referee)
        graph.add_conditional_edges(REFEREE, next_speaker, [*order, END])
    else:
        turn = _bare_turn(order)
        for participant in order:
            graph.add_node(participant, turn, destinations=(*order, END))
    graph.add_edge(START, order[0])
    return graph.compile()


def engine_steps_per_turn(order: tuple[str, ...]) -> int:
    """The engine's shape, read from its compiled graph: 2 graph steps per turn with a referee node."""
    nodes = set(build_graph(order).get_graph().nodes)
    return 2 if REFEREE in nodes else 1


def run_bare(graph: Any, turns: int, limit: int) -> int:
    """Run the bare graph for `turns` turns under the engine's recursion limit."""
    initial = {"table": None, "turn": 0, "end": None, "record": [], "pending": None}
    initial = {k: v for k, v in initial.items() if k in CHANNELS}
    final = graph.invoke(initial, context=BareRun(turns), config={"recursion_limit": limit})
    return int(final["turn"])


# --- the plain loop: the engine's moves, no LangGraph -------------------------------------------------


def run_plain(scenario: Scenario, card: StrategyCard, seed: int, out: Path, game: Game) -> RunResult:
    """One dialogue as the engine runs it (same Session calls, same trace), as a plain Python loop."""
    run = prepare_run(scenario, card, seed, None, out, game, evaluate=False)
    session = run.session
    started = time.perf_counter()
    if play_turn is not None:  # the engine's own turn (issue 10's engine): exactly its work, no graph around it
        state = opening_state(session)
        while state["end"] is None:
            state = play_turn(session, state)
        return finish_run(run, state, time.perf_counter() - started)
    order = session.order
    table = session.opening_table()
    record: list[Said] = []
    turn = 0
    end = None
    while end is None:
        move = session.speak(order[turn % len(order)], table, record, turn + 1)
        if move is None:
            end = "deadlock"
            break
        turn += 1
        session.check(move)
        before, table = table, table.apply(move, turn)
        said = Said(turn=turn, round=session.round_of(turn), move=move, answers=before.proposal)
        session.record(said, table, None)
        record.append(said)
        end = session.decide(table, turn, move)
    final = {"table": table, "record": record, "pending": None, "turn": turn, "end": end}
    return finish_run(run, final, time.perf_counter() - started)  # type: ignore[arg-type]


# --- vectorised runs (dialectic.vector, when it exists) -----------------------------------------------


def vector_runner() -> Any:
    """run_vector, raising the first dialogue's exception if any failed (it returns them in place)."""
    try:
        from dialectic.vector import run_vector
    except ImportError:
        return None

    def run(*args: Any, **kwargs: Any) -> list[RunResult]:
        results = run_vector(*args, **kwargs)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    return run


# --- measurement ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 dialogues x 2 repetitions (a smoke run)")
    parser.add_argument("--dialogues", type=int, default=20, help="dialogues per repetition (seeds 0..N-1)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (medians reported)")
    parser.add_argument("--no-vector", action="store_true", help="leave out vectorised runs")
    parser.add_argument("--profile", action="store_true",
                        help="after measuring, profile the engine's N dialogues and one vectorised batch (cProfile)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_engine.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.dialogues, args.repeats = 5, 2

    scenario = load_scenario(SCENARIO)
    game = Game(scenario)
    card = load_card(CARD)
    seeds = list(range(args.dialogues))
    run_vector = None if args.no_vector else vector_runner()

    with tempfile.TemporaryDirectory(prefix="bench_engine_") as tmp:
        runs = Path(tmp)

        def engine(seed: int, evaluate: bool) -> RunResult:
            return run_dialogue(scenario, card, seed=seed, out=runs, game=game, evaluate=evaluate)

        # Warm-up (imports, graph compilation, caches), the turn count of every seed, the speaking order,
        # and the checks: the plain loop and vectorised runs write the engine's traces byte for byte.
        turns: list[int] = []
        reference: dict[int, bytes] = {}
        for seed in seeds:
            result = engine(seed, evaluate=False)
            turns.append(_turns(result))
            reference[seed] = result.trace_path.read_bytes()
            plain = run_plain(scenario, card, seed, runs, game)
            assert plain.trace_path.read_bytes() == reference[seed], f"plain loop's trace differs (seed {seed})"
            engine(seed, evaluate=True)
        order = tuple(result.trace.header.order)
        max_turns = scenario.rounds * len(order)
        steps_per_turn = engine_steps_per_turn(order)
        limit = steps_per_turn * max_turns + 4
        bare_graph = build_bare_graph(order, steps_per_turn)
        for seed, n in zip(seeds, turns, strict=True):
            assert run_bare(bare_graph, n, limit) == n, f"bare graph did not run {n} turns (seed {seed})"
        if run_vector is not None:
            batch = run_vector(scenario, card, seeds, out=runs, game=game, evaluate=False)
            for seed, result in zip(seeds, batch, strict=True):
                assert result.trace_path.read_bytes() == reference[seed], f"vectorised trace differs (seed {seed})"
            run_vector(scenario, card, seeds, out=runs, game=game, evaluate=True)

        measures = ("engine+eval", "engine", "plain", "bare")
        batched = ("vector", "vector+eval") if run_vector is not None else ()
        samples: dict[str, dict[str, list[float]]] = {
            "cpu": {key: [] for key in (*measures, *batched)},
            "wall": {key: [] for key in (*measures, "graph", *batched)},
        }
        for repeat in range(args.repeats):
            cpu = dict.fromkeys((*measures, *batched), 0.0)
            wall = dict.fromkeys((*measures, "graph", *batched), 0.0)
            for k, (seed, n) in enumerate(zip(seeds, turns, strict=True)):
                shift = (repeat + k) % len(measures)
                for key in measures[shift:] + measures[:shift]:
                    wall_start, cpu_start = time.perf_counter(), time.process_time()
                    if key == "bare":
                        ran = run_bare(bare_graph, n, limit)
                    elif key == "plain":
                        ran = _turns(run_plain(scenario, card, seed, runs, game))
                    else:
                        result = engine(seed, evaluate=key == "engine+eval")
                        ran = _turns(result)
                        if key == "engine":
                            wall["graph"] += result.seconds_dialogue
                    cpu[key] += time.process_time() - cpu_start
                    wall[key] += time.perf_counter() - wall_start
                    assert ran == n, f"{key}, seed {seed}: {ran} turns, expected {n}"
            for key in batched[repeat % 2 :] + batched[: repeat % 2]:
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                batch = run_vector(scenario, card, seeds, out=runs, game=game, evaluate=key == "vector+eval")
                cpu[key] += time.process_time() - cpu_start
                wall[key] += time.perf_counter() - wall_start
                assert [_turns(r) for r in batch] == turns, f"{key}: turn counts differ from the engine's"
            for clock, totals in (("cpu", cpu), ("wall", wall)):
                for key, total in totals.items():
                    samples[clock][key].append(total / len(seeds))

        profiles: dict[str, Any] = {}
        if args.profile:
            profiles["engine"] = profile_top(lambda: [engine(seed, evaluate=False) for seed in seeds])
            if run_vector is not None:
                profiles["vector"] = profile_top(
                    lambda: run_vector(scenario, card, seeds, out=runs, game=game, evaluate=False))

    figures = {clock: _figures(clock_samples) for clock, clock_samples in samples.items()}
    by_cpu = figures["cpu"]
    for clock in ("cpu", "wall"):  # LangGraph's share inside the engine, against LangGraph alone
        ms = figures[clock]["ms_per_dialogue"]
        figures[clock]["engine_minus_plain_over_bare"] = round((ms["engine"] - ms["plain"]) / ms["bare"], 3)
    met: dict[str, bool | None] = {
        "engine_ratio_to_bare": by_cpu["ratio_to_bare"]["engine"] <= TARGET_RATIO,
        "engine+eval_ratio_to_bare": by_cpu["ratio_to_bare"]["engine+eval"] <= TARGET_RATIO,
        "vector_rate": None if not batched else by_cpu["dialogues_per_second"]["vector"] >= TARGET_VECTOR_RATE,
        "vector+eval_rate": (
            None if not batched else by_cpu["dialogues_per_second"]["vector+eval"] >= TARGET_VECTOR_RATE
        ),
    }

    report: dict[str, Any] = {
        "benchmark": "bench_engine",
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info("langgraph", "pydantic", "numpy"),
        "workload": {
            "scenario": SCENARIO.relative_to(ROOT).as_posix(),
            "card": CARD,
            "seeds": seeds,
            "rounds": scenario.rounds,
            "participants": len(order),
            "max_turns": max_turns,
            "turns": turns,
            "turns_mean": statistics.fmean(turns),
            "graph_steps_per_turn": steps_per_turn,
            "recursion_limit": limit,
            "repeats": args.repeats,
            "processes": 1,
            "vectorised": bool(batched),
            "vector_batch": len(seeds) if batched else None,
        },
        "clock_note": (
            "cpu: CPU time (user+system) of this single process, i.e. time on one core, less sensitive "
            "to other load on the machine; wall: elapsed time. 'graph' is the time inside run_graph only "
            "(wall clock, measured by the runner). vector and vector+eval: one batch of all seeds per "
            "repetition, per-dialogue figures are the batch's time over its dialogues. "
            "engine_minus_plain_over_bare: (engine - plain) / bare, what running the same turns in LangGraph "
            "costs inside the engine against the bare graph's whole time (1.0: no more than bare LangGraph)."
        ),
        "cpu": figures["cpu"],
        "wall": figures["wall"],
        "samples_ms_per_dialogue": {
            clock: {k: [round(1000 * x, 3) for x in v] for k, v in clock_samples.items()}
            for clock, clock_samples in samples.items()
        },
        "targets": {
            "engine_ratio_to_bare_langgraph": TARGET_RATIO,
            "vector_dialogues_per_second_per_core": TARGET_VECTOR_RATE,
            "met_cpu": met,
        },
    }
    if profiles:
        report["profile"] = profiles

    print(f"{CARD} on {SCENARIO.name}: {len(seeds)} dialogues x {args.repeats} repetitions, one process")
    print(f"turns per dialogue: {_turn_summary(turns)} (max {max_turns}; {steps_per_turn} graph step(s) per turn)")
    if not batched:
        print("vectorised runs: not measured (" + ("--no-vector" if args.no_vector else "no dialectic.vector") + ")")
    print(f"{'measure':<13}{'clock':<6}{'ms/dialogue':>12}{'dialogues/s':>13}{'x bare':>8}{'x plain':>9}")
    for clock in ("cpu", "wall"):
        f = figures[clock]
        for key in f["ms_per_dialogue"]:
            print(
                f"{key:<13}{clock:<6}{f['ms_per_dialogue'][key]:>12.2f}{f['dialogues_per_second'][key]:>13.1f}"
                f"{f['ratio_to_bare'][key]:>8.2f}{f['ratio_to_plain'][key]:>9.2f}"
            )
    print(f"engine - plain (the engine's cost beyond its own work) over bare: "
          f"{by_cpu['engine_minus_plain_over_bare']:.2f} (cpu), {figures['wall']['engine_minus_plain_over_bare']:.2f} (wall)")
    print(f"targets (cpu clock): engine <= {TARGET_RATIO:g}x bare graph, vectorised >= {TARGET_VECTOR_RATE:g} "
          f"dialogues/s/core: {met}")
    for key, profile in profiles.items():
        print(f"{key}: ", end="")
        print_profile(profile)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _figures(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Medians over the repetitions: ms per dialogue, dialogues per second, ratios to the bare graph and
    to the plain loop."""
    median = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "ms_per_dialogue": {k: round(1000 * v, 3) for k, v in median.items()},
        "dialogues_per_second": {k: round(1.0 / v, 2) for k, v in median.items()},
        "ratio_to_bare": {k: round(v / median["bare"], 3) for k, v in median.items()},
        "ratio_to_plain": {k: round(v / median["plain"], 3) for k, v in median.items()},
    }


def _turns(result: RunResult) -> int:
    assert result.trace.end is not None, "the dialogue did not end"
    return result.trace.end.turns


def _turn_summary(turns: list[int]) -> str:
    counts: dict[int, int] = {}
    for n in turns:
        counts[n] = counts.get(n, 0) + 1
    return ", ".join(f"{n} turns x {c}" for n, c in sorted(counts.items(), reverse=True))


if __name__ == "__main__":
    raise SystemExit(main())
