"""Benchmark of the certified oracles (dialectic.oracles), side by side with naive baselines.

Suites (targets from the evaluator issue):
- maxmin-1e12: exact max-min (unconstrained, and under a quorum-with-veto rule) on 12 issues x 10
  options (10^12 outcomes) with 5, 10 and 20 groups; target: exact in under 10 s. Branch and bound
  ("bnb") and the HiGHS MILP ("milp") on the same instances; the enumeration baseline is
  extrapolated from the measured enumeration throughput.
- maxmin-100g-1e8: 100 groups on 8 issues x 10 options (10^8 outcomes), 60 s budget; target: a
  certified gap of at most 1 %. bnb, milp, and enumeration (run in full: 10^10 cells).
- enumeration-1e6x100: every oracle by enumeration on 6 issues x 10 options (10^6 outcomes) and
  100 groups; target: under 1 s, in bounded memory. Baselines: naive numpy (the dense utility
  matrix built at once) and plain Python (timed on a sample, extrapolated).
- base-game: the shipped harbour-sport-park scenario, every method against the published figures
  (max-min 0.55 unconstrained, 0.51 under the rule).

Two instance families, seeded: "uniform" (i.i.d. integer points 0..100 per group, issue and option:
no structure, the hardest case for bounds) and "single-peaked" (each group weighs the issues,
Dirichlet, and prefers options near its own peak on each issue's ordered scale, as negotiation
games do). Reservations are drawn between 30 % and 60 % of each group's range.

Run: .venv/bin/python eval/bench_oracles.py [--quick] [--out eval/results/bench_oracles.json]
Timings are wall-clock on this machine; the JSON records the load average before and after, since
other jobs may share the cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dialectic.oracles import (
    OracleProblem,
    Rule,
    is_pareto_dominated,
    kalai_smorodinsky,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    pareto_frontier,
    utilitarian_optimum,
)

ORACLES = {"maxmin_unconstrained": maxmin_unconstrained, "maxmin_oracle": maxmin_oracle}


# -- instances ------------------------------------------------------------------------------------------


def points(family: str, groups: int, issues: int, options: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if family == "uniform":
        return rng.integers(0, 101, size=(groups, issues, options)).astype(float)
    weights = rng.dirichlet(np.ones(issues), size=groups) * 100
    peak = rng.integers(0, options, size=(groups, issues))
    k = np.arange(options)
    return np.round(weights[:, :, None] * (1 - np.abs(k[None, None, :] - peak[:, :, None]) / (options - 1)))


def instance(family: str, groups: int, issues: int, options: int, seed: int = 0) -> OracleProblem:
    raw = points(family, groups, issues, options, seed)
    rng = np.random.default_rng(seed + 10_000)
    low, high = raw.min(axis=2).sum(axis=1), raw.max(axis=2).sum(axis=1)
    reservations = low + rng.uniform(0.3, 0.6, groups) * (high - low)
    rule = Rule("quorum", min_accept=max(2, int(0.7 * groups)), vetoes=(0,))
    return OracleProblem.additive(raw, reservations, rule=rule, name=f"{family}-{groups}g-{options}^{issues}")


# -- runs -------------------------------------------------------------------------------------------------


def row(suite: str, problem: OracleProblem, objective: str, method: str, result: Any, seconds: float,
        target: str, meets: bool | None, **extra: Any) -> dict[str, Any]:
    return {
        "suite": suite, "instance": problem.name, "groups": problem.n_groups, "outcomes": float(problem.size),
        "objective": objective, "method": method, "value": result.value if result else None,
        "status": result.status if result else None, "bound": result.bound if result else None,
        "gap": result.gap if result else None,
        "relative_gap": result.relative_gap if result else None, "seconds": round(seconds, 4),
        "target": target, "meets_target": meets,
        "nodes": (result.info.get("nodes") if result else None), "cpu_seconds": round(CPU["last"], 3),
        "method_used": result.method if result else None, **extra,
    }


CPU: dict[str, float] = {"last": 0.0}


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """(result, wall seconds); the process CPU seconds of the call go to CPU["last"]."""
    cpu, started = time.process_time(), time.perf_counter()
    result = fn(*args, **kwargs)
    CPU["last"] = time.process_time() - cpu
    return result, time.perf_counter() - started


def best_of(n: int, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """The fastest of n runs (CPU["last"] is that run's CPU time)."""
    best, best_cpu, result = float("inf"), 0.0, None
    for _ in range(n):
        result, seconds = timed(fn, *args, **kwargs)
        if seconds < best:
            best, best_cpu = seconds, CPU["last"]
    CPU["last"] = best_cpu
    return result, best


def suite_1e12(budget: float, throughput: float, groups_list: list[int]) -> list[dict[str, Any]]:
    rows = []
    for family in ("single-peaked", "uniform"):
        for groups in groups_list:
            problem = instance(family, groups, 12, 10)
            for objective, oracle in ORACLES.items():
                values = {}
                for method in ("bnb", "milp"):
                    result, seconds = timed(oracle, problem, method=method, time_budget=budget)
                    values[method] = result.value
                    meets = result.status == "exact" and seconds < 10
                    rows.append(row("maxmin-1e12", problem, objective, method, result, seconds,
                                    "exact in < 10 s", meets))
                    print_row(rows[-1])
                cells = problem.size * groups
                rows.append({
                    "suite": "maxmin-1e12", "instance": problem.name, "groups": groups, "outcomes": 1e12,
                    "objective": objective, "method": "enumeration (extrapolated)", "value": None,
                    "status": None, "seconds": cells / throughput, "target": "baseline", "meets_target": None,
                    "agree": abs(values["bnb"] - values["milp"]) <= 1e-6,
                })
                print_row(rows[-1])
    return rows


def suite_100_groups(budget: float, enumerate_too: bool) -> list[dict[str, Any]]:
    rows = []
    for family in ("single-peaked", "uniform"):
        problem = instance(family, 100, 8, 10)
        for objective, oracle in ORACLES.items():
            values = {}
            for method in ("bnb", "milp", "auto") + (("enumeration",) if enumerate_too else ()):
                result, seconds = timed(oracle, problem, method=method, time_budget=budget)
                values[method] = result.value
                meets = result.relative_gap <= 0.01 and seconds <= budget + 1
                rows.append(row("maxmin-100g-1e8", problem, objective, method, result, seconds,
                                f"certified gap <= 1 % in {budget:g} s", meets))
                print_row(rows[-1])
            if "enumeration" in values:
                for r in rows[-4:]:
                    r["enumeration_value"] = values["enumeration"]
    return rows


def suite_enumeration(repeats: int) -> tuple[list[dict[str, Any]], float]:
    rows: list[dict[str, Any]] = []
    problem = instance("uniform", 100, 6, 10, seed=3)
    # Nash and Kalai-Smorodinsky need outcomes every group accepts: the same points, low reservations
    assert problem.points is not None
    lenient = OracleProblem(
        group_ids=problem.group_ids, radix=problem.radix, shares=problem.shares,
        reservations=np.random.default_rng(4).uniform(0.05, 0.2, problem.n_groups), rule=problem.rule,
        points=problem.points, name=problem.name + "-lenient",
    )
    rng = np.random.default_rng(5)
    settlement = tuple(int(k) for k in rng.integers(0, 10, size=6))
    calls = {
        "maxmin_unconstrained": lambda: maxmin_unconstrained(problem, method="enumeration"),
        "maxmin_oracle": lambda: maxmin_oracle(problem, method="enumeration"),
        "utilitarian_optimum": lambda: utilitarian_optimum(problem, method="enumeration"),
        "nash_optimum": lambda: nash_optimum(lenient, method="enumeration"),
        "kalai_smorodinsky": lambda: kalai_smorodinsky(lenient, method="enumeration"),
        "is_pareto_dominated": lambda: is_pareto_dominated(problem, settlement, method="enumeration"),
        "pareto_frontier (2 groups)": lambda: pareto_frontier(problem, [0, 1], method="enumeration"),
    }
    throughput = 0.0
    for name, call in calls.items():
        result, seconds = best_of(repeats, call)
        tracemalloc.start()
        call()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if name == "maxmin_unconstrained":
            throughput = problem.size * problem.n_groups / seconds
        value = getattr(result, "value", None)
        status = getattr(result, "status", None)
        log_value = result.info.get("log_value") if name == "nash_optimum" else None
        rows.append({
            "suite": "enumeration-1e6x100", "instance": problem.name, "groups": 100, "outcomes": 1e6,
            "objective": name, "method": "enumeration", "value": value, "status": status,
            "seconds": round(seconds, 4), "cpu_seconds": round(CPU["last"], 3),
            "peak_mib": round(peak / 2**20, 1), "target": "< 1 s",
            "meets_target": seconds < 1.0,
            "frontier_points": len(result) if name.startswith("pareto_frontier") else None,
            "log_value": log_value,
        })
        print_row(rows[-1])
    rows += enumeration_baselines(problem)
    return rows, throughput


def enumeration_baselines(problem: OracleProblem) -> list[dict[str, Any]]:
    """The same max-min oracles the naive ways: a dense matrix at once, and plain Python."""
    rows = []
    assert problem.points is not None
    pts = problem.points
    rho = problem.reservations

    def naive_numpy(constrained: bool) -> float:
        grid = np.indices(problem.radix).reshape(problem.n_issues, -1).T
        u = np.zeros((problem.n_groups, len(grid)))
        for i, table in enumerate(pts):
            u += table[:, grid[:, i]]
        worst = u.min(axis=0)
        if constrained:
            passing = problem.rule.passes(u >= rho[:, None] - 1e-12, problem.shares)
            return max(rho.min(), float(worst[passing].max())) if passing.any() else float(rho.min())
        return float(worst.max())

    for name, constrained in (("maxmin_unconstrained", False), ("maxmin_oracle", True)):
        value, seconds = timed(naive_numpy, constrained)
        tracemalloc.start()
        naive_numpy(constrained)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({
            "suite": "enumeration-1e6x100", "instance": problem.name, "groups": 100, "outcomes": 1e6,
            "objective": name, "method": "naive numpy (dense matrix)", "value": value, "status": "exact",
            "seconds": round(seconds, 4), "peak_mib": round(peak / 2**20, 1), "target": "baseline",
            "meets_target": None,
        })
        print_row(rows[-1])
    # plain Python: time a sample of outcomes, extrapolate
    lists = [t.tolist() for t in pts]
    sample = list(itertools.islice(itertools.product(*[range(r) for r in problem.radix]), 0, 200_000, 100))
    started = time.perf_counter()
    best = -1.0
    for x in sample:
        worst = min(sum(lists[i][g][k] for i, k in enumerate(x)) for g in range(problem.n_groups))
        best = max(best, worst)
    per_outcome = (time.perf_counter() - started) / len(sample)
    rows.append({
        "suite": "enumeration-1e6x100", "instance": problem.name, "groups": 100, "outcomes": 1e6,
        "objective": "maxmin_unconstrained", "method": "plain Python (extrapolated)", "value": None,
        "status": None, "seconds": round(per_outcome * problem.size, 1), "target": "baseline",
        "meets_target": None, "sampled_outcomes": len(sample),
    })
    print_row(rows[-1])
    return rows


def suite_base_game() -> list[dict[str, Any]]:
    from dialectic.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "harbour-sport-park.yaml")
    problem = OracleProblem.from_scenario(scenario)
    rows = []
    for name, oracle in (("maxmin_unconstrained", maxmin_unconstrained), ("maxmin_oracle", maxmin_oracle)):
        for method in ("enumeration", "bnb", "milp"):
            result, seconds = best_of(5, oracle, problem, method=method)
            expected = 0.55 if name == "maxmin_unconstrained" else 0.51
            rows.append(row("base-game", problem, name, method, result, seconds, "0.55 / 0.51 published",
                            round(result.value, 2) == expected and result.status == "exact"))
            print_row(rows[-1])
    return rows


# -- output -------------------------------------------------------------------------------------------------


def fmt(value: Any, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return format(value, spec)


def print_row(r: dict[str, Any]) -> None:
    print(
        f"{r['suite']:<20} {r['instance']:<24} {r['objective']:<27} {r['method']:<28} "
        f"{fmt(r.get('value'), '.6f'):>9} {fmt(r.get('status'), 's'):>6} "
        f"{fmt(r.get('relative_gap'), '.2%'):>8} {fmt(r.get('seconds'), '.3f'):>10}s "
        f"{fmt(r.get('cpu_seconds'), '.2f'):>8} "
        f"{fmt(r.get('peak_mib'), '.0f'):>6} {fmt(r.get('meets_target'), ''):>4}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short budgets, fewer cases (a smoke run)")
    parser.add_argument("--out", default=str(ROOT / "eval" / "results" / "bench_oracles.json"))
    parser.add_argument("--only", nargs="*", default=None,
                        choices=["enumeration", "base-game", "maxmin-1e12", "maxmin-100g-1e8"],
                        help="run only these suites (the 1e12 baseline then uses a measured throughput)")
    args = parser.parse_args()
    only = set(args.only or ["enumeration", "base-game", "maxmin-1e12", "maxmin-100g-1e8"])
    budget = 15.0 if args.quick else 60.0
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(f"{'suite':<20} {'instance':<24} {'objective':<27} {'method':<28} {'value':>9} {'status':>6} "
          f"{'rel.gap':>8} {'time':>11} {'cpu s':>8} {'MiB':>6} {'ok':>4}")
    rows: list[dict[str, Any]] = []
    throughput = 1e9  # cells per second, replaced by the measured one when the suite runs
    if "enumeration" in only:
        rows, throughput = suite_enumeration(repeats=1 if args.quick else 3)
    if "base-game" in only:
        rows += suite_base_game()
    if "maxmin-1e12" in only:
        rows += suite_1e12(budget, throughput, [5, 10] if args.quick else [5, 10, 20])
    if "maxmin-100g-1e8" in only:
        rows += suite_100_groups(budget, enumerate_too=not args.quick)
    summary = {
        "machine": {
            "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": __import__("scipy").__version__,
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
        },
        "quick": args.quick,
        "suites": sorted(only),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "budget_seconds": budget,
        "enumeration_throughput_cells_per_s": throughput,
        "total_seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1, default=float) + "\n")
    print(f"\nwrote {out} ({len(rows)} rows, {summary['total_seconds']} s)")


if __name__ == "__main__":
    main()
