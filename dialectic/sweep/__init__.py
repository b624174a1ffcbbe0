"""Sweeps: run a suite (dialectic.suite) into a store (dialectic.bench's), resumably, on this process, a pool
of processes or a Ray cluster; `dialectic bench run` (docs/bench.md)."""

from dialectic.sweep._executors import EXECUTORS
from dialectic.sweep._sweep import SweepReport, plan, run_suite
from dialectic.sweep._task import Outcome, PlannedRun, Task, run_id, run_task

__all__ = ["EXECUTORS", "Outcome", "PlannedRun", "SweepReport", "Task", "plan", "run_id", "run_suite", "run_task"]
