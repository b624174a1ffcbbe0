"""The command line as a user runs it: run (text and --json), strategies, import, --agent errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.strategies import card_names, mediators, policies
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS

runner = CliRunner()
REQUIRED_KEYS = {"label", "worst_case_welfare", "maxmin_oracle", "maxmin_regret", "false_agreement",
                 "ai_wins_index", "rounds", "welfare", "trace"}


def test_run_json_prints_one_object_with_the_required_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SCENARIOS / "harbour-sport-park.yaml"), "--strategy", "max-min",
                                 "--seed", "3", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert REQUIRED_KEYS <= set(summary)
    assert set(summary["welfare"]) == {"mayor", "other_cities", "union", "SportCo", "DoT", "enviroment"}
    assert summary["label"] == "settled"
    trace = read_trace(summary["trace"])
    assert trace.header.seed == 3 and trace.complete and trace.evaluation is not None
    assert trace.evaluation.evaluation["label"] == "settled"


def test_run_prints_the_dialogue_and_the_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SCENARIOS / "harbour-sport-park.yaml"), "--strategy", "conceder",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "I propose" in result.output and "worst_case_welfare" in result.output
    assert "maxmin_oracle" in result.output and "trace:" in result.output


def test_agent_override_mixes_casts_and_rejects_mediators(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["run", str(SCENARIOS / "harbour-sport-park.yaml"), "--strategy", "conceder",
                             "--agent", "SportCo=hardliner", "--out", str(tmp_path), "--json"])
    assert ok.exit_code == 0, ok.output
    trace = read_trace(json.loads(ok.output)["trace"])
    assert {a.group: a.policy for a in trace.header.agents}["SportCo"] == "hardliner"
    bad = runner.invoke(app, ["run", str(SCENARIOS / "harbour-sport-park.yaml"), "--agent", "SportCo=max-min",
                              "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "mediator is not an agent policy" in bad.output
    unknown = runner.invoke(app, ["run", str(SCENARIOS / "harbour-sport-park.yaml"), "--agent", "nobody=linear",
                                  "--out", str(tmp_path)])
    assert unknown.exit_code == 2 and "a group id" in unknown.output


def test_strategies_lists_every_card_policy_and_mediator() -> None:
    result = runner.invoke(app, ["strategies"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for name in [*card_names(), *policies, *mediators]:
        assert name in result.output


def test_import_reproduces_the_shipped_scenario(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "hsp.yaml"
    result = runner.invoke(app, ["import", "llm-deliberation", str(shared_data / "llm-deliberation" / "base"),
                                 "-o", str(out), "--name", "harbour-sport-park"])
    assert result.exit_code == 0, result.output
    assert out.read_text() == (SCENARIOS / "harbour-sport-park.yaml").read_text()


def test_import_of_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "llm-deliberation", str(tmp_path / "nope"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "nope" in result.output


def test_import_dialectic_stays_light() -> None:
    code = ("import sys, dialectic, dialectic.runner, dialectic.cli; "
            "heavy = [m for m in ('torch', 'vllm', 'transformers', 'ray') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
