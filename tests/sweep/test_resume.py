"""Resume: a sweep killed mid-way (SIGKILL) and run again holds every run exactly once, with the rows and
traces of a sweep never interrupted; a failing run is a failed row, the others complete, and the same command
again runs the failed runs only; a store of another schema version is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialectic.bench import StoreError, load_results, load_sweep
from dialectic.cli import app
from dialectic.strategies import load_card, policies
from dialectic.strategies._base import policy
from dialectic.suite import load_suite
from dialectic.sweep import plan, run_suite
from tests.conftest import ROOT
from tests.sweep.support import raw_row_count, store_rows, trace_bytes, write_suite

#: Three cells of ten 24-round six-party dialogues: long enough to kill mid-way.
KILL_ENTRIES = [{"scenarios": ["scenarios/harbour-sport-park.yaml"], "strategies": ["conceder", "max-min", "linear"]}]


def test_a_sweep_killed_mid_way_resumes_with_every_run_exactly_once(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, KILL_ENTRIES, seeds=10)
    reference = tmp_path / "reference"
    whole = run_suite(suite, reference, quiet=True)
    assert (whole.total, whole.done, whole.failed) == (30, 30, 0)

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "dialectic", "bench", "run", str(suite), "--out", str(out), "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # kill once some rows are in the store, the sweep still under way
    while time.monotonic() < deadline and not list((out / "rows").glob("part-*.parquet")):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = raw_row_count(out)
    assert 0 < before < 30, f"the kill came too late or too early: {before} rows"
    assert len(trace_bytes(out)) >= before  # traces whose rows were not written yet run again

    again = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"{30 - before} run now, {before} already done, 0 failed" in again.stdout
    assert raw_row_count(out) == 30  # compacted: one row per run, none twice
    assert len(list((out / "rows").glob("*"))) == 1
    assert store_rows(out) == store_rows(reference)
    assert trace_bytes(out) == trace_bytes(reference) and len(trace_bytes(out)) == 30
    assert not list(out.rglob(".tmp-*"))
    third = run_suite(suite, out, quiet=True)
    assert (third.skipped, third.done, third.failed) == (30, 0, 0)


#: Set to make the test policy raise (a run whose policy fails); cleared to let the retried runs pass.
FAIL = {"on": True}


@pytest.fixture
def raising_policy() -> Iterator[str]:
    """A policy that concedes like `conceder` but raises while FAIL is on (registered for this test only)."""
    name = "test-sweep-raiser"
    conceder = policies.get("conceder")

    def build(params: Any, me: str, utility: Any, public: Any) -> Any:
        inner = conceder.build(conceder.params.model_validate({}), me, utility, public)

        class Raiser:
            def act(self, obs: Any) -> Any:
                if FAIL["on"]:
                    raise RuntimeError("the test policy fails on purpose")
                return inner.act(obs)

        return Raiser()

    policy(name, "Test fixture: conceder that raises while asked to.")(build)
    FAIL["on"] = True
    yield name
    policies._items.pop(name)


def test_a_failing_run_is_recorded_and_only_failed_runs_run_again(tmp_path: Path, raising_policy: str) -> None:
    suite = write_suite(tmp_path, [
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder", "max-min"]},
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"],
         "agents": {"minority": raising_policy}},
    ], seeds=3)
    out = tmp_path / "out"
    first = run_suite(suite, out, quiet=True)
    assert (first.total, first.done, first.failed) == (9, 6, 3)
    rows = load_sweep(out)
    failed = [r for r in rows if r.status == "failed"]
    assert {(r.strategy, r.seed) for r in failed} == {(f"conceder+minority={raising_policy}", s) for s in range(3)}
    assert all(r.error is not None and r.error.startswith("RuntimeError: the test policy fails on purpose")
               for r in failed)
    assert all(r.result is None and r.agents == {"minority": raising_policy} for r in failed)
    assert len(load_results(out)) == 6 and len(trace_bytes(out)) == 6
    ok_before = {r.run_id: r.finished_at for r in rows if r.status == "ok"}

    FAIL["on"] = False
    second = run_suite(suite, out, quiet=True)
    assert (second.skipped, second.done, second.failed) == (6, 3, 0)
    after = load_sweep(out)
    assert all(r.status == "ok" for r in after) and len(after) == 9 and raw_row_count(out) == 9
    assert {r.run_id: r.finished_at for r in after if r.run_id in ok_before} == ok_before  # not run again
    assert len(trace_bytes(out)) == 9


def test_the_command_reports_failed_runs_and_exits_1(tmp_path: Path, raising_policy: str) -> None:
    suite = write_suite(tmp_path, [{"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"],
                                    "agents": {"majority": raising_policy}}], seeds=1)
    result = CliRunner().invoke(app, ["bench", "run", str(suite), "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 1, result.output
    assert "RuntimeError: the test policy fails on purpose" in result.output
    assert "1 runs: 0 run now, 0 already done, 1 failed" in result.output


def test_a_store_of_another_major_schema_version_is_refused(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [{"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"]}],
                        seeds=1)
    out = tmp_path / "out"
    run_suite(suite, out, quiet=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["store_schema"].startswith("1.") and manifest["suite"]["runs"] == 1
    (out / "manifest.json").write_text(json.dumps({**manifest, "store_schema": "2.0"}))
    with pytest.raises(StoreError, match="expected a store of schema version 1.x"):
        load_sweep(out)
    with pytest.raises(StoreError, match="found schema version 2.0"):
        run_suite(suite, out, quiet=True)
    result = CliRunner().invoke(app, ["bench", "run", str(suite), "--out", str(out), "--quiet"])
    assert result.exit_code == 2 and "found schema version 2.0" in result.output


def test_run_ids_change_with_content_overrides_seed_and_version(tmp_path: Path, monkeypatch: Any) -> None:
    suite = load_suite(write_suite(tmp_path, [
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"]},
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"], "rounds": 5},
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"],
         "agents": {"majority": "hardliner"}},
        {"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"], "seeds": [1]},  # a duplicate
    ]))
    ids = [r.run_id for t in plan(suite, tmp_path, None) for r in t.runs]
    assert len(ids) == 6 == len(set(ids))  # the duplicate (seed 1 of the first entry) runs once
    import dialectic.sweep._task as task_module

    card = load_card("conceder")
    cell = suite.cells[0]
    before = task_module.run_id(cell.scenario, card, 0, {}, cell.scenario_digest)
    monkeypatch.setattr(task_module, "__version__", "999.0")
    assert task_module.run_id(cell.scenario, card, 0, {}, cell.scenario_digest) != before


def _pool_workers(driver: int) -> list[int]:
    """Worker processes of a process pool of `driver`: children of its forkserver (itself a child of it)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    servers = {pid for pid, parent in parents.items() if parent == driver}
    return [pid for pid, parent in parents.items() if parent in servers]


def test_a_killed_pool_worker_leaves_every_run_exactly_once(tmp_path: Path, monkeypatch: Any) -> None:
    import threading
    from concurrent.futures import ProcessPoolExecutor

    import dialectic.sweep._executors as executors

    pools: list[int] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(executors, "ProcessPoolExecutor", Counted)
    suite = write_suite(tmp_path, KILL_ENTRIES, seeds=40)  # enough work left when the kill lands
    out = tmp_path / "killed"
    reports: list[Any] = []
    sweep = threading.Thread(target=lambda: reports.append(
        run_suite(suite, out, executor="process", workers=2, quiet=True)))
    sweep.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and sweep.is_alive():
        if list((out / "traces").glob("*.jsonl")) and (workers := _pool_workers(os.getpid())):
            os.kill(workers[0], signal.SIGKILL)  # tasks in flight: the pool breaks, its tasks run again
            killed = workers[0]
        time.sleep(0.005)
    sweep.join(timeout=120)
    assert killed is not None, "no pool worker was seen"
    # The broken pool is replaced when tasks were left (len(pools) >= 2); a kill that lands after the last task
    # was handed out breaks nothing more to run (seen under load), so that is not asserted: the runs are, below.
    assert pools
    [report] = reports
    assert (report.total, report.failed) == (120, 0) and report.done == 120
    assert raw_row_count(out) == 120 and len(trace_bytes(out)) == 120
    reference = tmp_path / "reference"
    run_suite(suite, reference, quiet=True)
    assert store_rows(out) == store_rows(reference) and trace_bytes(out) == trace_bytes(reference)
