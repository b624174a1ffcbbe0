"""The Ray executor on a local cluster (num_cpus=2, one per module: it takes seconds to start): the same rows
and traces as the process executor on the smoke suite, and a sweep whose Ray worker is killed (SIGKILL) mid-task
still holds every run exactly once."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialectic.sweep import SweepReport, run_suite
from tests.sweep.support import raw_row_count, store_rows, trace_bytes, write_suite

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_ray_gives_the_rows_and_traces_of_the_process_executor(cluster: None, tmp_path: Path) -> None:
    by_ray = run_suite("smoke", tmp_path / "ray", executor="ray", quiet=True)
    by_processes = run_suite("smoke", tmp_path / "process", executor="process", workers=2, quiet=True)
    assert (by_ray.done, by_ray.failed) == (by_processes.done, by_processes.failed) == (18, 0)
    assert store_rows(tmp_path / "ray") == store_rows(tmp_path / "process")
    assert trace_bytes(tmp_path / "ray") == trace_bytes(tmp_path / "process")
    assert ray.is_initialized()  # a cluster the caller started is left running


def _ray_task_pids() -> list[int]:
    """Processes of this machine running a sweep task (Ray titles a busy worker `ray::run_task`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::run_task"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_killed_ray_worker_leaves_every_run_exactly_once(cluster: None, tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [{"scenarios": ["scenarios/harbour-sport-park.yaml"],
                                    "strategies": ["conceder", "max-min"]}], seeds=8)
    out = tmp_path / "killed"
    reports: list[SweepReport] = []
    sweep = threading.Thread(target=lambda: reports.append(run_suite(suite, out, executor="ray", quiet=True)))
    sweep.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and sweep.is_alive():
        pids = _ray_task_pids()
        if pids:
            time.sleep(0.05)  # into the task: its game built, runs under way, none returned
            os.kill(pids[0], signal.SIGKILL)
            killed = pids[0]
        time.sleep(0.01)
    sweep.join(timeout=120)
    assert killed is not None, "no Ray worker was seen running a task"
    [report] = reports
    assert (report.total, report.done, report.failed) == (16, 16, 0)  # the killed task ran again, once
    assert raw_row_count(out) == 16 and len(trace_bytes(out)) == 16
    reference = run_suite(suite, tmp_path / "reference", executor="local", quiet=True)
    assert reference.done == 16
    assert store_rows(out) == store_rows(tmp_path / "reference")
    assert trace_bytes(out) == trace_bytes(tmp_path / "reference")
