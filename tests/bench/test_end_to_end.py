"""Real runs: max-min vs average-reward mediators on two scenarios, seeds 0..4.

Worked out from the scenarios:
- majority-51-49 (utilities u = points / 100, both reservations 0.40, majority rule by share): the
  average-reward mediator maximises .51 u_maj + .49 u_min among the outcomes that pass honestly
  (the majority's acceptance alone passes: share .51): majority-language, new-buildings, harvest-break
  gives u_maj = (70 + 20 + 0) / 100 = .90, u_min = (0 + 0 + 25) / 100 = .25. The max-min mediator
  picks bilingual, new-buildings, harvest-break: u_maj = (35 + 20) / 100 = .55, u_min = (35 + 25) / 100
  = .60. So the minority gains .35 under max-min on every seed and the majority loses .35.
- harbour-sport-park: the max-min mediator reaches the max-min oracle by construction (DESIGN.md),
  so its worst-case welfare is at least average-reward's on every seed, and the paired difference
  of worst-case welfare equals average-reward's max-min regret minus max-min's (which is 0). The
  group worst off under average-reward does better under max-min.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialectic.bench import RunRow, paired_difference, summarise
from dialectic.runner import run_dialogue

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("majority-51-49", "harbour-sport-park")
STRATEGIES = ("max-min", "average-reward")
SEEDS = range(5)


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[RunRow]:
    out = tmp_path_factory.mktemp("runs")
    return [
        RunRow.from_result(run_dialogue(ROOT / "scenarios" / f"{scenario}.yaml", strategy, seed, out=out))
        for scenario in SCENARIOS
        for strategy in STRATEGIES
        for seed in SEEDS
    ]


def test_rows_carry_the_run_identity(rows: list[RunRow]) -> None:
    assert {(r.scenario, r.strategy) for r in rows} == {(s, t) for s in SCENARIOS for t in STRATEGIES}
    assert sorted({r.seed for r in rows}) == list(SEEDS)
    assert all(r.trace and Path(r.trace).exists() for r in rows)


def test_majority_minority_welfare(rows: list[RunRow]) -> None:
    minority = paired_difference(
        rows,
        "majority-51-49",
        "max-min",
        "average-reward",
        np.random.default_rng(0),
        metric="welfare",
        group="minority",
    )
    assert minority.n_pairs == 5 and minority.unmatched_a == minority.unmatched_b == []
    assert minority.mean_difference is not None
    assert minority.mean_difference.value == pytest.approx(0.60 - 0.25)
    assert minority.a_better == 5
    # Mediators are deterministic here: every pair differs by the same amount.
    assert minority.mean_difference.status == "constant" and minority.mean_difference.width == 0.0
    majority = paired_difference(
        rows, "majority-51-49", "max-min", "average-reward", 0, metric="welfare", group="majority"
    )
    assert majority.mean_difference is not None
    assert majority.mean_difference.value == pytest.approx(0.55 - 0.90)
    summary = summarise(rows, np.random.default_rng(0), n_resamples=999)
    avg = summary.cell("majority-51-49", "average-reward")
    assert avg.labels["outvoted"].count == 5
    assert avg.welfare["minority"].worst.value == pytest.approx(0.25)
    assert avg.welfare["minority"].cvar.value == pytest.approx(0.25)


def test_harbour_worst_off_welfare(rows: list[RunRow]) -> None:
    scenario = "harbour-sport-park"
    avg = [r for r in rows if r.scenario == scenario and r.strategy == "average-reward"]
    worst_off = min(avg[0].welfare, key=avg[0].welfare.__getitem__)
    group = paired_difference(
        rows, scenario, "max-min", "average-reward", 0, metric="welfare", group=worst_off
    )
    assert group.n_pairs == 5 and group.mean_difference is not None
    assert group.mean_difference.value > 0 and group.b_better == 0
    worst = paired_difference(rows, scenario, "max-min", "average-reward", 0, metric="worst_case_welfare")
    regret = paired_difference(rows, scenario, "max-min", "average-reward", 0, metric="maxmin_regret")
    assert worst.mean_difference is not None and regret.mean_difference is not None
    assert worst.mean_difference.value > 0
    assert worst.mean_difference.value == pytest.approx(-regret.mean_difference.value)
    assert all(r.maxmin_regret == pytest.approx(0) for r in rows if r.strategy == "max-min")
