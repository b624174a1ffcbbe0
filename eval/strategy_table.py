"""Reference results: every strategy card on the shipped scenarios, label and worst-case welfare per
seed, written to eval/results/strategies.json and printed as a table.

    .venv/bin/python eval/strategy_table.py [--seeds 5] [--scenario scenarios/X.yaml ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from dialectic.runner import run_dialogue
from dialectic.strategies import card_names, load_card

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIOS = [ROOT / "scenarios" / "harbour-sport-park.yaml", ROOT / "scenarios" / "island-airport.yaml"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--scenario", type=Path, action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "strategies.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in args.scenario or DEFAULT_SCENARIOS:
            for card in [c for c in card_names() if not load_card(c).needs_chat]:  # rational cards
                labels: Counter[str] = Counter()
                worst = []
                for seed in range(args.seeds):
                    evaluation = run_dialogue(scenario, card, seed=seed, out=tmp).evaluation
                    assert evaluation is not None
                    labels[evaluation.label] += 1
                    worst.append(evaluation.worst_case_welfare)
                rows.append({
                    "scenario": scenario.stem, "strategy": card, "seeds": args.seeds, "labels": dict(labels),
                    "worst_case_welfare_mean": sum(worst) / len(worst), "worst_case_welfare_min": min(worst),
                    "maxmin_oracle": evaluation.maxmin_oracle,
                })
                print(f"{scenario.stem:20} {card:16} {dict(labels)!s:40} W_min mean {rows[-1]['worst_case_welfare_mean']:.3f}"
                      f"  worst {rows[-1]['worst_case_welfare_min']:.3f}  oracle {evaluation.maxmin_oracle:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
