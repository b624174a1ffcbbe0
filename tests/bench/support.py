"""Synthetic result rows for the statistics tests."""

from __future__ import annotations

from typing import Any

from dialectic.bench import RunRow


def row(
    scenario: str = "s",
    strategy: str = "a",
    seed: int = 0,
    welfare: dict[str, float] | None = None,
    label: str = "reconciled",
    **fields: Any,
) -> RunRow:
    welfare = welfare if welfare is not None else {"g": 0.5, "h": 0.5}
    base: dict[str, Any] = {
        "worst_case_welfare": min(welfare.values()),
        "worst_case_gain": 0.0,
        "utilitarian": sum(welfare.values()) / len(welfare),
        "nash_welfare": 0.0,
        "welfare_gini": 0.0,
        "maxmin_oracle": 0.6,
        "maxmin_regret": 0.6 - min(welfare.values()),
        "concession_asymmetry": 0.0,
        "rounds": 3,
        "turns": 6,
        "declared_agreement": label != "impasse",
        "compatible": label in {"consensus", "reconciled", "settled"},
        "compatible_views": label in {"consensus", "reconciled"},
        "false_agreement": label == "false_agreement",
        "ai_wins": label == "persuaded",
        "static_views": False,
    }
    base.update(fields)
    return RunRow(scenario=scenario, strategy=strategy, seed=seed, label=label, welfare=welfare, **base)
