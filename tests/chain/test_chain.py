"""`dialectic chain` without vLLM (`--backend transformers`: the export scored and the tiny chat model run in
this process) on the smallest shipped Polis conversation, and its bad input (exit 2).

The checks recompute from the artefacts in OUT: the evaluation by re-scoring the trace with a reward backend
built here, every recorded reward with the fitted model's own scores, the judges from scenario.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialectic.cli import app

from .support import close, served_rewards_against_the_fitted_model

pytest.importorskip("transformers")

ARGS = ["--backend", "transformers", "--rounds", "1", "--statements", "8"]


@pytest.fixture(scope="module")
def chain(polis_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("chain") / "out"
    result = CliRunner().invoke(app, ["chain", str(polis_dir), "-o", str(out), *ARGS])
    assert result.exit_code == 0, result.output
    return out, result


def test_every_artefact_lands_in_out(chain: tuple[Path, Any]) -> None:
    from dialectic.chain import ChainSummary

    out, result = chain
    summary = ChainSummary.model_validate_json((out / "chain.json").read_text())
    assert summary.status == "done" and summary.servers_stopped is None  # no server with transformers
    assert [s.name for s in summary.steps] == ["fit", "export", "served scenario", "chat model", "dialogue",
                                               "evaluation"]
    for step in summary.steps:
        for path in step.artefacts.values():
            assert (out / path).exists(), path
    for name in ("scenario.yaml", "scenario.model/manifest.json", "export/model.safetensors", "served.yaml",
                 "tiny/chat/config.json"):
        assert (out / name).exists(), name
    # the chat model's context, in its config and in the tokenizer copied beside it
    assert json.loads((out / "tiny/chat/config.json").read_text())["max_position_embeddings"] == 32768
    assert json.loads((out / "tiny/chat/tokenizer_config.json").read_text())["model_max_length"] == 32768
    assert summary.result is not None and (out / summary.result.trace).is_file()
    # the terminal table names the verdict both ways
    assert "by served models" in result.output and "by held-out judges" in result.output
    assert summary.result.by_models.label in result.output


def test_the_served_scenario_keeps_the_judges_and_names_the_exports_outputs(chain: tuple[Path, Any]) -> None:
    import yaml

    out, _ = chain
    learned = yaml.safe_load((out / "scenario.yaml").read_text())
    served = yaml.safe_load((out / "served.yaml").read_text())
    exported = json.loads((out / "export" / "dialectic-statement-model.json").read_text())
    assert served["space"] == learned["space"] and served["rounds"] == 1
    for before, after in zip(learned["groups"], served["groups"], strict=True):
        assert before["reward"]["kind"] == "learned"
        assert after["reward"] == {"kind": "served", "model": "reward", "output": before["reward"]["component"]}
        assert after["reward"]["output"] in exported["outputs"]
        assert after.get("judge") == before.get("judge") and after.get("judge") is not None
        assert after["reservation"] == before["reservation"] and after["share"] == before["share"]


def test_the_summary_is_the_trace_scored_again_and_the_rewards_are_the_fitted_models(
        chain: tuple[Path, Any]) -> None:
    from dialectic.backends.reward_local import LocalRewardModel
    from dialectic.backends.select import Backends
    from dialectic.chain import ChainSummary
    from dialectic.evaluate import Rescorer

    out, _ = chain
    summary = ChainSummary.model_validate_json((out / "chain.json").read_text())
    assert summary.result is not None
    reward = LocalRewardModel(out / "export", base_name="reward")
    trace, again = Rescorer(reward_backend=Backends("transformers", reward=reward).reward).score(
        out / summary.result.trace)
    recomputed = again.model_dump(mode="json")
    assert recomputed["consistent"] and recomputed["judged"] is not None
    assert close(summary.result.evaluation, recomputed, 1e-5) == []  # float32 batches: ~1e-7 apart
    judged = recomputed["judged"]
    assert summary.result.by_models.label == recomputed["label"]
    assert summary.result.by_judges is not None and summary.result.by_judges.label == judged["label_by_judges"]
    assert summary.result.worst_case_welfare_difference == pytest.approx(
        judged["worst_case_welfare_by_judges"] - recomputed["worst_case_welfare"], abs=1e-12)
    assert summary.result.generated_statements == len(trace.statements)
    compared, worst = served_rewards_against_the_fitted_model(out, trace)
    assert compared > 0 and worst < 1e-5


def test_a_rerun_reuses_the_fit_export_and_chat_model_and_writes_the_same_trace(
        chain: tuple[Path, Any], polis_dir: Path) -> None:
    from dialectic.chain import ChainSummary

    out, _ = chain
    first = ChainSummary.model_validate_json((out / "chain.json").read_text())
    assert first.result is not None
    trace = (out / first.result.trace).read_bytes()
    result = CliRunner().invoke(app, ["chain", str(polis_dir), "-o", str(out), *ARGS])
    assert result.exit_code == 0, result.output
    assert "overwriting" in result.output
    second = ChainSummary.model_validate_json((out / "chain.json").read_text())
    assert {s.name: s.reused for s in second.steps} == {
        "fit": True, "export": True, "served scenario": False, "chat model": True, "dialogue": False,
        "evaluation": False}
    assert second.result is not None and (out / second.result.trace).read_bytes() == trace
    assert second.groups == first.groups and second.import_report == first.import_report


def _error(polis: str, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["chain", polis, "-o", str(out), *ARGS, *extra])
    return result.exit_code, result.output


def test_bad_input_exits_2_with_a_located_error(polis_dir: Path, tmp_path: Path) -> None:
    code, output = _error(str(tmp_path / "missing"), tmp_path / "out")
    assert code == 2 and "POLIS_DIR" in output and "no such folder" in output and "Traceback" not in output
    (tmp_path / "file").write_text("x")
    code, output = _error(str(tmp_path / "file"), tmp_path / "out")
    assert code == 2 and "found a file" in output
    # 18 fit participants with comparisons on this conversation (20 % of 23 held out)
    code, output = _error(str(polis_dir), tmp_path / "out", "-k", "19")
    assert code == 2 and "participants-votes.csv" in output and "-k between 1 and" in output and "(18)" in output
    assert json.loads((tmp_path / "out" / "chain.json").read_text())["status"] == "failed"
    code, output = _error(str(polis_dir), tmp_path / "out", "-k", "0")
    assert code == 2 and "-k: expected greater than or equal to 1" in output
    code, output = _error(str(polis_dir), tmp_path / "out", "--card", "no-such-card")
    assert code == 2 and "no-such-card" in output
    code, output = _error(str(polis_dir), tmp_path / "out", "--backend", "tensorrt")
    assert code == 2 and "--backend" in output
