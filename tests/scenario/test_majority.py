"""The 51/49 scenario: the pooled reward (average-reward mediator) erases the minority; max-min does not.

Worked by hand (points are already on a 0..100 scale, so u = points / 100):
average-reward maximises 0.51 u_maj + 0.49 u_min issue by issue: language -> majority-language
(0.51*70 > 0.49*70), budget -> new-buildings (0.51*20 > 0.49*5), calendar -> harvest-break
(0.49*25 > 0.51*10): u_maj = 0.90, u_min = 0.25 (< its reservation 0.40: outvoted).
max-min: bilingual + new-buildings + harvest-break gives u_maj = 0.55, u_min = 0.60, min 0.55; no
outcome does better (brute force below), and the majority accepts it (0.55 >= 0.40), so it passes.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from tests.conftest import SCENARIOS

PATH = SCENARIOS / "majority-51-49.yaml"


def test_shape_of_the_scenario() -> None:
    scenario = load_scenario(PATH)
    assert sorted(g.share for g in scenario.groups) == [0.49, 0.51]
    assert len(scenario.space.issues) >= 3
    assert scenario.agreement.rule == "majority"


def test_pooled_reward_erases_the_minority_and_max_min_does_not(tmp_path: Path) -> None:
    average = run_dialogue(PATH, "average-reward", out=tmp_path).evaluation
    maxmin = run_dialogue(PATH, "max-min", out=tmp_path).evaluation
    assert average is not None and maxmin is not None
    assert average.welfare == pytest.approx({"majority": 0.90, "minority": 0.25})
    assert maxmin.welfare == pytest.approx({"majority": 0.55, "minority": 0.60})
    assert average.welfare["minority"] <= maxmin.welfare["minority"] - 0.3
    assert average.label == "outvoted"
    assert maxmin.worst_case_welfare == pytest.approx(maxmin.maxmin_oracle)


def test_oracle_by_brute_force(tmp_path: Path) -> None:
    scenario = load_scenario(PATH)
    points = {g.id: g.reward.points for g in scenario.groups}  # type: ignore[union-attr]
    issues = [i.id for i in scenario.space.issues]
    best = 0.0
    for choice in itertools.product(*(range(len(i.options)) for i in scenario.space.issues)):
        u = {g: sum(points[g][i][k] for i, k in zip(issues, choice, strict=True)) / 100 for g in points}
        passes = u["majority"] >= 0.40  # the majority alone carries a share-majority vote
        if passes:
            best = max(best, min(u.values()))
    maxmin = run_dialogue(PATH, "max-min", out=tmp_path).evaluation
    assert maxmin is not None
    assert maxmin.maxmin_oracle == pytest.approx(best) == pytest.approx(0.55)
