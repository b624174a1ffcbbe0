"""Evaluator speed: the time to evaluate a run's trace against the time the dialogue itself took.

    .venv/bin/python eval/bench_evaluate.py [--card NAME ...] [--seeds N] [--repeats R] [--out FILE]

Workload: scenarios/harbour-sport-park.yaml (6 parties, 24 rounds: at most 144 turns) with the
`conceder` and `dialectical` cards (default both), seeds 0..N-1; the scenario is loaded once and
each card's traces are written once (in a temporary folder) before the measures start.

Measures, per trace, side by side in one process (for every seed the measures run in a rotating
order, so changes in the machine's load hit them alike; medians over R repetitions):

- `dialogue`: `run_dialogue(..., evaluate=False)`: the dialogue with its trace written, no evaluation;
- `evaluate_cold`: `evaluate(game, trace)` on a Game object built just before (outside the clock)
  and never evaluated: every oracle is solved (max-min, unconstrained, utilitarian, Nash,
  Kalai-Smorodinsky, the settlement's Pareto dominance);
- `evaluate_warm`: `evaluate(game, trace)` on a Game whose oracles are already solved (the
  evaluator caches them per Game, as in a sweep or `dialectic score` over many traces);
- `rescore_warm`: what `dialectic score` does per trace after the first: read the JSONL trace,
  reload and hash-check its scenario, evaluate (cached oracles).

Also reported once: the first evaluation in the process (`first_in_process`), which pays for the
imports of the evaluator, its metrics and the oracles. Figures: ms per trace (cpu: this process's
CPU time; wall: elapsed) and each evaluation's ratio to `dialogue`. Target: ratio <= 0.2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dialectic.bench import machine_info
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from dialectic.strategies import load_card
from dialectic.trace import Trace

SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
CARDS = ("conceder", "dialectical")
TARGET_RATIO = 0.2
MEASURES = ("dialogue", "evaluate_cold", "evaluate_warm", "rescore_warm")


def clocked(work: Callable[[], object]) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def bench_card(card_name: str, seeds: list[int], repeats: int, runs: Path) -> dict[str, Any]:
    from dialectic.evaluate import Rescorer, evaluate

    scenario = load_scenario(SCENARIO)
    card = load_card(card_name)
    warm_game = Game(scenario)
    traces: list[Trace] = []
    for seed in seeds:
        result = run_dialogue(SCENARIO, card, seed=seed, out=runs / card_name, game=warm_game, evaluate=False)
        traces.append(result.trace)
    labels = [evaluate(warm_game, trace).label for trace in traces]  # also solves warm_game's oracles
    rescorer = Rescorer(cwd=ROOT)
    samples: dict[str, dict[str, list[float]]] = {"cpu": {m: [] for m in MEASURES}, "wall": {m: [] for m in MEASURES}}
    for repeat in range(repeats):
        totals = {"cpu": dict.fromkeys(MEASURES, 0.0), "wall": dict.fromkeys(MEASURES, 0.0)}
        for k, (seed, trace) in enumerate(zip(seeds, traces, strict=True)):
            fresh = Game(scenario)
            work: dict[str, Callable[[], object]] = {
                "dialogue": partial(
                    run_dialogue, SCENARIO, card, seed=seed, out=runs / "again", game=warm_game, evaluate=False
                ),
                "evaluate_cold": partial(evaluate, fresh, trace),
                "evaluate_warm": partial(evaluate, warm_game, trace),
                "rescore_warm": partial(rescorer.score, trace.path),
            }
            shift = (repeat + k) % len(MEASURES)
            for measure in MEASURES[shift:] + MEASURES[:shift]:
                cpu, wall = clocked(work[measure])
                totals["cpu"][measure] += cpu
                totals["wall"][measure] += wall
        for clock in ("cpu", "wall"):
            for measure in MEASURES:
                samples[clock][measure].append(totals[clock][measure] / len(seeds))
    figures = {clock: figures_of(per_clock) for clock, per_clock in samples.items()}
    return {
        "card": card_name,
        "turns": [trace.end.turns if trace.end else len(trace.moves) for trace in traces],
        "labels": labels,
        **figures,
        "samples_ms_per_trace": {
            clock: {m: [round(1000 * x, 3) for x in v] for m, v in per_clock.items()}
            for clock, per_clock in samples.items()
        },
        "met": {
            f"{clock}_{m}": figures[clock]["ratio_to_dialogue"][m] <= TARGET_RATIO
            for clock in ("cpu", "wall") for m in MEASURES[1:]
        },
    }


def figures_of(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    median = {m: statistics.median(v) for m, v in samples.items()}
    return {
        "ms_per_trace": {m: round(1000 * v, 3) for m, v in median.items()},
        "ratio_to_dialogue": {m: round(v / median["dialogue"], 4) for m, v in median.items() if m != "dialogue"},
    }


def first_in_process(runs: Path) -> dict[str, float]:
    """The first evaluation in this process, imports included (one sample)."""
    scenario = load_scenario(SCENARIO)
    game = Game(scenario)
    trace = run_dialogue(SCENARIO, CARDS[0], seed=0, out=runs / "first", game=game, evaluate=False).trace
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    from dialectic.evaluate import evaluate

    evaluate(game, trace)
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started_wall
    return {"cpu_ms": round(1000 * cpu, 3), "wall_ms": round(1000 * wall, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--card", action="append", help=f"strategy card (repeatable; default {', '.join(CARDS)})")
    parser.add_argument("--seeds", type=int, default=5, help="traces per card (seeds 0..N-1)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (medians reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_evaluate.json")
    args = parser.parse_args(argv)
    cards = args.card or list(CARDS)
    seeds = list(range(args.seeds))

    with tempfile.TemporaryDirectory(prefix="bench_evaluate_") as tmp:
        first = first_in_process(Path(tmp))
        results = [bench_card(card, seeds, args.repeats, Path(tmp)) for card in cards]

    scenario = load_scenario(SCENARIO)
    report: dict[str, Any] = {
        "benchmark": "bench_evaluate",
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info("langgraph", "numpy", "scipy"),
        "workload": {
            "scenario": SCENARIO.relative_to(ROOT).as_posix(),
            "parties": len(scenario.groups),
            "rounds": scenario.rounds,
            "outcomes": Game(scenario).space.size,
            "seeds": seeds,
            "repeats": args.repeats,
            "processes": 1,
        },
        "clock_note": (
            "cpu: CPU time of this single process (one core), less sensitive to other load; wall: elapsed. "
            "Medians over repetitions of the mean per trace; ratio_to_dialogue = measure / dialogue."
        ),
        "first_in_process": first,
        "target_ratio": TARGET_RATIO,
        "cards": results,
    }

    print(f"{SCENARIO.name}: {len(seeds)} traces per card x {args.repeats} repetitions, one process")
    print(f"first evaluation in the process (imports included): {first['wall_ms']:.1f} ms wall")
    print(f"{'card':<12}{'measure':<15}{'clock':<6}{'ms/trace':>10}{'/ dialogue':>12}")
    for result in results:
        for clock in ("cpu", "wall"):
            f = result[clock]
            for measure in MEASURES:
                ratio = f["ratio_to_dialogue"].get(measure)
                shown = "" if ratio is None else f"{ratio:.4f}"
                print(f"{result['card']:<12}{measure:<15}{clock:<6}{f['ms_per_trace'][measure]:>10.2f}{shown:>12}")
    met = all(all(r["met"].values()) for r in results)
    print(f"target: every evaluation <= {TARGET_RATIO:g} x the dialogue: {'met' if met else 'NOT met'}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
