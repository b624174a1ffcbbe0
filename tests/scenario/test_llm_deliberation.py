"""The LLM-Deliberation importer: real games (S-Abdelnabi/LLM-Deliberation, MIT licence), a synthetic game
in a third text layout, and every kind of broken input raising a ScenarioError that names the file."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dialectic.scenario import Scenario, ScenarioError, load_scenario
from dialectic.scenario.importers import import_llm_deliberation, write_scenario_yaml

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("DIALECTIC_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data")) / "llm-deliberation"
needs_data = pytest.mark.skipif(not (DATA / "base").is_dir(), reason=f"LLM-Deliberation data not at {DATA}")
SHIPPED = [("base", "harbour-sport-park"), ("game1", "island-airport")]


def deal_scores(scenario: Scenario) -> tuple[list[tuple[int, ...]], dict[str, list[float]]]:
    """Every deal (one option index per issue) and each group's summed points for it, by plain enumeration."""
    issues = scenario.space.issues
    deals = list(itertools.product(*(range(len(issue.options)) for issue in issues)))
    scores: dict[str, list[float]] = {}
    for group in scenario.groups:
        points = group.reward.points  # type: ignore[union-attr]
        scores[group.id] = [sum(points[issue.id][k] for issue, k in zip(issues, deal)) for deal in deals]
    return deals, scores


def passes_original_rule(scenario: Scenario, scores: dict[str, list[float]], d: int) -> bool:
    accepting = {g.id for g in scenario.groups if scores[g.id][d] >= g.reservation}
    vetoes = {g.id for g in scenario.groups if g.veto}
    assert scenario.agreement.min_accept == len(scenario.groups) - 1
    return len(accepting) >= scenario.agreement.min_accept and vetoes <= accepting


@pytest.fixture(scope="module")
def base() -> Scenario:
    if not (DATA / "base").is_dir():
        pytest.skip(f"LLM-Deliberation data not at {DATA}")
    return import_llm_deliberation(DATA / "base", name="harbour-sport-park")


def test_base_reproduces_published_counts(base: Scenario) -> None:
    deals, scores = deal_scores(base)
    assert len(deals) == 720
    assert {g.id for g in base.groups if g.veto} == {"SportCo", "DoT"}
    passing = [d for d in range(len(deals)) if passes_original_rule(base, scores, d)]
    everyone = [d for d in range(len(deals)) if all(scores[g.id][d] >= g.reservation for g in base.groups)]
    assert (len(passing), len(everyone)) == (55, 12)


def test_base_reproduces_published_worst_off_utilities(base: Scenario) -> None:
    deals, scores = deal_scores(base)
    normalised = {
        gid: [(s - min(values)) / (max(values) - min(values)) for s in values]
        for gid, values in scores.items()
    }
    worst_off = [min(normalised[g][d] for g in normalised) for d in range(len(deals))]
    best = max(range(len(deals)), key=worst_off.__getitem__)
    assert round(worst_off[best], 2) == 0.55
    passing = [d for d in range(len(deals)) if passes_original_rule(base, scores, d)]
    assert round(max(worst_off[d] for d in passing), 2) == 0.51
    # The 0.55 deal falls below the Department of Tourism's threshold, and the Department holds a veto.
    assert scores["DoT"][best] < base.group("DoT").reservation


def test_base_structure(base: Scenario) -> None:
    issues = base.space.issues
    assert [i.name for i in issues] == [
        "Infrastructure Mix", "Ecological Impact", "Employment Rules", "Federal Loan",
        "Compensation to other cities",
    ]
    assert [i.id for i in issues] == list("ABCDE")
    assert issues[0].options == ["A1", "A2", "A3"] and issues[4].options == [f"E{k}" for k in range(1, 6)]
    assert issues[0].option_names == ["water-based", "water/land-based", "land-based"]
    assert issues[2].option_names is not None and issues[2].option_names[3] == "No Union preference"
    assert issues[3].option_names == ["$3 billion", "$2 billion", "$1 billion", "no federal loan"]
    assert all(len(name) <= 60 for i in issues for name in i.option_names or [])
    assert base.group_ids == ["mayor", "other_cities", "union", "SportCo", "DoT", "enviroment"]
    assert base.group("DoT").name == "Department of Tourism"
    assert math.isclose(sum(g.share for g in base.groups), 1.0, abs_tol=1e-6)
    assert base.group("SportCo").reward.points["D"] == [35, 29, 20, 0]  # type: ignore[union-attr]
    assert [g.reservation for g in base.groups] == [30, 31, 50, 55, 65, 55]
    assert (base.agreement.rule, base.agreement.min_accept) == ("quorum", 5)
    assert (base.rounds, base.epsilon) == (24, 0)
    assert base.opening is not None and base.opening.speaker == "SportCo"
    assert base.opening.proposal == {"A": "A1", "B": "B1", "C": "C4", "D": "D1", "E": "E5"}
    assert "Harbour Sport Park" in base.description and "LLM-Deliberation" in base.source


def test_base_personas_have_points_filled_in(base: Scenario) -> None:
    for group in base.groups:
        assert group.persona and "#" not in group.persona, group.id
    assert "Issue D (max score 35): D1 (35), D2(29), D3 (20), D4 (0)" in base.group("SportCo").persona
    assert "Issue B (max score 0): B1 (0), B2 (0), B3 (0)" in base.group("union").persona


@needs_data
def test_incentive_argument_overrides_config_with_fallback() -> None:
    scenario = import_llm_deliberation(DATA / "base", incentive="targeted_adv")
    assert scenario.name == "base"
    wanted = (DATA / "base/individual_instructions/targeted_adv/enviroment.txt").read_text().strip()
    assert scenario.group("enviroment").persona.splitlines()[0] == wanted.splitlines()[0].strip()
    fallback = (DATA / "base/individual_instructions/cooperative/mayor.txt").read_text()
    assert scenario.group("mayor").persona.splitlines()[-1] == fallback.strip().splitlines()[-1].strip()


@needs_data
def test_game1_imports() -> None:
    scenario = import_llm_deliberation(DATA / "game1", name="island-airport")
    assert [i.name for i in scenario.space.issues] == [
        "Location", "Budget", "The environmental measures", "The social impact assessment",
        "The profit-sharing scheme",
    ]
    assert scenario.space.issues[1].option_names == [
        "very low budget of $300 million", "low budget of $500 million",
        "moderate budget of $800 million", "high budget of $1.2 billion",
    ]
    assert scenario.space.issues[0].option_names == [
        "A coastal area near the capital city", "A midland city",
        "An artificial island in the southern region",
    ]
    assert scenario.space.size() == 3 * 4 * 4 * 5 * 3
    assert {g.id for g in scenario.groups if g.veto} == {"proposing", "bank"}
    assert scenario.opening is not None and scenario.opening.speaker == "proposing"
    assert scenario.group("community").name == "indigenous community"
    assert all("#" not in g.persona for g in scenario.groups)


@needs_data
@pytest.mark.parametrize(("folder", "name"), SHIPPED)
def test_shipped_yaml_equals_fresh_import(folder: str, name: str, tmp_path: Path) -> None:
    shipped = REPO / "scenarios" / f"{name}.yaml"
    fresh = import_llm_deliberation(DATA / folder, name=name)
    assert load_scenario(shipped) == fresh
    write_scenario_yaml(fresh, tmp_path / "fresh.yaml")
    assert shipped.read_text(encoding="utf-8") == (tmp_path / "fresh.yaml").read_text(encoding="utf-8")
    assert "S-Abdelnabi/LLM-Deliberation" in shipped.read_text().splitlines()[0]


# A synthetic three-party game, its global instructions in a third layout (markdown headings, `A1)` options).
GLOBAL = """# Town garden

The council of a small town must decide on a new community garden.
Three parties negotiate over it:

## Issue A - Size of the garden
* A1) Small plot, near the school
* A2) Large plot at the old depot

## Issue B: Watering
* B1. Rain barrels only
* B2. Mains water
* B3. Drip irrigation with sensors ==> costly but thrifty with water
"""
CONFIG = (
    "Town Council, council, p1, cooperative, m\n"
    "Garden Club, club, p2, cooperative, m\n"
    "Neighbours, hood, player, greedy, m\n"
)
SCORES = {
    "council": "10, 0\n0, 5, 8\n4, 0\n12\n",
    "club": "0, 20\n10, 5, 0\n0, 3\n20\n",
    "hood": "5, 5\n0, 10, 10\n0, 6\n11\n",
}


def make_game(root: Path) -> Path:
    game = root / "garden"
    (game / "scores_files").mkdir(parents=True)
    (game / "individual_instructions" / "cooperative").mkdir(parents=True)
    (game / "config.txt").write_text(CONFIG)
    (game / "global_instructions.txt").write_text(GLOBAL)
    (game / "initial_deal.txt").write_text("A1, B2, C1\n")
    for party, text in SCORES.items():
        (game / "scores_files" / f"{party}.txt").write_text(text)
        (game / "individual_instructions" / "cooperative" / f"{party}.txt").write_text(
            f"You are {party}.\nIssue A (max score #A_MAX_NUM): A1 (#A1_NUM), A2 (#A2_NUM)\t\nC2: #C2_NUM\n"
        )
    return game


def test_synthetic_game_in_third_layout(tmp_path: Path) -> None:
    scenario = import_llm_deliberation(make_game(tmp_path))
    assert scenario.name == "garden"
    assert [i.name for i in scenario.space.issues] == ["Size of the garden", "Watering", "Issue C"]
    names = [i.option_names for i in scenario.space.issues]
    assert names == [
        ["Small plot, near the school", "Large plot at the old depot"],
        ["Rain barrels only", "Mains water", "Drip irrigation with sensors"],
        ["C1", "C2"],
    ]
    assert scenario.description == "The council of a small town must decide on a new community garden."
    assert scenario.group("hood").persona == "You are hood.\nIssue A (max score 5): A1 (5), A2 (5)\nC2: 6"
    assert scenario.group("club").reward.points["B"] == [10, 5, 0]  # type: ignore[union-attr]
    assert [g.veto for g in scenario.groups] == [True, True, False]
    assert (scenario.agreement.rule, scenario.agreement.min_accept) == ("quorum", 2)
    assert scenario.opening is not None and scenario.opening.speaker == "council"
    assert scenario.opening.proposal == {"A": "A1", "B": "B2", "C": "C1"}
    assert math.isclose(sum(g.share for g in scenario.groups), 1.0, abs_tol=1e-6)
    write_scenario_yaml(scenario, tmp_path / "out.yaml")
    assert load_scenario(tmp_path / "out.yaml") == scenario


def test_incentive_folder_chosen_by_argument(tmp_path: Path) -> None:
    game = make_game(tmp_path)
    (game / "individual_instructions" / "greedy").mkdir()
    (game / "individual_instructions" / "greedy" / "club.txt").write_text("Greedy club, best B #B_MAX_NUM.")
    scenario = import_llm_deliberation(game, incentive="greedy", name="garden-greedy")
    assert scenario.group("club").persona == "Greedy club, best B 10."
    assert scenario.group("council").persona.startswith("You are council.")


def _edit(relative: str, text: str | None) -> Callable[[Path], None]:
    def apply(game: Path) -> None:
        if text is None:
            (game / relative).unlink()
        else:
            (game / relative).write_text(text)
    return apply


BROKEN = {
    "missing config": ("config.txt", _edit("config.txt", None)),
    "missing scores": ("scores_files/hood.txt", _edit("scores_files/hood.txt", None)),
    "missing global instructions": ("global_instructions.txt", _edit("global_instructions.txt", None)),
    "missing initial deal": ("initial_deal.txt", _edit("initial_deal.txt", None)),
    "missing persona everywhere": (
        "individual_instructions/greedy/hood.txt",
        _edit("individual_instructions/cooperative/hood.txt", None),
    ),
    "scores line with the wrong count": (
        "scores_files/club.txt", _edit("scores_files/club.txt", SCORES["club"].replace("10, 5, 0", "10, 5")),
    ),
    "non-numeric points": (
        "scores_files/club.txt", _edit("scores_files/club.txt", "0, lots\n1, 2, 3\n0, 3\n20\n"),
    ),
    "non-numeric reservation": (
        "scores_files/hood.txt", _edit("scores_files/hood.txt", "5, 5\n0, 10, 10\n0, 6\nhigh\n"),
    ),
    "fewer issues than the others": (
        "scores_files/hood.txt", _edit("scores_files/hood.txt", "5, 5\n0, 6, 1\n11\n"),
    ),
    "config line with four fields": ("config.txt", _edit("config.txt", CONFIG.replace("Neighbours, ", ""))),
    "unknown role": ("config.txt", _edit("config.txt", CONFIG.replace("player", "observer"))),
    "two proposers": ("config.txt", _edit("config.txt", CONFIG.replace("p2", "p1"))),
    "unknown option in deal": ("initial_deal.txt", _edit("initial_deal.txt", "A1,B7,C1")),
    "issue missing from deal": ("initial_deal.txt", _edit("initial_deal.txt", "A1,B2")),
    "placeholder for unknown issue": (
        "individual_instructions/cooperative/club.txt",
        _edit("individual_instructions/cooperative/club.txt", "Score #F1_NUM and #WHAT_NUM"),
    ),
    "unreachable reservation": ("", _edit("scores_files/hood.txt", "5, 5\n0, 10, 10\n0, 6\n99\n")),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_game_raises_scenario_error_naming_the_file(case: str, tmp_path: Path) -> None:
    expected_file, breaks = BROKEN[case]
    game = make_game(tmp_path)
    breaks(game)
    with pytest.raises(ScenarioError) as caught:
        import_llm_deliberation(game)
    files = {error.file for error in caught.value.errors}
    assert str(game / expected_file) in files, str(caught.value)
    assert all(error.expected and error.found for error in caught.value.errors), str(caught.value)


def test_missing_folder_raises_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such folder"):
        import_llm_deliberation(tmp_path / "nowhere")
