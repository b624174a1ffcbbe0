"""Bad scenario files give a clear error (file, field path, expected, found; exit 2), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dialectic.cli import app
from tests.conftest import SCENARIOS

runner = CliRunner()
GOOD = yaml.safe_load((SCENARIOS / "majority-51-49.yaml").read_text())


def _write(tmp_path: Path, data: object, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def _mutated(edit: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    edit(data)  # type: ignore[operator]
    return data


CASES = {
    "missing field": (lambda d: d["groups"][1].pop("reservation"), "groups[1].reservation", "required"),
    "wrong type": (lambda d: d["groups"][0].__setitem__("share", "half"), "groups[0].share", "'half'"),
    "unknown key": (lambda d: d["groups"][0].__setitem__("reservaton", 3), "groups[0].reservaton", "unknown keys"),
    "unknown option": (
        lambda d: d["opening"]["proposal"].__setitem__("budget", "castles"), "opening.proposal.budget", "'castles'"),
    "shares not summing to 1": (lambda d: d["groups"][0].__setitem__("share", 0.61), "groups[*].share", "summing to 1"),
    "reservation unreachable": (
        lambda d: d["groups"][1].__setitem__("reservation", 101), "groups[1].reservation", "reachable"),
    "points per option": (
        lambda d: d["groups"][0]["reward"]["points"].__setitem__("budget", [1, 2]), "groups[0].reward.points.budget",
        "one number per option"),
    "unknown reward kind": (lambda d: d["groups"][0]["reward"].__setitem__("kind", "magic"), "groups[0].reward", "magic"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_names_file_field_expected_found(case: str, tmp_path: Path) -> None:
    edit, field, words = CASES[case]
    path = _write(tmp_path, _mutated(edit))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error")]
    assert lines, result.output
    assert any(str(path) in line and field in line and words in line and "expected" in line and "found" in line
               for line in lines), result.output


def test_every_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    def two_mistakes(d: dict) -> None:
        d["groups"][0]["share"] = 0.7
        d["groups"][1]["reservation"] = 500

    result = runner.invoke(app, ["validate", str(_write(tmp_path, _mutated(two_mistakes)))])
    assert result.exit_code == 2
    assert "groups[*].share" in result.output and "groups[1].reservation" in result.output


def test_yaml_syntax_and_not_a_mapping(tmp_path: Path) -> None:
    broken = _write(tmp_path, "name: [unclosed\n", "syntax.yaml")
    listing = _write(tmp_path, "- 1\n- 2\n", "list.yaml")
    result = runner.invoke(app, ["validate", str(broken), str(listing)])
    assert result.exit_code == 2
    assert "syntax.yaml: line" in result.output and "list.yaml" in result.output


def test_nothing_in_a_file_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = _write(tmp_path, f"name: !!python/object/apply:os.system ['touch {marker}']\n", "evil.yaml")
    result = runner.invoke(app, ["validate", str(evil)])
    assert result.exit_code == 2 and not marker.exists()


def test_good_files_pass_and_exit_zero() -> None:
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == len(files)


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, _mutated(lambda d: d.pop("groups")))
    done = subprocess.run([sys.executable, "-m", "dialectic", "validate", str(path)], check=False,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "groups" in done.stderr


POOL = yaml.safe_load((SCENARIOS / "polis-brexit-consensus.yaml").read_text())


def test_statement_pool_errors_are_located(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(POOL))
    data["groups"][0]["reward"]["scores"].pop("c0")
    data["opening"]["proposal"] = "c999"
    result = runner.invoke(app, ["validate", str(_write(tmp_path, data))])
    assert result.exit_code == 2
    assert "groups[0].reward.scores" in result.output and "missing ['c0']" in result.output
    assert "opening.proposal.statement" in result.output and "'c999'" in result.output


def test_statement_scores_in_a_discrete_space_are_refused(tmp_path: Path) -> None:
    data = _mutated(lambda d: d["groups"][0].__setitem__("reward", {"kind": "statements", "scores": {"x": 1}}))
    result = runner.invoke(app, ["validate", str(_write(tmp_path, data))])
    assert result.exit_code == 2 and "statement-pool space" in result.output
