"""Numbers in a scenario are finite and bounded (|x| <= MAX_MAGNITUDE): NaN, inf, -inf and overflowing
values in rewards, reservations, shares, reward parameters and continuous bounds are located errors, so
`dialectic validate` and `dialectic run` exit 2 naming the file and the field, and no verdict is ever
computed from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from dialectic.cli import app
from dialectic.scenario import MAX_MAGNITUDE
from tests.conftest import SCENARIOS

runner = CliRunner()

#: YAML spellings of the bad numbers, written into the file as text (so the YAML loader reads them as a
#: user's file would: `.nan` and `.inf` are floats, `1e308` without a dot is read as text and turned into
#: a number by the schema).
BAD = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf", "1e308": "1e308", "1.0e+308": "1.0e+308", "2e15": "2.0e+15"}
FOUND = {"nan": "nan", "inf": "inf", "-inf": "-inf", "1e308": "1e308", "1.0e+308": "1e+308", "2e15": "2e+15"}

MARK = "__BAD__"


def _file(tmp_path: Path, scenario: str, edit: Callable[[dict[str, Any]], None], bad: str) -> Path:
    """`scenario` with one value replaced by MARK, then MARK by the bad number's YAML spelling."""
    data = yaml.safe_load((SCENARIOS / scenario).read_text())
    edit(data)
    text = yaml.safe_dump(data, sort_keys=False).replace(f"'{MARK}'", BAD[bad]).replace(MARK, BAD[bad])
    assert BAD[bad] in text
    path = tmp_path / f"bad-{scenario}"
    path.write_text(text)
    return path


def _set(*keys: str | int) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = MARK

    return edit


def _located(result: Result, path: Path, field: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error")]
    assert any(str(path) in line and f"{field}:" in line and "finite number" in line for line in lines), (
        field, result.output)


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e308"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_points_exit_2_from_validate_and_run(bad: str, command: str, tmp_path: Path) -> None:
    path = _file(tmp_path, "majority-51-49.yaml", _set("groups", 1, "reward", "points", "budget", 2), bad)
    args = [command, str(path)] + (["--out", str(tmp_path / "runs")] if command == "run" else [])
    result = runner.invoke(app, args)
    _located(result, path, "groups[1].reward.points.budget[2]")
    assert f"found {FOUND[bad]}" in result.output or f"found '{FOUND[bad]}'" in result.output, result.output
    assert not (tmp_path / "runs").exists()  # nothing ran


#: (scenario, the value to spoil, the field path the error must name)
FIELDS: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "reservation": ("majority-51-49.yaml", _set("groups", 0, "reservation"), "groups[0].reservation"),
    "statement score": ("polis-brexit-consensus.yaml", _set("groups", 1, "reward", "scores", "c0"),
                        "groups[1].reward.scores.c0"),
    "quadratic weight": ("budget-split.yaml", _set("groups", 0, "reward", "weights", "transit"),
                         "groups[0].reward.weights.transit"),
    "quadratic ideal": ("budget-split.yaml", _set("groups", 2, "reward", "ideal", "parks"),
                        "groups[2].reward.ideal.parks"),
    "continuous low": ("budget-split.yaml", _set("space", "issues", 1, "low"), "space.issues[1].low"),
    "continuous high": ("budget-split.yaml", _set("space", "issues", 1, "high"), "space.issues[1].high"),
    "continuous step": ("budget-split.yaml", _set("space", "issues", 0, "step"), "space.issues[0].step"),
    "continuous total": ("budget-split.yaml", _set("space", "total"), "space.total"),
}


@pytest.mark.parametrize("bad", ["nan", "-inf", "1.0e+308", "2e15"])
@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_number_that_enters_a_reward_is_checked(name: str, bad: str, tmp_path: Path) -> None:
    scenario, edit, field = FIELDS[name]
    path = _file(tmp_path, scenario, edit, bad)
    _located(runner.invoke(app, ["validate", str(path)]), path, field)


def test_linear_and_table_rewards_are_checked(tmp_path: Path) -> None:
    data = yaml.safe_load((SCENARIOS / "budget-split.yaml").read_text())
    data["groups"][0]["reward"] = {"kind": "linear", "weights": {"parks": 1, "transit": MARK}, "constant": 0}
    data["groups"][1]["reward"] = {"kind": "linear", "weights": {"parks": 1}, "constant": MARK}
    path = tmp_path / "linear.yaml"
    path.write_text(yaml.safe_dump(data).replace(f"'{MARK}'", ".nan").replace(MARK, ".nan"))
    result = runner.invoke(app, ["validate", str(path)])
    _located(result, path, "groups[0].reward.weights.transit")
    _located(result, path, "groups[1].reward.constant")

    planted = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "traces" / "planted.yaml").read_text())
    planted["groups"][0]["reward"] = {"kind": "table", "default": MARK,
                                      "entries": [{"outcome": {"X": "x0", "Y": "y0"}, "reward": MARK}]}
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(planted).replace(f"'{MARK}'", ".inf").replace(MARK, ".inf"))
    result = runner.invoke(app, ["validate", str(path)])
    _located(result, path, "groups[0].reward.entries[0].reward")
    _located(result, path, "groups[0].reward.default")


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_share_must_be_finite(bad: str, tmp_path: Path) -> None:
    path = _file(tmp_path, "majority-51-49.yaml", _set("groups", 0, "share"), bad)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "groups[0].share" in result.output and str(path) in result.output


def test_the_limit_itself_is_allowed(tmp_path: Path) -> None:
    data = yaml.safe_load((SCENARIOS / "majority-51-49.yaml").read_text())
    data["groups"][0]["reward"]["points"]["language"] = [MAX_MAGNITUDE, 0.0, -MAX_MAGNITUDE]
    data["groups"][0]["reservation"] = 0.0
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
