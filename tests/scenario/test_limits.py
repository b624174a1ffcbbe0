"""Bounded input (issue 12): every case a new user found, reproduced through the command line. A limit
breach is a located error naming the limit, the error output is bounded, and what validates can run or
`validate` says why not. The hang guards below are generous (seconds where the bug took minutes): they
catch a return to unbounded work, they do not measure speed."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.scenario import ScenarioError, load_scenario, read_yaml
from dialectic.scenario._bounded import LIMITS, Limits, load_yaml, short_repr
from tests.conftest import SCENARIOS

runner = CliRunner()
HARBOUR = SCENARIOS / "harbour-sport-park.yaml"


def laughs(levels: int = 9) -> str:
    """The "billion laughs" file of the report: nine levels of nine aliases (9^9 strings once expanded)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join([*lines, f"name: *a{levels - 1}", ""])


def harbour_with_issues(n: int) -> str:
    """The Harbour game with its issues replaced by ``n`` two-option ones (written as text: dumping 560,000
    issues with PyYAML takes the better part of a minute)."""
    data = yaml.safe_load(HARBOUR.read_text(encoding="utf-8"))
    data["space"] = {"kind": "discrete", "issues": "ISSUES"}
    issues = "".join(f"\n  - id: issue{i}\n    options: [a, b]" for i in range(n))
    return yaml.safe_dump(data).replace("issues: ISSUES", "issues:" + issues, 1)


def _validate(path: Path) -> tuple[int, str, float, int]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    result = runner.invoke(app, ["validate", str(path)])
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return result.exit_code, result.output, time.monotonic() - start, grown_kib


def test_billion_laughs_is_refused_by_the_alias_limit(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(), encoding="utf-8")
    code, output, seconds, grown_kib = _validate(path)
    assert code == 2
    assert str(path) in output and "limit nodes" in output and "aliases" in output
    assert seconds < 10 and grown_kib < 200_000  # the report: 75 s and 3.1 GB
    # Below the limit the same shape loads: the limit is on the expanded size, not on aliases as such.
    small = load_yaml(laughs(3))["name"]
    assert len(small) == 9 and len(small[0]) == 9 and small[0][0] == ["lol"] * 9


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "issues.yaml"
    path.write_text(harbour_with_issues(560_000), encoding="utf-8")  # ~27 MB, the report's 560,000 issues
    assert path.stat().st_size > LIMITS.file_bytes
    code, output, seconds, _ = _validate(path)
    assert code == 2 and len(output.splitlines()) == 1
    assert "limit file_bytes" in output and f"{path.stat().st_size:,} bytes" in output
    assert seconds < 10  # the report: 135 s and 3.7 GB


def test_error_output_is_bounded(tmp_path: Path) -> None:
    """20,000 issues that no group scores: the errors name the missing issues, cut with a count (the report:
    one 100 KB line)."""
    path = tmp_path / "issues.yaml"
    path.write_text(harbour_with_issues(20_000), encoding="utf-8")
    code, output, _, _ = _validate(path)
    assert code == 2
    lines = output.splitlines()
    assert lines and all(len(line) < 1_000 for line in lines)
    assert "more characters)" in output and "issue0" in output


def test_many_errors_are_counted_not_all_printed(tmp_path: Path) -> None:
    data = yaml.safe_load(HARBOUR.read_text(encoding="utf-8"))
    data["groups"] = [{**g, f"unknown{k}": 1} for g in data["groups"] for k in range(10)][:60]
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert len(caught.value.errors) > 25  # every problem is kept on the exception
    code, output, _, _ = _validate(path)
    assert code == 2 and len(output.splitlines()) == 26
    assert output.splitlines()[-1].startswith(f"error ... and {len(caught.value.errors) - 25:,} more errors")


@pytest.mark.parametrize(("text", "limit"), [
    ("x: " + "[" * 100 + "]" * 100 + "\n", "limit depth"),
    ("x: " + "a" * 1_100_000 + "\n", "limit string"),
    ("x: [" + ", ".join(["1"] * 100_001) + "]\n", "limit items"),
])
def test_each_limit_is_named_with_its_line(tmp_path: Path, text: str, limit: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        read_yaml(path)
    [error] = caught.value.errors
    assert error.file == str(path) and error.path.startswith("line 1") and limit in error.expected


def test_limits_can_be_set_per_reader(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("x: [1, 2, 3]\n", encoding="utf-8")
    assert read_yaml(path) == {"x": [1, 2, 3]}
    with pytest.raises(ScenarioError, match="limit items"):
        read_yaml(path, Limits(items=2))
    with pytest.raises(ScenarioError, match="limit file_bytes"):
        read_yaml(path, Limits(file_bytes=5))


def test_non_utf8_bytes_are_located_in_validate_and_run(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HARBOUR.read_bytes().replace(b"name: harbour-sport-park", b"name: caf\xe9", 1))
    for args in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "runs")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"{path}: line " in result.output and "expected UTF-8 text, found byte 0xe9" in result.output


def test_yaml_tags_construct_no_python_objects(tmp_path: Path) -> None:
    path = tmp_path / "tag.yaml"
    path.write_text("x: !!python/object/apply:os.system ['touch pwned']\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="valid YAML"):
        read_yaml(path)
    assert not Path("pwned").exists()


def test_found_values_are_bounded_whatever_their_size() -> None:
    huge = [[list(range(10**5))] * 10**3] * 10**3  # shared lists: a billion ints if repr() walked them
    text = short_repr(huge)
    assert len(text) < 200 and text.startswith("[[[")
    assert len(short_repr("x" * 10**7)) < 200


def test_validate_says_which_spaces_no_strategy_can_run(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    result = runner.invoke(app, ["scenario", "generate", "--issues", "12", "--options", "10", "--seed", "1",
                                 "--reservation", "0.3", "-o", str(big)])
    assert result.exit_code == 0, result.output
    validated = runner.invoke(app, ["validate", str(big)])
    assert validated.exit_code == 0
    assert "1,000,000,000,000 outcomes" in validated.output and "no strategy can run it" in validated.output
    ran = runner.invoke(app, ["run", str(big), "--strategy", "max-min", "--out", str(tmp_path / "runs")])
    assert ran.exit_code == 2
    assert f"{big}: space: expected at most 5,000,000 outcomes" in ran.output and "ENUMERATION_LIMIT" in ran.output
    plain = runner.invoke(app, ["validate", str(HARBOUR)])
    assert plain.exit_code == 0 and "no strategy can run" not in plain.output


def test_an_unwritable_out_is_a_located_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["run", str(HARBOUR), "--out", str(blocker / "runs")])
    assert result.exit_code == 2
    assert "--out: expected a folder this process can write to" in result.output
    assert "Traceback" not in result.output


def test_cli_polish() -> None:
    from dialectic import __version__

    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"dialectic {__version__}"
    seed = runner.invoke(app, ["run", str(HARBOUR), "--seed", "-5"])
    assert seed.exit_code == 2 and "--seed" in seed.output
    listing = runner.invoke(app, ["--help"])
    for command in ("run", "validate", "score", "show", "serve", "check-strategy", "import", "bench", "scenario",
                    "rm", "chain", "metrics", "influence", "strategies"):
        assert f" {command} " in listing.output, command


def test_error_text_from_a_file_is_not_read_as_markup(tmp_path: Path) -> None:
    data = yaml.safe_load(HARBOUR.read_text(encoding="utf-8"))
    data["groups"][0]["share"] = "[bold red]x[/] \x1b[2J"
    path = tmp_path / "markup.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "[bold red]x[/]" in result.output and "\x1b" not in result.output and "\\x1b[2J" in result.output
