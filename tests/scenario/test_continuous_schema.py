"""Continuous spaces in scenario files: the shipped budget split loads; every mistake is located
(field path, what was expected, what was found), like every other scenario error."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import yaml

from dialectic.scenario import ContinuousSpaceSpec, ScenarioError, load_scenario
from dialectic.scenario._load import validate_scenario
from tests.conftest import SCENARIOS

GOOD = {
    "name": "split",
    "space": {"kind": "continuous", "total": 1, "issues": [
        {"id": "a", "low": 0, "high": 1, "step": 0.1},
        {"id": "b", "low": 0, "high": 1, "step": 0.1},
        {"id": "c", "low": 0, "high": 1, "step": 0.1},
    ]},
    "groups": [
        {"id": "x", "share": 0.5, "reward": {"kind": "quadratic", "ideal": {"a": 0.6, "b": 0.2, "c": 0.2},
                                             "weights": {"a": 2, "b": 1, "c": 1}}, "reservation": -0.5},
        {"id": "y", "share": 0.5, "reward": {"kind": "linear", "weights": {"b": 3, "c": 1}}, "reservation": 1},
    ],
    "opening": {"speaker": "x", "proposal": {"a": 0.6, "b": 0.2, "c": 0.2}},
}


def mutated(edit: Callable[[dict], object]) -> dict:
    data = copy.deepcopy(GOOD)
    edit(data)
    return data


def issue(k: int) -> Callable[[dict], dict]:
    return lambda d: d["space"]["issues"][k]


def reward(g: int) -> Callable[[dict], dict]:
    return lambda d: d["groups"][g]["reward"]


CASES: dict[str, tuple[Callable[[dict], object], str, str]] = {
    "high not above low": (lambda d: issue(1)(d).update(high=0), "space.issues[1].high", "above low"),
    "step not dividing the range": (lambda d: issue(2)(d).update(step=0.3), "space.issues[2].step", "whole steps"),
    "one step for every issue under a total": (
        lambda d: issue(0)(d).update(step=0.05), "space.issues[*].step", "one step for every issue"),
    "total out of reach": (lambda d: d["space"].update(total=4), "space.total", "between the sum of the lows"),
    "total off the lattice": (lambda d: d["space"].update(total=0.55), "space.total", "whole steps"),
    "duplicate issue": (lambda d: issue(1)(d).update(id="a"), "space.issues", "distinct issue ids"),
    "unknown issue weighted": (
        lambda d: reward(1)(d)["weights"].update(z=1), "groups[1].reward.weights", "issues of the space"),
    "ideal outside the range": (
        lambda d: reward(0)(d)["ideal"].update(a=1.5), "groups[0].reward.ideal.a", "a value in [0, 1]"),
    "weight not positive": (
        lambda d: reward(0)(d)["weights"].update(b=0), "groups[0].reward.weights.b", "a weight above 0"),
    "ideal missing for a weighted issue": (
        lambda d: reward(0)(d)["ideal"].pop("c"), "groups[0].reward.ideal", "an ideal value for every weighted issue"),
    "reservation above the lattice best": (
        lambda d: d["groups"][1].update(reservation=3.5), "groups[1].reservation", "reachable on the step lattice"),
    "linear reward constant on the simplex": (
        lambda d: reward(1)(d).update(weights={"a": 1, "b": 1, "c": 1}), "groups[1].reward", "rewards that differ"),
    "discrete reward in a continuous space": (
        lambda d: d["groups"][1].update(reward={"kind": "additive", "points": {"a": [1, 2]}}),
        "groups[1].reward.kind", "'linear' or 'quadratic'"),
    "opening off the lattice": (
        lambda d: d["opening"]["proposal"].update(a=0.65, b=0.15), "opening.proposal.a", "a number on the lattice"),
    "opening not summing to the total": (
        lambda d: d["opening"]["proposal"].update(a=0.7), "opening.proposal", "values summing to 1"),
    "opening missing an issue": (lambda d: d["opening"]["proposal"].pop("c"), "opening.proposal", "missing ['c']"),
    "opening not a number": (
        lambda d: d["opening"]["proposal"].update(a="lots"), "opening.proposal.a", "a number on the lattice"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mistakes_are_located(case: str) -> None:
    edit, where, words = CASES[case]
    with pytest.raises(ScenarioError) as raised:
        validate_scenario(mutated(edit), "split.yaml")
    assert any(e.path == where and words in e.expected + " " + e.found for e in raised.value.errors), \
        [str(e) for e in raised.value.errors]


def test_the_good_file_validates_and_counts_its_lattice() -> None:
    scenario = validate_scenario(copy.deepcopy(GOOD), "split.yaml")
    assert isinstance(scenario.space, ContinuousSpaceSpec)
    assert scenario.space.size() == 66  # compositions of 10 steps over 3 issues
    box = mutated(lambda d: d["space"].pop("total"))
    box["opening"]["proposal"] = {"a": 0.6, "b": "0.2", "c": 1}  # numbers or their text
    assert validate_scenario(box, "split.yaml").space.size() == 11**3


def test_linear_and_quadratic_rewards_need_a_continuous_space() -> None:
    data = yaml.safe_load((SCENARIOS / "majority-51-49.yaml").read_text())
    data["groups"][0]["reward"] = {"kind": "linear", "weights": {"language": 1}}
    with pytest.raises(ScenarioError) as raised:
        validate_scenario(data, "m.yaml")
    assert any(e.path == "groups[0].reward.kind" and "continuous space" in e.expected for e in raised.value.errors)


def test_shipped_budget_split() -> None:
    scenario = load_scenario(SCENARIOS / "budget-split.yaml")
    assert isinstance(scenario.space, ContinuousSpaceSpec) and scenario.space.total == 1
    assert scenario.space.size() == 1771  # shares of 4 lines in steps of 0.05
    assert "nvented" in scenario.source and scenario.description


def test_type_errors_are_located_without_pydantic_union_branches() -> None:
    data = mutated(lambda d: issue(0)(d).update(low="abc"))
    data["groups"][0]["reward"]["weights"]["a"] = "heavy"
    with pytest.raises(ScenarioError) as raised:
        validate_scenario(data, "split.yaml")
    paths = {e.path for e in raised.value.errors}
    assert {"space.issues[0].low", "groups[0].reward.weights.a"} <= paths, paths
