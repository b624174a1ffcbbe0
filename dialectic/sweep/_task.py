"""A sweep's unit of work: a task is some seeds of one (scenario, card, overrides, rounds), so its Game is
compiled once; `run_task` runs them one by one in a scratch folder and hands back, per run, its row and its
trace's bytes. Workers never write the store: the driver alone does (dialectic.sweep._sweep), so a worker on
another machine needs no shared disk and a killed worker leaves nothing half-written."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dialectic import __version__
from dialectic.bench import RunRow, SweepRow
from dialectic.bench._store import now
from dialectic.game import Game
from dialectic.runner import RunResult, arun_dialogue, run_digest
from dialectic.scenario import Scenario, ServedReward, scenario_hash
from dialectic.strategies import StrategyCard

if TYPE_CHECKING:
    from dialectic.backends.select import Backends


def run_id(scenario: Scenario, card: StrategyCard, seed: int, overrides: dict[str, str], digest: str) -> str:
    """A run's id in a sweep: sha256 over `run_digest` (the scenario's content as run, the card's content, the
    overrides, the seed) and the package version, so a new version runs everything again."""
    key = {"run": run_digest(scenario, card, seed, overrides, digest), "dialectic": __version__}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class PlannedRun:
    seed: int
    run_id: str
    #: The trace's file name (dialectic.runner.trace_name: the one `dialectic run` gives the same run).
    trace_name: str


@dataclass(frozen=True)
class Task:
    """Runs of one cell that share a compiled game. Picklable: it travels to process and Ray workers."""

    suite: str
    #: The scenario file the runs are given (their trace headers' ``scenario_path``) and the scenario as run.
    scenario_path: str
    scenario: Scenario
    card: StrategyCard
    agents: tuple[tuple[str, str], ...]
    runs: tuple[PlannedRun, ...]
    #: Endpoints file (`dialectic serve`) for LLM casts and served rewards.
    endpoints: str | None = None
    #: The content hash of the scenario as run (scenario_hash).
    scenario_digest: str = ""

    @property
    def strategy(self) -> str:
        return self.card.name + "".join(f"+{g}={p}" for g, p in self.agents)


@dataclass
class Outcome:
    """One finished run as a worker hands it back: its row and (ok runs) its trace's bytes."""

    row: SweepRow
    trace: bytes | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _error_text(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _row(task: Task, run: PlannedRun, elapsed: float, result: RunRow | None = None,
         error: BaseException | str | None = None) -> SweepRow:
    return SweepRow(
        run_id=run.run_id, status="ok" if result is not None else "failed",
        error=None if error is None else error if isinstance(error, str) else _error_text(error),
        suite=task.suite, scenario=task.scenario.name, strategy=task.strategy, seed=run.seed,
        scenario_path=task.scenario_path, card=task.card.name, agents=dict(task.agents),
        rounds_limit=task.scenario.rounds, dialectic_version=__version__, elapsed=elapsed, worker=worker_name(),
        finished_at=now(), result=result,
    )


def failed_outcomes(task: Task, error: BaseException | str) -> list[Outcome]:
    """Every run of `task` failed with `error` (e.g. its game could not be built, or its worker died)."""
    return [Outcome(_row(task, run, 0.0, error=error)) for run in task.runs]


def _finished(task: Task, run: PlannedRun, result: RunResult, elapsed: float) -> Outcome:
    path = result.trace_path
    if path.name != run.trace_name:  # the sweep's plan and the runner disagree on the run's identity
        raise RuntimeError(f"run wrote {path.name}, the sweep planned {run.trace_name}")
    generated = getattr(task.scenario, "generated", None)
    params = dict(generated.params) if generated is not None else {}
    row = RunRow.from_result(result, strategy=task.strategy).model_copy(
        update={"trace": f"traces/{run.trace_name}", "run_id": run.run_id, "params": params})
    data = path.read_bytes()
    path.unlink()
    return Outcome(_row(task, run, elapsed, result=row), data)


def _backends(task: Task) -> Backends | None:
    """The servers a task's runs need (an LLM cast, served rewards), from its endpoints file; None when none."""
    needs_chat = task.card.with_agents(dict(task.agents)).needs_chat
    served = [g.reward for g in task.scenario.groups if isinstance(g.reward, ServedReward)]
    if not needs_chat and not served:
        return None
    if task.endpoints is None:
        raise ValueError("expected an endpoints file (--endpoints) for an LLM cast or served rewards, found none")
    from dialectic.backends.endpoints import load_endpoints
    from dialectic.backends.select import backends_from_endpoints

    found = load_endpoints(Path(task.endpoints))
    if needs_chat:
        found.require_chat()
    if served:
        found.require_reward([s.adapter for s in served if s.adapter is not None],
                             outputs=[(str(s.model), s.output) for s in served
                                      if s.model is not None and s.output is not None])
    return backends_from_endpoints("vllm", found)


#: The last game this process compiled, by the scenario's content hash: consecutive tasks of one scenario (its
#: cards, its seed chunks) share it, as a batch's dialogues do, so the work a game caches on its first run
#: (oracles, the evaluator's tables: seconds on a statement pool) is done once per scenario and worker.
_LAST_GAME: dict[str, Game] = {}


def _game(task: Task, backends: Backends | None) -> Game:
    if backends is not None:  # a game scoring through servers holds their clients: never kept
        return Game(task.scenario, reward_backend=backends.reward)
    digest = task.scenario_digest or scenario_hash(task.scenario)
    if digest not in _LAST_GAME:
        _LAST_GAME.clear()
        _LAST_GAME[digest] = Game(task.scenario)
    return _LAST_GAME[digest]


def run_task(task: Task, on_result: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run every run of `task` (dialectic.runner.run_dialogue, the game compiled once); a run that raises is a
    failed outcome and the others go on. `on_result` sees each outcome as it finishes (the local executor
    records it at once). KeyboardInterrupt is not caught: it stops the task."""
    outcomes: list[Outcome] = []

    def emit(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)

    with tempfile.TemporaryDirectory(prefix="dialectic-sweep-") as scratch:
        try:
            backends = _backends(task)
            game = _game(task, backends)
        except Exception as error:  # noqa: BLE001  (any failure of a run is its row, never the sweep's)
            for outcome in failed_outcomes(task, error):
                emit(outcome)
            return outcomes
        if backends is not None:
            asyncio.run(_arun_task(task, game, backends, scratch, emit))
            return outcomes
        from dialectic.vector import run_vector

        started = time.perf_counter()  # a rational cast: every seed advanced together, one graph step per turn
        results = run_vector(task.scenario_path, task.card, [r.seed for r in task.runs], dict(task.agents), scratch,
                             game)
        each = (time.perf_counter() - started) / len(task.runs)  # runs of a batch share their time
        for run, result in zip(task.runs, results, strict=True):
            try:
                if isinstance(result, BaseException):
                    raise result
                outcome = _finished(task, run, result, each)
            except Exception as error:  # noqa: BLE001  (any failure of a run is its row, never the sweep's)
                outcome = Outcome(_row(task, run, each, error=error))
            emit(outcome)
    return outcomes


#: Dialogues of one task in flight at once when they talk to servers (vLLM batches their requests).
SERVED_CONCURRENCY = 8


async def _arun_task(task: Task, game: Game, backends: Backends, scratch: str,
                     emit: Callable[[Outcome], None]) -> None:
    gate = asyncio.Semaphore(SERVED_CONCURRENCY)

    async def one(run: PlannedRun) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                result = await arun_dialogue(task.scenario_path, task.card, run.seed, dict(task.agents), scratch,
                                             game, True, backends)
                outcome = _finished(task, run, result, time.perf_counter() - started)
            except Exception as error:  # noqa: BLE001  (any failure of a run is its row, never the sweep's)
                outcome = Outcome(_row(task, run, time.perf_counter() - started, error=error))
            emit(outcome)

    try:
        await asyncio.gather(*(one(run) for run in task.runs))
    finally:
        await backends.aclose()
