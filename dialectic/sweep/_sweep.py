"""`run_suite`: plan a suite's runs, skip those the store already holds, run the rest on an executor and
record each as it finishes (trace renamed into place, then its row in a new Parquet part); docs/bench.md.

Resume: a run is done when the store holds an ok row for its id and its trace; the same command again runs
the others (failed ones included). A kill at any moment loses at most rows not yet written: their runs run
again and their traces are replaced (same run, same bytes), so a resumed sweep holds every run exactly once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from dialectic.bench import Store, SweepRow
from dialectic.runner import trace_name
from dialectic.scenario import FieldError
from dialectic.suite import Cell, ResolvedSuite, Suite, SuiteError, load_suite, resolve_suite
from dialectic.sweep._executors import EXECUTORS, ray_start, ray_stop, run_local, run_process, run_ray
from dialectic.sweep._progress import SweepProgress
from dialectic.sweep._task import Outcome, PlannedRun, Task, run_id

#: Most runs in one task (one compiled game): big enough to amortise the game, small enough to balance load.
MAX_TASK_RUNS = 25
#: Rows are written as a new part when this many wait, or when a task ends, or FLUSH_SECONDS have passed.
FLUSH_ROWS = 64
FLUSH_SECONDS = 2.0


@dataclass
class SweepReport:
    """What one `run_suite` call did."""

    out: Path
    total: int
    #: Runs the store already held (skipped), run ok now, failed now.
    skipped: int = 0
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[SweepRow] = field(default_factory=list)


def _scenario_copy(cell: Cell, out: Path, written: set[tuple[Path, int]]) -> None:
    """A `rounds` override: the runs are given the scenario's own file (their trace headers name it, so rows
    and traces do not depend on the store's folder) but run a scenario of other content; a copy with that round
    limit goes to OUT/scenarios/ so the traces re-score (`dialectic score --scenario COPY TRACE`)."""
    if cell.rounds is None or (cell.scenario_file, cell.rounds) in written:
        return
    written.add((cell.scenario_file, cell.rounds))
    from dialectic.scenario.importers._yaml import dump_scenario

    path = out / "scenarios" / f"{cell.scenario_file.stem}.rounds{cell.rounds}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_scenario(cell.scenario, f"{cell.scenario_file} with rounds: {cell.rounds} (a suite's "
                                  "override), written by dialectic bench run"), encoding="utf-8")


def plan(suite: ResolvedSuite, out: Path, endpoints: Path | None) -> list[Task]:
    """One task per cell (every run of it, each with its id and trace name); a run that two entries name
    runs once."""
    seen: set[str] = set()
    tasks: list[Task] = []
    written: set[tuple[Path, int]] = set()
    for cell in suite.cells:
        overrides = dict(cell.agents)
        runs = []
        for seed in cell.seeds:
            ident = run_id(cell.scenario, cell.card, seed, overrides, cell.scenario_digest)
            if ident in seen:
                continue
            seen.add(ident)
            runs.append(PlannedRun(seed, ident, trace_name(cell.scenario, cell.card, seed, overrides,
                                                           cell.scenario_digest)))
        if runs:
            _scenario_copy(cell, out, written)
            tasks.append(Task(suite.name, str(cell.scenario_file), cell.scenario, cell.card, cell.agents,
                              tuple(runs), None if endpoints is None else str(endpoints.resolve()),
                              cell.scenario_digest))
    return tasks


def _needs_servers(suite: ResolvedSuite, where: str) -> None:
    problems = [FieldError(where, f"entries[{c.entry}]", "--endpoints (an endpoints file of `dialectic serve`) for "
                           f"{'an LLM cast' if c.needs_chat else 'served rewards'}",
                           f"none, for {c.scenario_file.name} x {c.card.name}")
                for c in suite.cells if c.needs_chat or c.served]
    if problems:
        raise SuiteError(problems[:1] + ([FieldError(where, "", "", f"... and {len(problems) - 1} more cells")]
                                         if len(problems) > 1 else []))


def chunked(tasks: list[Task], parallel: int) -> list[Task]:
    """Split tasks so a sweep has some 4 tasks per worker (at most MAX_TASK_RUNS runs each, never less than one)."""
    total = sum(len(t.runs) for t in tasks)
    size = max(1, min(MAX_TASK_RUNS, math.ceil(total / (4 * parallel))))
    return [replace(t, runs=t.runs[k:k + size]) for t in tasks for k in range(0, len(t.runs), size)]


def run_suite(suite: Path | str | Suite | ResolvedSuite, out: Path | str, *, executor: str = "local",
              workers: int = 1, address: str | None = None, quiet: bool = False,
              endpoints: Path | None = None) -> SweepReport:
    """Run every run of `suite` not yet in the store at `out` (docs/bench.md). A suite problem is a SuiteError
    (located) before anything runs; a failing run is a failed row, never an exception; KeyboardInterrupt stops
    the sweep, leaving a store the next call resumes."""
    if executor not in EXECUTORS:
        raise ValueError(f"--executor: expected one of {', '.join(EXECUTORS)}, found {executor!r}")
    if workers < 1:
        raise ValueError(f"--workers: expected an integer >= 1, found {workers}")
    if isinstance(suite, Suite):
        resolved = resolve_suite(suite)
    elif isinstance(suite, ResolvedSuite):
        resolved = suite
    else:
        resolved = load_suite(suite)
    if endpoints is None:
        _needs_servers(resolved, resolved.file or resolved.name)
    out = Path(out)
    store = Store(out)
    tasks = plan(resolved, out, endpoints)
    ids = [r.run_id for t in tasks for r in t.runs]
    store.open({**resolved.describe(), "run_ids": ids})
    finished = store.finished()
    todo = [replace(t, runs=tuple(r for r in t.runs if r.run_id not in finished)) for t in tasks]
    todo = [t for t in todo if t.runs]
    report = SweepReport(out=out, total=len(ids), skipped=len(ids) - sum(len(t.runs) for t in todo))
    started = time.perf_counter()
    buffer: list[SweepRow] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        store.append(buffer)
        buffer.clear()
        last_flush = time.monotonic()

    with SweepProgress(report.total, report.skipped, f"{resolved.name} ({executor})", quiet) as progress:

        def record(outcome: Outcome) -> None:
            row = outcome.row
            if outcome.trace is not None and row.result is not None:
                store.write_trace(Path(row.result.trace or "").name, outcome.trace)
            buffer.append(row)
            if row.status == "ok":
                report.done += 1
            else:
                report.failed += 1
                report.failures.append(row)
            progress.advance(row.status != "ok")
            if len(buffer) >= FLUSH_ROWS or time.monotonic() - last_flush >= FLUSH_SECONDS:
                flush()

        try:
            if todo and executor == "local":
                run_local(todo, record, flush)
            elif todo and executor == "process":
                run_process(chunked(todo, workers), record, workers)
            elif todo:
                cpus, connected = ray_start(address, workers)
                try:
                    run_ray(chunked(todo, cpus), record, cpus)
                finally:
                    if connected:
                        ray_stop()
        finally:
            flush()  # Ctrl-C too: every row recorded so far is kept
    store.compact()
    report.seconds = time.perf_counter() - started
    return report
