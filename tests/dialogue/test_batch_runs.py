"""Several dialogues at once (`run_dialogues`, `dialectic run --runs N --concurrency N`): each trace names its
scenario file (so `dialectic score` finds it), and an interrupted batch resumes without re-running what is done."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dialectic.batch import Job, run_dialogues
from dialectic.cli import app
from dialectic.evaluate import Rescorer
from dialectic.runner import run_dialogue
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "island-airport.yaml"


def test_concurrent_batch_equals_one_at_a_time(tmp_path: Path) -> None:
    jobs = [Job("conceder", seed) for seed in range(4)]
    batch = run_dialogues(SCENARIO, jobs, concurrency=4, out=tmp_path / "batch")
    for job, result in zip(jobs, batch, strict=True):
        assert not isinstance(result, BaseException)
        alone = run_dialogue(SCENARIO, job.strategy, seed=job.seed, out=tmp_path / "alone")
        assert result.trace_path.read_bytes() == alone.trace_path.read_bytes()
        assert result.trace.header.scenario_path == str(SCENARIO)
        rescored = Rescorer().score(result.trace_path)[1]
        assert rescored.label == result.evaluation.label


def test_resume_reads_back_finished_runs_and_reruns_a_torn_one(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["run", str(SCENARIO), "--strategy", "conceder", "--runs", "3", "--out", str(tmp_path), "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    rows = [json.loads(line) for line in first.output.strip().splitlines()]
    paths = [Path(r["trace"]) for r in rows]
    torn = paths[1]
    torn.write_text("".join(torn.read_text().splitlines(keepends=True)[:5]))  # killed mid-run
    stamps = {p: p.stat().st_mtime_ns for p in paths}
    again = runner.invoke(app, [*args, "--resume"])
    assert again.exit_code == 0, again.output
    assert [json.loads(line)["label"] for line in again.output.strip().splitlines()] == [r["label"] for r in rows]
    assert paths[0].stat().st_mtime_ns == stamps[paths[0]] and paths[2].stat().st_mtime_ns == stamps[paths[2]]
    assert torn.stat().st_mtime_ns != stamps[torn]  # only the torn run ran again, to its end
    assert torn.read_text().splitlines()[-1].startswith('{"v":1,"type":"evaluation"')
