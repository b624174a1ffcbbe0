"""Synthetic comparisons from a scenario's own reward models, checked against utilities worked out by
hand from the scenario's points and against the Bradley-Terry probability in closed form."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from dialectic.preferences import PreferenceError, choice_probability, sample_comparisons
from dialectic.scenario import load_scenario
from dialectic.scenario._load import validate_scenario

from ..conftest import SCENARIOS

MAJORITY = SCENARIOS / "majority-51-49.yaml"


def _hand_utility(path: Path) -> dict[str, dict[str, float]]:
    """Group -> outcome key -> normalised utility, from the additive points in the file (no dialectic code)."""
    spec = yaml.safe_load(path.read_text())
    issues = spec["space"]["issues"]
    utilities = {}
    for group in spec["groups"]:
        points = group["reward"]["points"]
        totals = {}
        for choice in np.ndindex(*[len(i["options"]) for i in issues]):
            key = json.dumps({i["id"]: i["options"][k] for i, k in zip(issues, choice, strict=True)},
                             sort_keys=True, separators=(",", ":"))
            totals[key] = sum(points[i["id"]][k] for i, k in zip(issues, choice, strict=True))
        low, high = min(totals.values()), max(totals.values())
        utilities[group["id"]] = {k: (v - low) / (high - low) for k, v in totals.items()}
    return utilities


def _three_options(points: list[float]) -> dict:
    """A one-issue scenario with three options; group `g` scores them by `points`, group `h` reversed."""
    return validate_scenario({
        "name": "three", "space": {"issues": [{"id": "x", "options": ["a", "b", "c"]}]},
        "groups": [{"id": "g", "share": 0.5, "reward": {"kind": "additive", "points": {"x": points}},
                    "reservation": min(points)},
                   {"id": "h", "share": 0.5, "reward": {"kind": "additive", "points": {"x": points[::-1]}},
                    "reservation": min(points)}],
    }, "three.yaml")


def test_temperature_zero_always_picks_the_better_outcome() -> None:
    data = sample_comparisons(MAJORITY, {"majority": 6, "minority": 3}, 200, 0.0, seed=3)
    utility = _hand_utility(MAJORITY)
    assert data.item_kind == "outcome" and len(data) == 9 * 200 and data.group_names == ("majority", "minority")
    margins = []
    for a, c, r in zip(data.annotator, data.chosen, data.rejected, strict=True):
        u = utility[data.groups[a]]
        margins.append(u[data.items[c]] - u[data.items[r]])
    assert min(margins) >= 0  # never the worse one; exact ties (margin 0) go either way
    assert sum(m == 0 for m in margins) < len(margins) / 4


def test_temperature_zero_on_a_statement_pool() -> None:
    path = SCENARIOS / "polis-brexit-consensus.yaml"
    spec = yaml.safe_load(path.read_text())
    text = {s["id"]: s["text"] for s in spec["space"]["statements"]}
    scores = {g["id"]: {text[s]: v for s, v in g["reward"]["scores"].items()} for g in spec["groups"]}
    data = sample_comparisons(path, 4, 50, 0.0, seed=0)
    assert data.item_kind == "text" and set(data.items) <= set(text.values())
    for a, c, r in zip(data.annotator, data.chosen, data.rejected, strict=True):
        s = scores[data.groups[a]]
        assert s[data.items[c]] >= s[data.items[r]]


def test_ties_at_temperature_zero_are_a_fair_coin() -> None:
    scenario = _three_options([1.0, 1.0, 0.0])  # g: a and b tie
    data = sample_comparisons(scenario, {"g": 200}, 30, 0.0, seed=5)
    tie = {data.items.index('{"x":"a"}'), data.items.index('{"x":"b"}')}
    picked_a = [data.items[c] == '{"x":"a"}' for c, r in zip(data.chosen, data.rejected, strict=True)
                if {int(c), int(r)} == tie]
    assert len(picked_a) > 1000 and abs(np.mean(picked_a) - 0.5) < 4 * math.sqrt(0.25 / len(picked_a))


def test_high_temperature_is_near_a_coin_flip() -> None:
    data = sample_comparisons(MAJORITY, 50, 100, 100.0, seed=1)
    utility = _hand_utility(MAJORITY)
    better = [utility[data.groups[a]][data.items[c]] > utility[data.groups[a]][data.items[r]]
              for a, c, r in zip(data.annotator, data.chosen, data.rejected, strict=True)
              if utility[data.groups[a]][data.items[c]] != utility[data.groups[a]][data.items[r]]]
    # Largest |u(a) - u(b)| is 1, so P(better) <= sigmoid(1/100) ~ 0.5025.
    assert abs(np.mean(better) - 0.5) < 0.0025 + 4 * math.sqrt(0.25 / len(better))


def test_choice_rates_match_the_bradley_terry_probability() -> None:
    # g's points 4, 1, 0: utilities a = 1, b = 0.25, c = 0; h's 0, 1, 4: a = 0, b = 0.25, c = 1.
    scenario = _three_options([4.0, 1.0, 0.0])
    temperature = 0.5
    data = sample_comparisons(scenario, {"g": 100, "h": 100}, 100, temperature, seed=11)
    hand = {"g": {"a": 1.0, "b": 0.25, "c": 0.0}, "h": {"a": 0.0, "b": 0.25, "c": 1.0}}
    for group in ("g", "h"):
        for x, y in (("a", "b"), ("a", "c"), ("b", "c")):
            expected = 1 / (1 + math.exp(-(hand[group][x] - hand[group][y]) / temperature))
            wins = total = 0
            for a, c, r in zip(data.annotator, data.chosen, data.rejected, strict=True):
                pair = {json.loads(data.items[c])["x"], json.loads(data.items[r])["x"]}
                if data.groups[a] == group and pair == {x, y}:
                    total += 1
                    wins += json.loads(data.items[c])["x"] == x
            assert total > 2500
            assert abs(wins / total - expected) < 4 * math.sqrt(expected * (1 - expected) / total), (group, x, y)
    assert choice_probability(np.array([0.75]), 0.5)[0] == pytest.approx(1 / (1 + math.exp(-1.5)), abs=1e-15)


def test_the_same_seed_gives_the_same_data() -> None:
    first = sample_comparisons(MAJORITY, {"majority": 10, "minority": 1}, 20, 0.2, seed=7)
    again = sample_comparisons(load_scenario(MAJORITY), {"majority": 10, "minority": 1}, 20, 0.2, seed=7)
    other = sample_comparisons(MAJORITY, {"majority": 10, "minority": 1}, 20, 0.2, seed=8)
    assert first.sha256() == again.sha256() and first.groups == again.groups
    assert first.sha256() != other.sha256()
    assert first.annotators[:2] == ("majority-0", "majority-1") and first.annotators[-1] == "minority-0"
    assert first.groups.count("majority") == 10 and first.per_annotator.tolist() == [20] * 11


def test_bad_requests_are_refused() -> None:
    with pytest.raises(PreferenceError, match="space.kind: expected a discrete space or a statement pool"):
        sample_comparisons(SCENARIOS / "budget-split.yaml", 2, 5, 0.1, seed=0)
    with pytest.raises(PreferenceError, match="per_group: expected groups of the scenario"):
        sample_comparisons(MAJORITY, {"nobody": 3}, 5, 0.1, seed=0)
    with pytest.raises(PreferenceError, match="at least one annotator"):
        sample_comparisons(MAJORITY, 0, 5, 0.1, seed=0)
    with pytest.raises(PreferenceError, match="temperature: expected a finite number >= 0"):
        sample_comparisons(MAJORITY, 1, 5, -1.0, seed=0)
    with pytest.raises(PreferenceError, match="comparisons_per_annotator"):
        sample_comparisons(MAJORITY, 1, 0, 0.1, seed=0)
