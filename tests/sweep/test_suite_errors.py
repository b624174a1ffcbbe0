"""A suite naming a missing scenario or card, a glob matching nothing, or an override that does not fit is a
located error (file, field path, expected, found) raised before anything runs: no store, no trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.suite import SuiteError, load_suite, seed_list
from dialectic.suite._schema import SeedRange
from dialectic.sweep import run_suite
from tests.conftest import ROOT
from tests.sweep.support import write_suite

MAJORITY = "scenarios/majority-51-49.yaml"


def _errors(tmp_path: Path, entries: list[dict[str, Any]], **extra: Any) -> list[str]:
    suite = write_suite(tmp_path, entries, **extra)
    out = tmp_path / "out"
    with pytest.raises(SuiteError) as caught:
        run_suite(suite, out)
    assert not out.exists(), "a bad suite must stop before the store is made"
    return [str(e) for e in caught.value.errors]


def test_a_missing_scenario_file_is_located(tmp_path: Path) -> None:
    [error] = _errors(tmp_path, [{"scenarios": [MAJORITY, "scenarios/nowhere.yaml"], "strategies": ["conceder"]}])
    assert error.startswith(f"{tmp_path / 't.yaml'}: entries[0].scenarios[1]: expected a scenario file")
    assert "'scenarios/nowhere.yaml': no such file" in error


def test_a_glob_matching_nothing_is_located(tmp_path: Path) -> None:
    [error] = _errors(tmp_path, [{"scenarios": ["scenarios/no-such-*.yaml"], "strategies": ["conceder"]}])
    assert "entries[0].scenarios[0]: expected a glob matching scenario files" in error
    assert "which matches nothing" in error


def test_a_missing_card_a_missing_card_file_and_a_bad_selector_are_located(tmp_path: Path) -> None:
    errors = _errors(tmp_path, [{"scenarios": [MAJORITY], "strategies": ["conceder", "no-such-card"]},
                                {"scenarios": [MAJORITY], "strategies": ["cards/gone.yaml", "@everything"]}])
    assert len(errors) == 3
    assert "entries[0].strategies[1]: expected a strategy card (" in errors[0] and "'no-such-card'" in errors[0]
    assert "entries[1].strategies[0]: expected a strategy card file" in errors[1] and "no such file" in errors[1]
    assert "entries[1].strategies[1]: expected a card name, a card file or a selector (@rational, @llm)" in errors[2]


def test_a_bad_card_file_is_located_in_the_card(tmp_path: Path) -> None:
    card = tmp_path / "broken.yaml"
    card.write_text("name: broken\ndescription: x\ncast: {default: no-such-policy}\n", encoding="utf-8")
    [error] = _errors(tmp_path, [{"scenarios": [MAJORITY], "strategies": [str(card)]}])
    assert error.startswith(f"{card}: cast.default.policy: expected a registered policy")


def test_bad_overrides_are_located(tmp_path: Path) -> None:
    errors = _errors(tmp_path, [{"scenarios": [MAJORITY], "strategies": ["conceder"],
                                 "agents": {"nobody": "hardliner", "majority": "no-such-policy"}},
                                {"scenarios": [MAJORITY], "strategies": ["conceder"],
                                 "agents": {"majority": "max-min"}}])
    assert len(errors) == 3, errors
    assert "entries[0].agents.nobody: expected a group id of every scenario of the entry (majority-51-49.yaml: " \
           "majority, minority)" in errors[0]
    assert "entries[0].agents.majority: expected a registered policy" in errors[1]
    assert "'no-such-policy'" in errors[1]
    assert "a mediator is not an agent policy" in errors[2] and "entries[1].agents.majority" in errors[2]


@pytest.mark.parametrize(("field", "value", "where", "expected"), [
    ("seeds", 0, "seeds", "a number of seeds n >= 1"),
    ("seeds", [], "seeds", "a non-empty list of seeds"),
    ("seeds", {"start": 2}, "seeds", "{start: s, count: n}"),
    ("rounds", 0, "entries[0].rounds", "greater than or equal to 1"),
    ("colour", "red", "entries[0].colour", "no such key"),
])
def test_bad_fields_are_located(tmp_path: Path, field: str, value: Any, where: str, expected: str) -> None:
    entry: dict[str, Any] = {"scenarios": [MAJORITY], "strategies": ["conceder"]}
    extra: dict[str, Any] = {}
    if field == "seeds":
        extra["seeds"] = value
    else:
        entry[field] = value
    errors = _errors(tmp_path, [entry], **extra)
    assert any(f": {where}: expected " in e and expected in e for e in errors), errors


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    errors = _errors(tmp_path, [{"scenarios": ["scenarios/none-*.yaml"], "strategies": ["nope"]},
                                {"scenarios": [MAJORITY], "strategies": ["conceder"], "agents": {"x": "hardliner"}}])
    assert [e.split(": ")[1] for e in errors] == ["entries[0].scenarios[0]", "entries[0].strategies[0]",
                                                  "entries[1].agents.x"]


def test_the_command_prints_located_errors_and_exits_2(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [{"scenarios": ["scenarios/nowhere-*.yaml"], "strategies": ["conceder"]}])
    result = CliRunner().invoke(app, ["bench", "run", str(suite), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "entries[0].scenarios[0]: expected a glob matching scenario files" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(app, ["bench", "run", "no-such-suite"])
    assert missing.exit_code == 2 and "expected a suite file, or the name of one in eval/suites/" in missing.output


def test_selectors_globs_and_seeds_resolve(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, [
        {"scenarios": ["scenarios/*.yaml"], "exclude": ["scenarios/served-*.yaml", "scenarios/polis-*.yaml"],
         "strategies": ["@rational"], "seeds": {"start": 5, "count": 2}},
        {"scenarios": [MAJORITY], "strategies": ["@llm"], "rounds": 3, "seeds": [4, 1, 4]}]))
    from dialectic.strategies import card_names, load_card

    rational = [n for n in card_names() if not load_card(n).needs_chat]
    llm = [n for n in card_names() if load_card(n).needs_chat]
    first = [c for c in suite.cells if c.entry == 0]
    files = sorted({c.scenario_file.name for c in first})
    assert "served-waterfront.yaml" not in files and not any(f.startswith("polis-") for f in files)
    assert "majority-51-49.yaml" in files and "harbour-sport-park.yaml" in files
    assert len(first) == len(files) * len(rational) and {c.card.name for c in first} == set(rational)
    assert all(c.seeds == (5, 6) for c in first)
    second = [c for c in suite.cells if c.entry == 1]
    # a card a selector picks but that cannot play the scenario (free views on a discrete space) is left out
    from dialectic.scenario import ScenarioError, load_scenario

    def fits(name: str) -> bool:
        try:
            load_card(name).check_on(load_scenario(ROOT / MAJORITY))
        except ScenarioError:
            return False
        return True

    assert "llm-free" in llm and not fits("llm-free")
    assert {c.card.name for c in second} == {n for n in llm if fits(n)}
    assert all(c.scenario.rounds == 3 for c in second)
    assert all(c.seeds == (4, 1) for c in second)
    assert seed_list(3) == [0, 1, 2] and seed_list(SeedRange(start=2, count=2)) == [2, 3]


def test_the_shipped_suites_resolve() -> None:
    smoke = load_suite("smoke")
    assert smoke.runs == 18
    core = load_suite("core")
    assert not any(c.scenario_file.name.startswith("served-") for c in core.cells)
    assert all(len(c.seeds) == 20 for c in core.cells)
    llm = load_suite("llm")
    assert llm.cells and all(c.needs_chat and c.served for c in llm.cells)
