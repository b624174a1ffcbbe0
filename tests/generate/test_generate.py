"""`dialectic scenario generate`: same seed and parameters give the same bytes; the parameters are honoured;
conflict does what dialectic/generate/_draw.py says (identical points at 0, exactly opposed option values
for two groups at 1, the max-min oracle falling as it rises, checked against brute force over every
outcome); reservations are reachable; bad parameters are located errors (exit 2)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.generate import AUTO_FRACTION, GENERATOR, VERSION, Spec, generate, scenario_text
from dialectic.oracles import OracleProblem, maxmin_unconstrained
from dialectic.scenario import Scenario, load_scenario

runner = CliRunner()


def points_of(scenario: Scenario) -> np.ndarray:
    """(groups, issues, options) points as written in the file."""
    issues = [issue.id for issue in scenario.space.issues]
    return np.array([[g.reward.points[i] for i in issues] for g in scenario.groups])  # type: ignore[union-attr]


def brute_maxmin(scenario: Scenario) -> float:
    """max over every outcome of min over groups of (points - worst) / (best - worst), plain Python."""
    points = points_of(scenario)
    worst = points.min(axis=2).sum(axis=1)
    best = points.max(axis=2).sum(axis=1)
    value = -1.0
    for choice in itertools.product(*(range(points.shape[2]) for _ in range(points.shape[1]))):
        total = [sum(points[g, i, k] for i, k in enumerate(choice)) for g in range(points.shape[0])]
        value = max(value, min((total[g] - worst[g]) / (best[g] - worst[g]) for g in range(points.shape[0])))
    return value


def oracle_maxmin(scenario: Scenario) -> float:
    return maxmin_unconstrained(OracleProblem.from_scenario(scenario)).value


def test_same_seed_and_parameters_give_the_same_bytes(tmp_path: Path) -> None:
    args = ["scenario", "generate", "--seed", "11", "--issues", "5", "--groups", "3", "--conflict", "0.7"]
    first, second, other = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    for path, seed in ((first, "11"), (second, "11"), (other, "12")):
        result = runner.invoke(app, [*args[:3], seed, *args[4:], "-o", str(path)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert scenario_text(load_scenario(first)) == first.read_text()  # the file is its scenario's dump
    # And in a fresh interpreter (no state carried between draws).
    code = ("from dialectic.generate import Spec, generate, scenario_text; import sys; "
            "sys.stdout.write(scenario_text(generate(Spec(seed=11, issues=5, groups=3, conflict=0.7))))")
    fresh = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert fresh == first.read_text()


def test_parameters_are_honoured() -> None:
    scenario = generate(Spec(seed=3, issues=6, options=4, groups=3, shares=(0.5, 0.3, 0.2), conflict=0.4,
                             reservation=0.25, rounds=7, rule="quorum:2", name="honoured"))
    assert scenario.name == "honoured" and scenario.rounds == 7
    assert len(scenario.space.issues) == 6 and all(len(i.options) == 4 for i in scenario.space.issues)
    assert [g.share for g in scenario.groups] == [0.5, 0.3, 0.2]
    assert scenario.agreement.rule == "quorum" and scenario.agreement.min_accept == 2
    points = points_of(scenario)
    assert points.min(axis=2).sum(axis=1) == pytest.approx([0, 0, 0])  # each issue's worst option is 0
    assert points.max(axis=2).sum(axis=1) == pytest.approx([100, 100, 100], abs=0.5)  # best outcome 100
    for group, best in zip(scenario.groups, points.max(axis=2).sum(axis=1), strict=True):
        assert group.reservation == pytest.approx(0.25 * best, abs=0.1) and group.reservation <= 0.25 * best
    assert scenario.generated is not None
    assert (scenario.generated.generator, scenario.generated.version, scenario.generated.seed) == (
        GENERATOR, VERSION, 3)
    assert scenario.generated.params["shares"] == "0.5,0.3,0.2" and scenario.generated.params["conflict"] == 0.4
    assert scenario.description and "--seed 3" in scenario.source


def test_minority_and_equal_shares() -> None:
    two = generate(Spec(minority=0.1))
    assert [(g.id, g.share) for g in two.groups] == [("majority", 0.9), ("minority", 0.1)]
    assert two.generated is not None and two.generated.params["minority_share"] == 0.1
    assert two.generated.params["minority_group"] == "minority"
    assert two.opening is not None and two.opening.speaker == "majority"
    many = generate(Spec(groups=12))
    assert [g.share for g in many.groups] == [1 / 12] * 12 and many.group_ids[0] == "group-00"


def test_conflict_zero_gives_identical_points_and_one_opposes_two_groups() -> None:
    for seed in range(5):
        calm = generate(Spec(seed=seed, groups=4, conflict=0.0))
        points = points_of(calm)
        assert (points == points[0]).all()
        assert oracle_maxmin(calm) == pytest.approx(1.0)
        opposed = points_of(generate(Spec(seed=seed, groups=2, conflict=1.0)))
        # Every issue ranks its options in reverse for the two groups (each one's best is the other's worst).
        assert (np.argsort(opposed[0], axis=1) == np.argsort(-opposed[1], axis=1)).all()


def test_the_max_min_oracle_falls_as_conflict_rises() -> None:
    levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    means = []
    for conflict in levels:
        values = []
        for seed in range(8):
            scenario = generate(Spec(seed=seed, issues=4, options=3, groups=3, conflict=conflict))
            value = oracle_maxmin(scenario)
            assert value == pytest.approx(brute_maxmin(scenario), abs=1e-9)  # the oracle against brute force
            values.append(value)
        means.append(float(np.mean(values)))
    assert means[0] == pytest.approx(1.0)
    assert all(a > b + 0.02 for a, b in itertools.pairwise(means)), means


def test_auto_reservations_make_the_max_min_outcome_pass() -> None:
    for seed in range(4):
        scenario = generate(Spec(seed=seed, groups=5, conflict=0.9, rule="unanimous"))
        problem = OracleProblem.from_scenario(scenario)
        result = maxmin_unconstrained(problem)
        assert result.outcome is not None and problem.passes_outcome(result.outcome)
        best = points_of(scenario).max(axis=2).sum(axis=1)
        for group, top in zip(scenario.groups, best, strict=True):
            assert AUTO_FRACTION * result.value * top - 0.1 <= group.reservation <= AUTO_FRACTION * result.value * top


@pytest.mark.parametrize(("args", "where"), [
    (["--minority", "0.7"], "--minority"),
    (["--groups", "3", "--minority", "0.2"], "--minority"),
    (["--shares", "0.5,0.4"], "--shares"),
    (["--groups", "3", "--shares", "0.5,0.5"], "--shares"),
    (["--shares", "a,b"], "--shares"),
    (["--conflict", "2"], "--conflict"),
    (["--reservation", "1.5"], "--reservation"),
    (["--reservation", "most"], "--reservation"),
    (["--rule", "quorum:9"], "--rule"),
    (["--options", "1"], "--options"),
    (["--name", "bad name"], "name"),
])
def test_bad_parameters_are_located_errors(tmp_path: Path, args: list[str], where: str) -> None:
    out = tmp_path / "x.yaml"
    result = runner.invoke(app, ["scenario", "generate", "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert where in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_generated_files_validate(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    assert runner.invoke(app, ["scenario", "generate", "-o", str(path), "--groups", "4"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "4 groups, 81 outcomes" in " ".join(result.output.split())


def test_spec_changes_only_what_it_names() -> None:
    """The draw is the same for every conflict level and share: at one seed, two shares give the same points."""
    base = Spec(seed=5, minority=0.4, conflict=0.6)
    assert (points_of(generate(base)) == points_of(generate(replace(base, minority=0.05)))).all()
