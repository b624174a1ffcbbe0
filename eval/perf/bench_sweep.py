"""Sweep throughput: `dialectic bench run` with 1 and 2 workers, process and Ray executors, side by side.

    .venv/bin/python eval/perf/bench_sweep.py [--quick] [--seeds N] [--repeats R] [--executors process ray]
                                              [--out FILE]

Workload: a suite written to a temporary folder: scenarios/harbour-sport-park.yaml x the `conceder`,
`linear` and `max-min` cards x seeds 0..N-1 (default 600: 1,800 runs, about 30-60 s with one worker on the
development VM, 2 shared vCPUs), each run with its evaluation and its trace, as `dialectic bench run` does them. Each
measurement is one `dialectic.sweep.run_suite(suite, out, executor=E, workers=W, quiet=True)` call into a
fresh store folder; within a repetition the order of the (executor, workers) pairs rotates, so changes in the
machine's load hit them alike; medians over repetitions.

Figures: runs per second (wall clock: the call's elapsed time, the executor's start-up included: worker
processes, or a local Ray cluster; and from the first run's end to the last's, start-up left out), the
1 -> 2 workers speed-up per executor (the target is judged on the whole call), and from the store's rows: every
run ok and present exactly once, the distinct workers that ran them, and the workers' busy seconds (the sum of
each run's `elapsed`) over the wall time (about W when the workers never wait). Target: >= 1.8x from 1 to 2
workers. On a machine shared with other jobs the speed-up is bounded by the free cores: the load average
before and after each measurement is recorded.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dialectic.bench import load_sweep, machine_info

SCENARIO = "scenarios/harbour-sport-park.yaml"
CARDS = ("conceder", "linear", "max-min")
WORKERS = (1, 2)
TARGET_SPEEDUP = 1.8


def write_suite(folder: Path, seeds: int) -> Path:
    suite = {
        "name": "perf-sweep",
        "description": "eval/perf/bench_sweep.py's workload: one six-party scenario x three rational cards x seeds.",
        "root": str(ROOT),
        "seeds": seeds,
        "entries": [{"scenarios": [SCENARIO], "strategies": list(CARDS)}],
    }
    path = folder / "perf-sweep.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


def measure(run_suite: Any, suite: Path, out: Path, executor: str, workers: int, expected: int) -> dict[str, Any]:
    """One sweep into a fresh folder: wall time, and what the store says was run."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    run_suite(suite, out, executor=executor, workers=workers, quiet=True)
    wall = time.perf_counter() - started
    rows = load_sweep(out)
    ids = [row.run_id for row in rows]
    failed = [f"{row.strategy} seed {row.seed}: {row.error}" for row in rows if row.status != "ok"]
    assert len(ids) == expected and len(set(ids)) == expected, f"{executor}/{workers}: {len(ids)} rows, {expected} runs"
    assert not failed, f"{executor}/{workers}: failed runs: {failed[:3]}"
    busy = sum(row.elapsed for row in rows)
    finished = sorted(_dt.datetime.fromisoformat(row.finished_at).timestamp() for row in rows)
    span = finished[-1] - finished[0]
    return {
        "wall_seconds": wall,
        "runs_per_second": expected / wall,
        # Between the first run's end and the last's: the rate once the executor is up (start-up left out).
        "runs_per_second_after_first": (expected - 1) / span if span > 0 else float("nan"),
        "busy_over_wall": busy / wall,
        "distinct_workers": len({row.worker for row in rows}),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 seeds (12 runs) x 1 repetition (a smoke run)")
    parser.add_argument("--seeds", type=int, default=600, help="seeds per card (runs = 3 x seeds)")
    parser.add_argument("--repeats", type=int, default=1, help="rotated repetitions (medians reported)")
    parser.add_argument("--executors", nargs="+", default=["process", "ray"], choices=["local", "process", "ray"])
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_sweep.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.repeats = 4, 1

    from dialectic.sweep import run_suite

    executors = list(args.executors)
    if "ray" in executors:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("ray is not installed (pip install -e '.[ray]'): the Ray executor is left out", file=sys.stderr)
            executors.remove("ray")
    pairs = [(executor, workers) for executor in executors for workers in WORKERS]
    expected = len(CARDS) * args.seeds
    samples: dict[str, list[dict[str, Any]]] = {f"{e}/{w}": [] for e, w in pairs}

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        folder = Path(tmp)
        suite = write_suite(folder, args.seeds)
        # Warm-up: imports and the scenario's first compile in this process (each worker still pays its own).
        run_suite(suite, folder / "warm", executor="local", workers=1, quiet=True)
        n = 0
        for repeat in range(args.repeats):
            shift = repeat % len(pairs)
            for executor, workers in pairs[shift:] + pairs[:shift]:
                n += 1
                sample = measure(run_suite, suite, folder / f"out{n}", executor, workers, expected)
                samples[f"{executor}/{workers}"].append(sample)
                print(f"  {executor}/{workers}: {sample['runs_per_second']:.2f} runs/s "
                      f"(load {sample['load_before']} -> {sample['load_after']})", flush=True)

    figures: dict[str, dict[str, Any]] = {}
    for key, rows in samples.items():
        figures[key] = {
            "runs_per_second": round(statistics.median(r["runs_per_second"] for r in rows), 3),
            "runs_per_second_after_first": round(statistics.median(r["runs_per_second_after_first"] for r in rows), 3),
            "wall_seconds": round(statistics.median(r["wall_seconds"] for r in rows), 2),
            "busy_over_wall": round(statistics.median(r["busy_over_wall"] for r in rows), 3),
            "distinct_workers": max(r["distinct_workers"] for r in rows),
            "samples": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
        }
    speedups = {
        executor: round(figures[f"{executor}/2"]["runs_per_second"] / figures[f"{executor}/1"]["runs_per_second"], 3)
        for executor in executors
    }
    steady = {
        executor: round(figures[f"{executor}/2"]["runs_per_second_after_first"]
                        / figures[f"{executor}/1"]["runs_per_second_after_first"], 3)
        for executor in executors
    }
    met = {executor: s >= TARGET_SPEEDUP for executor, s in speedups.items()}

    report: dict[str, Any] = {
        "benchmark": "bench_sweep",
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info("ray", "pyarrow", "langgraph", "pydantic", "numpy"),
        "workload": {
            "scenario": SCENARIO,
            "cards": list(CARDS),
            "seeds": args.seeds,
            "runs": expected,
            "evaluate": True,
            "repeats": args.repeats,
        },
        "clock_note": (
            "wall clock of each run_suite call (executor start-up included); busy_over_wall: the sum of the "
            "runs' in-worker seconds over the wall time."
        ),
        "results": figures,
        "speedup_1_to_2_workers": speedups,
        "speedup_1_to_2_workers_after_first_run": steady,
        "target": {"speedup_1_to_2_workers": TARGET_SPEEDUP, "met": met},
    }

    print(f"sweep of {expected} runs ({SCENARIO}, {', '.join(CARDS)}, {args.seeds} seeds), "
          f"{args.repeats} repetition(s), wall clock; {os.cpu_count()} CPUs")
    print(f"{'executor':<10}{'workers':>8}{'runs/s':>9}{'after 1st':>11}{'wall s':>8}{'busy/wall':>11}"
          f"{'workers seen':>14}")
    for key, f in figures.items():
        executor, workers = key.split("/")
        print(f"{executor:<10}{workers:>8}{f['runs_per_second']:>9.2f}{f['runs_per_second_after_first']:>11.2f}"
              f"{f['wall_seconds']:>8.1f}{f['busy_over_wall']:>11.2f}{f['distinct_workers']:>14}")
    for executor, s in speedups.items():
        print(f"{executor}: 1 -> 2 workers {s:.2f}x (after the first run: {steady[executor]:.2f}x); "
              f"target >= {TARGET_SPEEDUP:g}x: {met[executor]}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
