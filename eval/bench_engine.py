"""Engine throughput benchmark: rational-agent dialogues against a bare LangGraph graph.

    .venv/bin/python eval/bench_engine.py [--dialogues N] [--repeats R] [--out FILE]

Workload: `conceder` card on scenarios/harbour-sport-park.yaml (24 rounds x 6 agents = at most 144
turns), seeds 0..N-1. The scenario, game and card are loaded once, as a sweep does; each dialogue is
a full `run_dialogue` call that writes its JSONL trace (flushed per event) to a temporary folder.

Measures (every repetition runs every seed under each; the measures alternate dialogue by dialogue,
in a rotating order, so changes in the machine's load hit them alike; medians over repetitions):

- `engine+eval`: run_dialogue with the evaluation step (the trace then ends with the evaluation);
- `engine`:      run_dialogue without the evaluation step;
- `graph`:       the dialogue part of `engine` alone (time inside `run_graph`, as the runner reports it;
                 wall clock only);
- `bare`:        a bare LangGraph StateGraph of the engine's shape: one trivial node per participant and
                 a trivial referee, the same state channels (the record with its list reducer), the run
                 passed as context through `Runtime`, the same conditional routing and recursion limit,
                 no checkpointer; it runs exactly the turns the engine's dialogue with that seed took
                 (2 graph steps per turn).

Clocks: `cpu` is this process's CPU time (one process = one core; less sensitive to other load on a
shared machine), `wall` the elapsed time. Figures: dialogues per second per core and the ratio of
the engine's time to the bare graph's. Targets: >= 20 dialogues/s/core, ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import operator
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dialectic.bench import machine_info
from dialectic.game import Game
from dialectic.runner import RunResult, run_dialogue
from dialectic.scenario import load_scenario
from dialectic.strategies import load_card

SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
CARD = "conceder"
TARGET_RATE = 20.0
TARGET_RATIO = 1.5


# --- the bare graph: same shape as dialectic.dialogue._engine, trivial nodes ------------------------


class BareState(TypedDict):
    """The engine's state channels (DialogueState), holding placeholders."""

    table: Any
    record: Annotated[list[Any], operator.add]
    pending: Any
    turn: int
    end: str | None


@dataclass(frozen=True)
class BareRun:
    """The run's context, passed like the engine's Session: how many turns to run."""

    turns: int


def _bare_agent(participant: str) -> Any:
    def speak(state: BareState, runtime: Runtime[BareRun]) -> dict[str, Any]:
        return {"pending": participant}

    return speak


def _bare_referee(state: BareState, runtime: Runtime[BareRun]) -> dict[str, Any]:
    turn = state["turn"] + 1
    return {
        "record": [state["pending"]],
        "pending": None,
        "turn": turn,
        "end": "round_limit" if turn >= runtime.context.turns else None,
    }


def build_bare_graph(order: tuple[str, ...]) -> Any:
    def next_speaker(state: BareState) -> str:
        if state["end"] is not None:
            return END
        return order[state["turn"] % len(order)]

    graph = StateGraph(BareState, context_schema=BareRun)
    for participant in order:
        graph.add_node(participant, _bare_agent(participant))
        graph.add_edge(participant, "referee")
    graph.add_node("referee", _bare_referee)
    graph.add_edge(START, order[0])
    graph.add_conditional_edges("referee", next_speaker, [*order, END])
    return graph.compile()


def run_bare(graph: Any, turns: int, max_turns: int) -> int:
    """Run the bare graph for `turns` turns under the engine's recursion limit for `max_turns`."""
    initial: BareState = {"table": None, "record": [], "pending": None, "turn": 0, "end": None}
    final = graph.invoke(initial, context=BareRun(turns), config={"recursion_limit": 2 * max_turns + 4})
    return int(final["turn"])


# --- measurement ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=20, help="dialogues per repetition (seeds 0..N-1)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (medians reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_engine.json")
    args = parser.parse_args(argv)

    scenario = load_scenario(SCENARIO)
    game = Game(scenario)
    card = load_card(CARD)
    seeds = list(range(args.dialogues))

    with tempfile.TemporaryDirectory(prefix="bench_engine_") as tmp:
        runs = Path(tmp)

        def engine(seed: int, evaluate: bool) -> RunResult:
            return run_dialogue(scenario, card, seed=seed, out=runs, game=game, evaluate=evaluate)

        # Warm-up (imports, graph compilation, caches), the turn count of every seed, the speaking order.
        warm = [engine(seed, evaluate=True) for seed in seeds]
        turns = [_turns(result) for result in warm]
        order = warm[0].trace.header.order
        max_turns = scenario.rounds * len(order)
        bare_graph = build_bare_graph(tuple(order))
        for seed, n in zip(seeds, turns, strict=True):
            assert run_bare(bare_graph, n, max_turns) == n, f"bare graph did not run {n} turns (seed {seed})"

        # One repetition runs every seed under every measure; the measures alternate dialogue by
        # dialogue (in a rotating order), so a change in the machine's load hits them alike.
        measures = ("engine+eval", "engine", "bare")
        samples: dict[str, dict[str, list[float]]] = {
            "cpu": {key: [] for key in measures},
            "wall": {key: [] for key in (*measures, "graph")},
        }
        for repeat in range(args.repeats):
            cpu = dict.fromkeys(measures, 0.0)
            wall = dict.fromkeys((*measures, "graph"), 0.0)
            for k, (seed, n) in enumerate(zip(seeds, turns, strict=True)):
                shift = (repeat + k) % len(measures)
                for key in measures[shift:] + measures[:shift]:
                    wall_start, cpu_start = time.perf_counter(), time.process_time()
                    if key == "bare":
                        ran = run_bare(bare_graph, n, max_turns)
                    else:
                        result = engine(seed, evaluate=key == "engine+eval")
                        ran = _turns(result)
                        if key == "engine":
                            wall["graph"] += result.seconds_dialogue
                    cpu[key] += time.process_time() - cpu_start
                    wall[key] += time.perf_counter() - wall_start
                    assert ran == n, f"{key}, seed {seed}: {ran} turns, expected {n}"
            for clock, totals in (("cpu", cpu), ("wall", wall)):
                for key, total in totals.items():
                    samples[clock][key].append(total / len(seeds))

    figures = {clock: _figures(clock_samples) for clock, clock_samples in samples.items()}
    by_cpu = figures["cpu"]

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
            "graph_steps_per_turn": 2,
            "recursion_limit": 2 * max_turns + 4,
            "repeats": args.repeats,
            "processes": 1,
        },
        "clock_note": (
            "cpu: CPU time (user+system) of this single process, i.e. time on one core, less sensitive "
            "to other load on the machine; wall: elapsed time. 'graph' is the time inside run_graph only "
            "(wall clock, measured by the runner)."
        ),
        "cpu": figures["cpu"],
        "wall": figures["wall"],
        "samples_ms_per_dialogue": {
            clock: {k: [round(1000 * x, 3) for x in v] for k, v in clock_samples.items()}
            for clock, clock_samples in samples.items()
        },
        "targets": {
            "dialogues_per_second_per_core": TARGET_RATE,
            "ratio_to_bare_langgraph": TARGET_RATIO,
            "met_cpu": {
                "rate_with_evaluation": by_cpu["dialogues_per_second"]["engine+eval"] >= TARGET_RATE,
                "rate_without_evaluation": by_cpu["dialogues_per_second"]["engine"] >= TARGET_RATE,
                "ratio_with_evaluation": by_cpu["ratio_to_bare"]["engine+eval"] <= TARGET_RATIO,
                "ratio_without_evaluation": by_cpu["ratio_to_bare"]["engine"] <= TARGET_RATIO,
            },
        },
    }

    print(f"conceder on {SCENARIO.name}: {len(seeds)} dialogues x {args.repeats} repetitions, one process")
    print(f"turns per dialogue: {_turn_summary(turns)} (max {max_turns}; 2 graph steps per turn)")
    print(f"{'measure':<13}{'clock':<6}{'ms/dialogue':>12}{'dialogues/s':>13}{'x bare':>8}")
    for clock in ("cpu", "wall"):
        f = figures[clock]
        for key in f["ms_per_dialogue"]:
            shown = f"{f['ratio_to_bare'][key]:.2f}" if key in f["ratio_to_bare"] else "1.00"
            print(
                f"{key:<13}{clock:<6}{f['ms_per_dialogue'][key]:>12.2f}"
                f"{f['dialogues_per_second'][key]:>13.1f}{shown:>8}"
            )
    print(
        f"targets (cpu clock): >= {TARGET_RATE:g} dialogues/s/core, ratio <= {TARGET_RATIO:g}: "
        f"{report['targets']['met_cpu']}"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _figures(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Medians over the repetitions: ms per dialogue, dialogues per second, ratio to the bare graph."""
    median = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "ms_per_dialogue": {k: round(1000 * v, 3) for k, v in median.items()},
        "dialogues_per_second": {k: round(1.0 / v, 2) for k, v in median.items()},
        "ratio_to_bare": {k: round(v / median["bare"], 3) for k, v in median.items() if k != "bare"},
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
