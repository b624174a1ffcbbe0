"""Engine throughput benchmark: rational-agent dialogues against a bare LangGraph graph.

    .venv/bin/python eval/bench_engine.py [--dialogues N] [--repeats R] [--out FILE]

Workload: `conceder` card on scenarios/harbour-sport-park.yaml (24 rounds x 6 agents = at most 144
turns), seeds 0..N-1. The scenario, game and card are loaded once, as a sweep does; each dialogue is
a full `run_dialogue` call that writes its JSONL trace (flushed per event) to a temporary folder.

Measured, interleaved in every repetition (the median over repetitions is reported):

- `engine+eval`: run_dialogue with the evaluation step (the trace then ends with the evaluation);
- `engine`:      run_dialogue without the evaluation step;
- `graph`:       the dialogue part of `engine` alone (time inside `run_graph`, no setup, no end event);
- `bare`:        a bare LangGraph StateGraph of the same shape: one trivial node per participant and a
                 trivial referee, the same state channels (the record with its list reducer), the same
                 conditional routing, the same recursion limit, no checkpointer, run for exactly the
                 turn count the engine's dialogue with that seed took (2 graph steps per turn).

Figures: dialogues per second on one core (a single process, so per core) and the ratio of the
engine's time to the bare graph's. Targets: >= 20 dialogues/s/core, ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import operator
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dialectic.game import Game  # noqa: E402
from dialectic.runner import run_dialogue  # noqa: E402
from dialectic.scenario import load_scenario  # noqa: E402
from dialectic.strategies import load_card  # noqa: E402

SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
CARD = "conceder"
TARGET_RATE = 20.0
TARGET_RATIO = 1.5


# --- the bare graph: same shape as dialectic.dialogue._engine, trivial nodes ------------------------


class BareState(TypedDict):
    table: Any
    record: Annotated[list[Any], operator.add]
    pending: Any
    turn: int
    end: str | None
    turns: int  # how many turns to run (the engine's turn count for the same seed)


def _bare_agent(participant: str) -> Any:
    def speak(state: BareState) -> dict[str, Any]:
        return {"pending": participant}

    return speak


def _bare_referee(state: BareState) -> dict[str, Any]:
    turn = state["turn"] + 1
    return {
        "record": [state["pending"]],
        "pending": None,
        "turn": turn,
        "end": "round_limit" if turn >= state["turns"] else None,
    }


def build_bare_graph(order: tuple[str, ...]) -> Any:
    def next_speaker(state: BareState) -> str:
        if state["end"] is not None:
            return END
        return order[state["turn"] % len(order)]

    graph = StateGraph(BareState)
    for participant in order:
        graph.add_node(participant, _bare_agent(participant))
        graph.add_edge(participant, "referee")
    graph.add_node("referee", _bare_referee)
    graph.add_edge(START, order[0])
    graph.add_conditional_edges("referee", next_speaker, [*order, END])
    return graph.compile()


def run_bare(graph: Any, turns: int, max_turns: int) -> int:
    initial: BareState = {"table": None, "record": [], "pending": None, "turn": 0, "end": None, "turns": turns}
    final = graph.invoke(initial, config={"recursion_limit": 2 * max_turns + 4})
    return int(final["turn"])


# --- measurement ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=20, help="dialogues per batch (seeds 0..N-1)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (medians reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_engine.json")
    args = parser.parse_args(argv)

    scenario = load_scenario(SCENARIO)
    game = Game(scenario)
    card = load_card(CARD)
    seeds = list(range(args.dialogues))

    with tempfile.TemporaryDirectory(prefix="bench_engine_") as tmp:
        runs = Path(tmp)

        order: list[str] = []

        def engine(evaluate: bool) -> tuple[float, float, list[int]]:
            graph_seconds, turns = 0.0, []
            started = time.perf_counter()
            for seed in seeds:
                result = run_dialogue(scenario, card, seed=seed, out=runs, game=game, evaluate=evaluate)
                graph_seconds += result.seconds_dialogue
                assert result.trace.end is not None
                turns.append(result.trace.end.turns)
                order[:] = result.trace.header.order
            return time.perf_counter() - started, graph_seconds, turns

        # Warm-up (imports, graph compilation, caches), the turn count of every seed, the speaking order.
        _, _, turns = engine(evaluate=True)
        session_order = list(order)
        max_turns = scenario.rounds * len(session_order)
        bare_graph = build_bare_graph(tuple(session_order))
        for seed, n in zip(seeds, turns, strict=True):
            assert run_bare(bare_graph, n, max_turns) == n, f"bare graph did not run {n} turns (seed {seed})"

        def bare() -> float:
            started = time.perf_counter()
            for n in turns:
                run_bare(bare_graph, n, max_turns)
            return time.perf_counter() - started

        samples: dict[str, list[float]] = {"engine+eval": [], "engine": [], "graph": [], "bare": []}
        for _ in range(args.repeats):
            total, _, t = engine(evaluate=True)
            assert t == turns, "turn counts changed between repetitions"
            samples["engine+eval"].append(total / len(seeds))
            total, graph_total, t = engine(evaluate=False)
            assert t == turns
            samples["engine"].append(total / len(seeds))
            samples["graph"].append(graph_total / len(seeds))
            samples["bare"].append(bare() / len(seeds))

    median = {k: statistics.median(v) for k, v in samples.items()}
    per_dialogue_ms = {k: 1000 * v for k, v in median.items()}
    rate = {k: 1.0 / v for k, v in median.items()}
    ratio = {
        "engine+eval": median["engine+eval"] / median["bare"],
        "engine": median["engine"] / median["bare"],
        "graph": median["graph"] / median["bare"],
    }

    result = {
        "benchmark": "bench_engine",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "langgraph": version("langgraph"),
            "pydantic": version("pydantic"),
            "numpy": version("numpy"),
        },
        "workload": {
            "scenario": SCENARIO.relative_to(ROOT).as_posix(),
            "card": CARD,
            "seeds": seeds,
            "rounds": scenario.rounds,
            "participants": len(session_order),
            "max_turns": max_turns,
            "turns": turns,
            "turns_mean": statistics.fmean(turns),
            "graph_steps_per_turn": 2,
            "recursion_limit": 2 * max_turns + 4,
            "repeats": args.repeats,
            "processes": 1,
        },
        "median_ms_per_dialogue": per_dialogue_ms,
        "dialogues_per_second_per_core": rate,
        "ratio_to_bare_langgraph": ratio,
        "samples_ms_per_dialogue": {k: [1000 * x for x in v] for k, v in samples.items()},
        "targets": {
            "dialogues_per_second_per_core": TARGET_RATE,
            "ratio_to_bare_langgraph": TARGET_RATIO,
            "met": {
                "rate_with_evaluation": rate["engine+eval"] >= TARGET_RATE,
                "rate_without_evaluation": rate["engine"] >= TARGET_RATE,
                "ratio_without_evaluation": ratio["engine"] <= TARGET_RATIO,
            },
        },
    }

    print(f"conceder on {SCENARIO.name}: {len(seeds)} dialogues x {args.repeats} repetitions, one process")
    print(f"turns per dialogue: {_turn_summary(turns)} (max {max_turns}; 2 graph steps per turn)")
    print(f"{'measure':<14}{'ms/dialogue':>13}{'dialogues/s':>13}{'x bare':>9}")
    for key in ("engine+eval", "engine", "graph", "bare"):
        shown = f"{ratio[key]:.2f}" if key in ratio else "1.00"
        print(f"{key:<14}{per_dialogue_ms[key]:>13.2f}{rate[key]:>13.1f}{shown:>9}")
    print(f"targets: >= {TARGET_RATE:g} dialogues/s/core, ratio <= {TARGET_RATIO:g}: {result['targets']['met']}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _turn_summary(turns: list[int]) -> str:
    counts: dict[int, int] = {}
    for n in turns:
        counts[n] = counts.get(n, 0) + 1
    return ", ".join(f"{n} turns x {c}" for n, c in sorted(counts.items(), reverse=True))


if __name__ == "__main__":
    raise SystemExit(main())
