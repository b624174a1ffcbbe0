"""A run never overwrites the trace of another: the trace's file name carries a digest of the scenario's
content, the strategy card's content, the --agent overrides and the seed
(`<scenario name>__<strategy>__seed<seed>__<8 hex digits>.jsonl`). The same run finds its own trace again
(--resume), and a file of another run under the very name is refused, not overwritten."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dialectic.batch import Job, run_dialogues
from dialectic.cli import app
from dialectic.runner import run_dialogue, trace_name
from dialectic.scenario import load_scenario
from dialectic.strategies import load_card
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS

runner = CliRunner()
SCENARIO = SCENARIOS / "majority-51-49.yaml"
NAME = re.compile(r"^majority-51-49__average-reward__seed(\d+)__[0-9a-f]{8}\.jsonl$")


def _variant(tmp_path: Path, file: str, reservation: int) -> Path:
    """A copy of the scenario under the same `name`, with the majority's reservation changed."""
    data = yaml.safe_load(SCENARIO.read_text())
    data["groups"][0]["reservation"] = reservation
    path = tmp_path / file
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run(scenario: Path, out: Path, *more: str) -> Path:
    result = runner.invoke(app, ["run", str(scenario), "--strategy", "average-reward", "--out", str(out),
                                 "--json", *more])
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.output)["trace"])


def test_two_scenario_files_sharing_a_name_leave_two_traces(tmp_path: Path) -> None:
    first, second = _variant(tmp_path, "one.yaml", 40), _variant(tmp_path, "two.yaml", 45)
    out = tmp_path / "runs"
    a, b = _run(first, out), _run(second, out)
    assert a != b and NAME.match(a.name) and NAME.match(b.name)
    assert sorted(out.iterdir()) == sorted([a, b])
    assert read_trace(a).header.scenario_file == str(first.resolve())
    assert read_trace(b).header.scenario_file == str(second.resolve())
    assert read_trace(a).header.scenario_hash != read_trace(b).header.scenario_hash


def test_seed_strategy_and_overrides_each_change_the_name(tmp_path: Path) -> None:
    scenario, card = load_scenario(SCENARIO), load_card("average-reward")
    base = trace_name(scenario, card, 0, {})
    assert NAME.match(base)
    assert trace_name(scenario, card, 0, {}) == base  # the same run: the same name
    assert trace_name(scenario, card, 1, {}) != base
    assert trace_name(scenario, card, 0, {"majority": "hardliner"}) != base
    edited = card.model_copy(update={"description": card.description + " (edited)"})
    assert trace_name(scenario, edited, 0, {}) != base  # same card name, other content


def test_a_comment_or_the_file_location_does_not_change_the_name(tmp_path: Path) -> None:
    commented = tmp_path / "commented.yaml"
    commented.write_text("# a note\n" + SCENARIO.read_text())
    assert _run(commented, tmp_path / "a").name == _run(SCENARIO, tmp_path / "b").name


def test_rerunning_the_same_run_replaces_its_own_trace(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    first = _run(SCENARIO, out)
    again = _run(SCENARIO, out)
    assert first == again and list(out.iterdir()) == [first]


def test_resume_finds_its_own_traces(tmp_path: Path) -> None:
    first, second = _variant(tmp_path, "one.yaml", 40), _variant(tmp_path, "two.yaml", 45)
    out = tmp_path / "runs"
    jobs = [Job("average-reward", seed) for seed in range(2)]
    done = run_dialogues(first, jobs, out=out, concurrency=2)
    stamps = {r.trace_path: r.trace_path.stat().st_mtime_ns for r in done}
    other = run_dialogues(second, jobs, out=out, concurrency=2, resume=True)  # the other file: runs, beside
    assert len(list(out.iterdir())) == 4
    resumed = run_dialogues(first, jobs, out=out, concurrency=2, resume=True)
    assert [r.trace_path for r in resumed] == list(stamps)
    assert all(p.stat().st_mtime_ns == stamps[p] for p in stamps)  # read back, not run again
    assert not set(stamps) & {r.trace_path for r in other}


def test_a_trace_of_another_run_under_the_name_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    name = trace_name(load_scenario(SCENARIO), load_card("average-reward"), 0, {})
    foreign = run_dialogue(SCENARIO, "average-reward", seed=1, out=tmp_path / "other").trace_path
    (out).mkdir()
    (out / name).write_bytes(foreign.read_bytes())  # say, a digest clash
    with pytest.raises(ValueError, match="refusing to overwrite the trace of another run"):
        run_dialogue(SCENARIO, "average-reward", seed=0, out=out)
    assert (out / name).read_bytes() == foreign.read_bytes()
    result = runner.invoke(app, ["run", str(SCENARIO), "--strategy", "average-reward", "--out", str(out)])
    assert result.exit_code == 2 and "refusing to overwrite" in result.output
