"""Benchmark of fitting learned reward models (dialectic.learned): fit time and peak memory of the pooled
Bradley-Terry model (K = 1) and the EM mixture (K = 3, 5) on 10^4, 10^5 and 10^6 comparisons.

Workload (synthetic, seeded): 200 items with 384-d features (i.i.d. normal / sqrt(384), the width of the
minilm statement features), three true groups of annotators (sizes 6:3:1), each with a random head of norm
2 sqrt(384 / 2) (so a margin w . (x_a - x_b) has standard deviation 2); each annotator makes 100 comparisons
of uniformly random item pairs, chosen by Bradley-Terry on its group's head. So 10^6 comparisons are 10^4
annotators. The mixture runs as `dialectic rm fit` does by default (hard E-step, 4 restarts: one
incremental, three k-means++; L2 1.0); K = 1 is `fit_bt`.

Each case runs in its own subprocess: the fit's wall time (data generation excluded), the process's peak
resident memory (ru_maxrss) and its resident memory just before the fit, so the fit's own peak is about
their difference. Reference (where cheap): the same L2-penalised likelihood written per comparison, with the
(n, d) difference matrix built once and its gradient D.T @ r (L-BFGS from zeros, the same tolerances), for
K = 1 on 10^4 and 10^5 comparisons (10^6 would hold a 3 GB matrix).

Target (issue 9): the mixture with K = 5 on 10^6 comparisons in under 60 s on this 2-core machine.

Run: .venv/bin/python eval/bench_fit.py [--sizes 10000,100000,1000000] [--ks 1,3,5] [--out FILE]
The machine is shared with other jobs: the JSON records the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_ITEMS, DIM, PER_ANNOTATOR, GROUP_SHARES = 200, 384, 100, (0.6, 0.3, 0.1)
#: Heads' norm: a margin w . (x_a - x_b) then has standard deviation 2 (choices clear but noisy).
HEAD_NORM = 2.0 * float(np.sqrt(DIM / 2))


def synthetic(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ITEMS, DIM)) / np.sqrt(DIM)
    heads = rng.normal(size=(len(GROUP_SHARES), DIM))
    heads *= HEAD_NORM / np.linalg.norm(heads, axis=1, keepdims=True)
    n_annotators = n // PER_ANNOTATOR
    group = np.repeat(np.arange(len(GROUP_SHARES)),
                      np.diff(np.round(np.concatenate([[0], np.cumsum(GROUP_SHARES)]) * n_annotators).astype(int)))
    annotator = np.repeat(np.arange(n_annotators), PER_ANNOTATOR)
    a = rng.integers(N_ITEMS, size=n)
    b = (a + 1 + rng.integers(N_ITEMS - 1, size=n)) % N_ITEMS
    scores = X @ heads.T  # (items, groups)
    g = group[annotator]
    margin = scores[a, g] - scores[b, g]
    wins = rng.random(n) < 1.0 / (1.0 + np.exp(-margin))
    return {"X": X, "chosen": np.where(wins, a, b), "rejected": np.where(wins, b, a), "annotator": annotator,
            "n_annotators": n_annotators, "group": group}


def _rss_now_kb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * (resource.getpagesize() // 1024)


def per_comparison_bt(X: np.ndarray, chosen: np.ndarray, rejected: np.ndarray, l2: float) -> np.ndarray:
    """The reference: the penalised likelihood per comparison, with the (n, d) difference matrix."""
    from scipy.optimize import minimize

    from dialectic.learned._bt import GTOL, MAX_ITER, log_sigmoid, one_blas_thread, sigmoid

    D = X[chosen] - X[rejected]
    n = len(D)

    def negative(w: np.ndarray) -> tuple[float, np.ndarray]:
        m = D @ w
        value = float(log_sigmoid(m).sum()) - 0.5 * l2 * float(w @ w)
        grad = D.T @ sigmoid(-m) - l2 * w
        return -value / n, -grad / n

    with one_blas_thread():
        return minimize(negative, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B",
                        options={"maxiter": MAX_ITER, "gtol": GTOL, "ftol": 1e-15, "maxcor": 20}).x


def run_case(n: int, k: int, method: str) -> dict[str, Any]:
    """One case, in this process (called in a subprocess by main)."""
    import scipy.optimize  # noqa: F401  (loaded before the baseline, as a fit's imports are not its memory)
    import threadpoolctl  # noqa: F401

    from dialectic.learned import adjusted_rand_index, fit_bt, fit_mixture

    data = synthetic(n)
    rss_before = _rss_now_kb()
    start = time.perf_counter()
    out: dict[str, Any] = {"n": n, "k": k, "method": method, "annotators": data["n_annotators"]}
    if method == "per-comparison":
        w = per_comparison_bt(data["X"], data["chosen"], data["rejected"], 1.0)
        out["seconds"] = time.perf_counter() - start
        item_level = fit_bt(data["X"], data["chosen"], data["rejected"], l2=1.0)
        out["max_abs_diff_to_item_level"] = float(np.max(np.abs(w - item_level)))
    elif k == 1:
        fit_bt(data["X"], data["chosen"], data["rejected"], l2=1.0)
        out["seconds"] = time.perf_counter() - start
    else:
        fit = fit_mixture(data["X"], data["chosen"], data["rejected"], data["annotator"], data["n_annotators"], k,
                          restarts=4, seed=0)
        out["seconds"] = time.perf_counter() - start
        out["iterations_best_run"] = fit.iterations
        out["restart_objectives"] = fit.restart_objectives
        out["sizes"] = [int(s) for s in fit.sizes]
        out["ari_vs_true_groups"] = adjusted_rand_index(data["group"], fit.assignment)
        out["trace_non_decreasing"] = bool(np.all(np.diff(fit.loglik_trace) >= 0))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.update(rss_before_fit_mb=round(rss_before / 1024, 1), peak_rss_mb=round(peak / 1024, 1),
               fit_peak_over_before_mb=round(max(peak - rss_before, 0) / 1024, 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--ks", default="1,3,5")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_fit.json")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # n,k,method: run one case, print JSON
    args = parser.parse_args()
    if args.case:
        n, k, method = args.case.split(",")
        print(json.dumps(run_case(int(n), int(k), method)))
        return
    from dialectic.bench import machine_info

    sizes = [int(s) for s in args.sizes.split(",")]
    ks = [int(k) for k in args.ks.split(",")]
    cases = [(n, k, "item-level") for n in sizes for k in ks]
    cases += [(n, 1, "per-comparison") for n in sizes if n <= 100_000]
    machine = machine_info("numpy", "scipy")
    results = []
    for n, k, method in cases:
        done = subprocess.run([sys.executable, __file__, "--case", f"{n},{k},{method}"], capture_output=True,
                              text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(row)
        print(f"{method:15s} n={n:>8d} K={k}: {row['seconds']:7.2f} s, peak RSS {row['peak_rss_mb']:7.1f} MB "
              f"(fit +{row['fit_peak_over_before_mb']:.1f} MB)"
              + (f", ARI {row['ari_vs_true_groups']:.3f}" if "ari_vs_true_groups" in row else ""), flush=True)
    target = next((r for r in results if r["n"] == 1_000_000 and r["k"] == 5 and r["method"] == "item-level"), None)
    report = {
        "benchmark": "fit time and peak memory of learned reward models (eval/bench_fit.py)",
        "workload": {"items": N_ITEMS, "dim": DIM, "comparisons_per_annotator": PER_ANNOTATOR,
                     "group_shares": GROUP_SHARES, "head_norm": HEAD_NORM, "restarts": 4, "estep": "hard", "l2": 1.0},
        "target": "mixture K=5 on 10^6 comparisons under 60 s",
        "target_met": None if target is None else target["seconds"] < 60,
        "machine": machine, "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d"), "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
