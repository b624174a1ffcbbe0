"""Many dialogues of one scenario at once: jobs (strategy, seed, overrides) run with bounded concurrency on
one event loop, so LLM participants share the servers (vLLM batches their requests); a failed dialogue is
returned as its exception while the others go on; `resume` reads back the runs already complete on disk.
Each dialogue is dialectic.runner's single run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from dialectic.game import Game
from dialectic.runner import RunResult, arun_dialogue, trace_name
from dialectic.scenario import Scenario, load_scenario, scenario_hash
from dialectic.strategies import StrategyCard, load_card

if TYPE_CHECKING:
    from dialectic.backends.select import Backends


@dataclass(frozen=True)
class Job:
    """One dialogue of a batch: a strategy and a seed (and optional --agent overrides)."""

    strategy: str | StrategyCard
    seed: int
    agents: tuple[tuple[str, str], ...] = ()


def finished_run(scenario: Scenario, job: Job, out: str | Path) -> RunResult | None:
    """The result of a job whose trace is already complete under ``out`` (ends with its evaluation, run on
    this very scenario); None when it must run (missing, cut short, or another scenario's)."""
    from dialectic.evaluate import Evaluation
    from dialectic.trace import TraceFormatError, read_trace

    card = load_card(job.strategy) if isinstance(job.strategy, str) else job.strategy
    path = Path(out) / trace_name(scenario, card, job.seed, dict(job.agents))
    if not path.exists():
        return None
    try:
        trace = read_trace(path)
    except (TraceFormatError, ValueError):
        return None
    if trace.evaluation is None or trace.header.scenario_hash != scenario_hash(scenario):
        return None
    return RunResult(trace=trace, evaluation=Evaluation.model_validate(trace.evaluation.evaluation))


async def arun_dialogues(scenario: str | Path | Scenario, jobs: list[Job], *, concurrency: int = 8,
                         out: str | Path = "runs", backends: Backends | None = None, evaluate: bool = True,
                         game: Game | None = None, resume: bool = False) -> list[RunResult | BaseException]:
    """Run ``jobs`` on one scenario with at most ``concurrency`` dialogues in flight; a failed dialogue is
    returned as its exception (its trace up to the failure is on disk), the others go on. With ``resume``,
    a job whose complete trace is already under ``out`` is read back, not run again."""
    if concurrency < 1:
        raise ValueError(f"--concurrency: expected an integer >= 1, found {concurrency}")
    scenario_path = scenario
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    where = "" if isinstance(scenario_path, Scenario) else str(scenario_path)
    for job in jobs:  # a card the scenario cannot serve is refused once, before any dialogue starts
        card = load_card(job.strategy) if isinstance(job.strategy, str) else job.strategy
        try:
            card = card.with_agents(dict(job.agents))
        except ValidationError:
            continue  # a bad --agent: its run reports it, with the hint it needs
        card.check_on(scenario, where)
    done = {k: r for k, j in enumerate(jobs) if resume and (r := finished_run(scenario, j, out)) is not None}
    if len(done) == len(jobs):
        return [done[k] for k in range(len(jobs))]
    if game is None:
        backend = None if backends is None else backends.reward
        game = await asyncio.to_thread(Game, scenario, backend)
    gate = asyncio.Semaphore(concurrency)

    async def one(k: int, job: Job) -> RunResult:
        if k in done:
            return done[k]
        async with gate:
            return await arun_dialogue(scenario_path, job.strategy, job.seed, dict(job.agents), out, game,
                                       evaluate, backends)

    results = await asyncio.gather(*(one(k, j) for k, j in enumerate(jobs)), return_exceptions=True)
    return list(results)


def run_dialogues(scenario: str | Path | Scenario, jobs: list[Job], *, concurrency: int = 8,
                  out: str | Path = "runs", backends: Backends | None = None, evaluate: bool = True,
                  resume: bool = False) -> list[RunResult | BaseException]:
    """:func:`arun_dialogues` from synchronous code."""

    async def go() -> list[RunResult | BaseException]:
        try:
            return await arun_dialogues(scenario, jobs, concurrency=concurrency, out=out, backends=backends,
                                        evaluate=evaluate, resume=resume)
        finally:
            if backends is not None:
                await backends.aclose()

    return asyncio.run(go())
