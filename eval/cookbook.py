"""The strategy cookbook's figures (issue 13, item 6): every rational card on the four shipped scenarios issue 13
names (harbour-sport-park, island-airport, polis-brexit-consensus, polis-15-per-hour-seattle), seeds 0-19.

    .venv/bin/python eval/cookbook.py [--store runs/cookbook]

Runs the suite eval/suites/cookbook.yaml with `dialectic bench run` (resumable: a finished run is not run
again), then writes eval/results/cookbook.md (per card and scenario: label shares, mean worst-case welfare,
mean max-min regret), eval/results/cookbook.json (the same numbers) and the reconciliation-vs-regret frontier,
eval/results/cookbook-frontier.png and .svg (one point per card: share of runs labelled `reconciled` over
the four scenarios against mean max-min regret; the cards no other card beats on both are joined).
docs/strategies.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from dialectic.bench._source import load_rows

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "eval" / "suites" / "cookbook.yaml"
RESULTS = ROOT / "eval" / "results"
SCENARIOS = ("harbour-sport-park", "island-airport", "polis-brexit-consensus", "polis-15-per-hour-seattle")


def cells(rows: list[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    by: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        by[(row.strategy, row.scenario)].append(row)
    out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for (strategy, scenario), group in sorted(by.items()):
        n = len(group)
        out[strategy][scenario] = {
            "runs": n, "labels": {k: v / n for k, v in sorted(Counter(r.label for r in group).items())},
            "worst_case_welfare": sum(r.worst_case_welfare for r in group) / n,
            "maxmin_regret": sum(r.maxmin_regret for r in group) / n,
        }
    return out


def frontier(points: dict[str, tuple[float, float]]) -> list[str]:
    """Cards no other card beats on both axes (more reconciled, less regret), by regret."""
    best = [c for c, (r, g) in points.items()
            if not any((r2 >= r and g2 <= g) and (r2 > r or g2 < g) for c2, (r2, g2) in points.items() if c2 != c)]
    return sorted(best, key=lambda c: points[c][1])


def plot(points: dict[str, tuple[float, float]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 7))
    front = frontier(points)
    # cards on one reconciled share: labels stacked in a column above or below the row (each joined to its
    # point by a thin line), not overlaid
    at: dict[tuple[float, float], list[str]] = defaultdict(list)  # cards on one point share one label
    for card, (rec, reg) in points.items():
        at[round(rec, 3), round(reg, 3)].append(card)
    stacked: dict[tuple[float, bool], int] = defaultdict(int)  # labels so far per row, above and below
    for (rec, reg), cards in sorted(at.items(), key=lambda kv: kv[0][1]):
        ax.scatter(reg, rec, s=28, color="#1f77b4", zorder=3)
        # the top and bottom rows, and a point with another under it, are labelled above; other rows alternate
        under = any(r2 < rec and abs(g2 - reg) < 0.03 for r2, g2 in at)
        up = rec >= 0.95 or rec <= 0.05 or under or stacked[rec, True] <= stacked[rec, False]
        k = stacked[rec, up]
        stacked[rec, up] += 1
        dy = 6 + 11 * k if up else -12 - 11 * k
        ax.annotate(", ".join(sorted(cards)), (reg, rec), textcoords="offset points", xytext=(4, dy), fontsize=7,
                    arrowprops={"arrowstyle": "-", "lw": 0.3, "color": "grey"} if abs(dy) > 6 else None)
    front_x, front_y = [points[c][1] for c in front], [points[c][0] for c in front]
    ax.scatter(front_x, front_y, s=90, marker="*", color="#d62728", zorder=4,
               label="frontier (no card more reconciled with less regret)")
    if len(front) > 1:
        ax.plot(front_x, front_y, color="#d62728", lw=1)
    ax.set_ylim(-0.12, 1.2)
    ax.axvline(0.05, color="grey", ls=":", lw=1, label="regret 0.05 (issue 13, item 5)")
    ax.axhline(0.9, color="grey", ls="--", lw=1, label="reconciled in 90% of runs")
    ax.set_xlabel("mean max-min regret (oracle's worst-off welfare minus the run's)")
    ax.set_ylabel("share of runs labelled reconciled")
    ax.set_title("Reconciled and fair to the worst-off: every rational card, 4 scenarios x 20 seeds")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    for suffix in (".png", ".svg"):
        fig.savefig(out.with_suffix(suffix), dpi=130)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "runs" / "cookbook")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "dialectic", "bench", "run", str(SUITE), "--executor", "process",
                    "--workers", "2", "--out", str(args.store), "--quiet"], check=True)
    table = cells(load_rows(args.store).rows)
    points = {card: (sum(c["labels"].get("reconciled", 0.0) for c in by.values()) / len(by),
                     sum(c["maxmin_regret"] for c in by.values()) / len(by)) for card, by in table.items()}
    lines = ["# Strategy cookbook: every rational card, seeds 0-19", "",
             ("Generated by eval/cookbook.py (suite eval/suites/cookbook.yaml). Per card and scenario: label shares, "
              "mean worst-case welfare (W), mean max-min regret (R)."), "",
             "| card | " + " | ".join(SCENARIOS) + " | reconciled | mean R |",
             "|---|" + "---|" * (len(SCENARIOS) + 2)]
    for card in sorted(table, key=lambda c: (-points[c][0], points[c][1])):
        row = []
        for scenario in SCENARIOS:
            c = table[card].get(scenario)
            if c is None:
                row.append("-")
                continue
            labels = ", ".join(f"{k} {v:.0%}" for k, v in sorted(c["labels"].items(), key=lambda kv: -kv[1]))
            row.append(f"{labels}; W {c['worst_case_welfare']:.3f}, R {c['maxmin_regret']:.3f}")
        lines.append(f"| {card} | " + " | ".join(row) + f" | {points[card][0]:.0%} | {points[card][1]:.3f} |")
    lines += ["", "Frontier (no card more reconciled with less regret): " + ", ".join(frontier(points)) + "."]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "cookbook.md").write_text("\n".join(lines) + "\n")
    (args.results / "cookbook.json").write_text(json.dumps(
        {"suite": "eval/suites/cookbook.yaml", "cells": table,
         "points": {c: {"reconciled": r, "maxmin_regret": g} for c, (r, g) in points.items()},
         "frontier": frontier(points)}, indent=1, sort_keys=True) + "\n")
    plot(points, args.results / "cookbook-frontier")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
