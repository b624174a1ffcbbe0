"""A run stopped by an error (docs/serving.md, Faults) without any server: the runner writes an error event after
the turns it made, the trace reads as errored, `dialectic show` says why it stops, and `--resume` runs it again
while reading back the complete ones. The fault tests against real vLLM servers are tests/backends/test_faults.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialectic.batch import Job, run_dialogues
from dialectic.cli import app
from dialectic.dialogue import Session
from dialectic.runner import run_dialogue
from dialectic.trace import RETRIES, ErrorEvent, read_trace, record_retry
from tests.conftest import SCENARIOS

HARBOUR = SCENARIOS / "harbour-sport-park.yaml"


class Boom(RuntimeError):
    pass


def failing_after(k: int, seed: int | None = None):
    """Session.record that raises once move ``k`` of the run with ``seed`` is on record, having recorded a retry
    first (as a backend would)."""
    original = Session.record

    def record(self, said, table, generation=None):
        original(self, said, table, generation)
        if len(self.events) == k and (seed is None or self.seed == seed):
            record_retry("http://127.0.0.1:1/v1/chat/completions", 1, "HTTP 503: overloaded", 0.0)
            raise Boom("server at http://127.0.0.1:1 failed after 1 attempts: HTTP 503: overloaded")

    return record


def test_an_errored_run_keeps_its_turns_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Session, "record", failing_after(3))
    with pytest.raises(Boom):
        run_dialogue(HARBOUR, "conceder", seed=0, out=tmp_path)
    [path] = tmp_path.glob("*.jsonl")
    trace = read_trace(path)
    assert len(trace.moves) == 3 and trace.end is None and trace.evaluation is None
    assert trace.errored and isinstance(trace.error, ErrorEvent) and trace.error.turns == 3
    assert trace.error.error.startswith("Boom: server at http://127.0.0.1:1")
    assert [r.error for r in trace.error.retries] == ["HTTP 503: overloaded"]
    assert RETRIES.get() is None  # the run's record is gone with the run
    monkeypatch.undo()
    shown = CliRunner().invoke(app, ["show", str(path)], env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "it has no end event (the run errored: Boom: server at http://127.0.0.1:1" in shown.output


def test_a_batch_goes_on_and_resume_reruns_only_the_errored_run(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [Job("conceder", seed) for seed in range(3)]
    monkeypatch.setattr(Session, "record", failing_after(2, seed=1))
    first = run_dialogues(HARBOUR, jobs, concurrency=2, out=tmp_path)
    assert [isinstance(r, Boom) for r in first] == [False, True, False]
    monkeypatch.undo()
    paths = {read_trace(p).header.seed: p for p in tmp_path.glob("*.jsonl")}
    assert len(paths) == 3 and read_trace(paths[1]).errored
    before = {seed: p.stat().st_mtime_ns for seed, p in paths.items()}
    again = run_dialogues(HARBOUR, jobs, concurrency=2, out=tmp_path, resume=True)
    assert all(not isinstance(r, BaseException) for r in again)
    after = {read_trace(p).header.seed: p for p in tmp_path.glob("*.jsonl")}
    assert all(read_trace(p).complete and not read_trace(p).errored for p in after.values())
    assert [s for s, p in after.items() if p.stat().st_mtime_ns != before[s]] == [1]
