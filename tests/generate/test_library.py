"""The scenario library's claimed figures, against a brute force over every outcome (plain Python on the
files' points), and the real cards' runs where a description names them."""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario, load_scenario
from tests.conftest import SCENARIOS

LIBRARY = ["majority-10-1", "orange-peel-juice", "river-basin-three", "seven-party", "hundred-groups"]


def outcomes(scenario: Scenario) -> list[tuple[dict[str, str], list[float], list[bool]]]:
    """Every outcome: its options, each group's normalised utility, whether each group accepts it."""
    issues = scenario.space.issues
    rows = []
    for choice in itertools.product(*(issue.options for issue in issues)):
        named = dict(zip([i.id for i in issues], choice, strict=True))
        us, accepts = [], []
        for g in scenario.groups:
            points = g.reward.points  # type: ignore[union-attr]
            total = sum(points[i.id][i.options.index(named[i.id])] for i in issues)
            low, high = sum(min(points[i.id]) for i in issues), sum(max(points[i.id]) for i in issues)
            us.append((total - low) / (high - low))
            accepts.append(total >= g.reservation - 1e-9)
        rows.append((named, us, accepts))
    return rows


def majority_passes(scenario: Scenario, accepts: list[bool]) -> bool:
    return sum(g.share for g, a in zip(scenario.groups, accepts, strict=True) if a) > 0.5


@pytest.mark.parametrize("name", LIBRARY)
def test_every_library_file_loads_and_says_what_it_tests(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    assert scenario.name == name and len(scenario.description) > 100 and scenario.source


@pytest.mark.parametrize("name", ["seven-party", "hundred-groups"])
def test_generated_library_files_regenerate_byte_for_byte(tmp_path: Path, name: str) -> None:
    path = SCENARIOS / f"{name}.yaml"
    source = load_scenario(path).source
    args = shlex.split(source.split(": ", 1)[1])[1:]  # after "dialectic"
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "again.yaml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.yaml").read_bytes() == path.read_bytes()


def test_ten_to_one(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "majority-10-1.yaml")
    rows = outcomes(scenario)
    shares = [g.share for g in scenario.groups]
    passing = [r for r in rows if majority_passes(scenario, r[2])]
    average = max(passing, key=lambda r: sum(s * u for s, u in zip(shares, r[1], strict=True)))
    assert average[0] == {"dam": "full-height", "water": "city-first", "compensation": "none"}
    assert average[1] == pytest.approx([1.0, 0.0])
    best = max(min(r[1]) for r in passing)
    assert best == pytest.approx(0.60)
    assert sorted(tuple(round(u, 9) for u in r[1]) for r in passing if min(r[1]) >= best - 1e-9) == [
        (0.6, 0.65), (0.65, 0.6)]
    # At 51/49 the pooled reward would grant cash compensation (costs the city 5, gives the valley 25).
    assert 0.51 * 15 + 0.49 * 25 > 0.51 * 20 and 10 * 15 + 25 < 10 * 20
    pooled = run_dialogue(SCENARIOS / "majority-10-1.yaml", "average-reward", out=tmp_path).evaluation
    maxmin = run_dialogue(SCENARIOS / "majority-10-1.yaml", "max-min", out=tmp_path).evaluation
    assert pooled is not None and maxmin is not None
    assert pooled.label == "outvoted" and pooled.welfare == pytest.approx({"city": 1.0, "valley": 0.0})
    assert maxmin.worst_case_welfare == pytest.approx(best) == pytest.approx(maxmin.maxmin_oracle)


def test_orange(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "orange-peel-juice.yaml")
    rows = outcomes(scenario)
    by_name = {tuple(r[0].values()): r[1] for r in rows}
    bakery_best = max(rows, key=lambda r: r[1][0])
    juice_best = max(rows, key=lambda r: r[1][1])
    assert bakery_best[1][1] == 0 and juice_best[1][0] == 0  # each stated view is worth 0 to the other
    assert all(a != b for a, b in zip(bakery_best[0].values(), juice_best[0].values(), strict=True))
    assert by_name["halves", "halves", "midday"] == pytest.approx([0.5, 0.5])
    top = max(min(r[1]) for r in rows if all(r[2]))
    assert top == pytest.approx(0.92)
    assert [r[0] for r in rows if min(r[1]) >= top - 1e-9] == [
        {"peel": "bakery", "juice": "juice-bar", "delivery": "midday"}]
    evaluation = run_dialogue(SCENARIOS / "orange-peel-juice.yaml", "max-min", out=tmp_path).evaluation
    assert evaluation is not None and evaluation.maxmin_oracle == pytest.approx(top)
    assert evaluation.opening_views["bakery"] == bakery_best[0]
    assert evaluation.opening_views["juice-bar"] == juice_best[0]


def test_three_parties(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "river-basin-three.yaml")
    rows = outcomes(scenario)
    shares = [g.share for g in scenario.groups]
    assert sum(all(r[2]) for r in rows) == 8
    passing = [r for r in rows if majority_passes(scenario, r[2])]
    average = max(passing, key=lambda r: sum(s * u for s, u in zip(shares, r[1], strict=True)))
    assert average[1] == pytest.approx([0.77, 0.70, 0.05])
    best = max(passing, key=lambda r: min(r[1]))
    assert best[1] == pytest.approx([0.52, 0.60, 0.55])
    pooled = run_dialogue(SCENARIOS / "river-basin-three.yaml", "average-reward", out=tmp_path).evaluation
    assert pooled is not None and pooled.label == "outvoted"


def test_hundred_groups_runs_with_the_evaluator(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "hundred-groups.yaml")
    assert len(scenario.groups) == 100 and scenario.rounds == 2 and scenario.space.size() == 729
    evaluation = run_dialogue(scenario, "max-min", out=tmp_path).evaluation
    assert evaluation is not None
    brute = max(min(r[1]) for r in outcomes(scenario) if majority_passes(scenario, r[2]))
    assert evaluation.maxmin_oracle == pytest.approx(brute) == pytest.approx(evaluation.worst_case_welfare)
