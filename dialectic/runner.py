"""Run one dialogue end to end: scenario + strategy card + seed -> trace file + evaluation.

Many dialogues at once (jobs, concurrency, resume) are dialectic.batch's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dialectic import __version__
from dialectic.dialogue import DialogueState, Session, Speaker, arun_graph, run_graph
from dialectic.game import Game
from dialectic.scenario import FieldError, Scenario, ScenarioError, load_scenario, scenario_hash
from dialectic.strategies import StrategyCard, load_card, mediators, policies
from dialectic.trace import (
    RETRIES,
    AgentSpec,
    EndEvent,
    ErrorEvent,
    EvaluationEvent,
    Header,
    OpeningEvent,
    RetryRecord,
    TopologyInfo,
    Trace,
    TraceWriter,
)

if TYPE_CHECKING:
    from dialectic.backends.select import Backends
    from dialectic.evaluate import Evaluation


@dataclass
class RunResult:
    trace: Trace
    evaluation: Evaluation | None
    seconds_dialogue: float = 0.0

    @property
    def trace_path(self) -> Path:
        return self.trace.path


def parse_agent_overrides(pairs: list[str] | None) -> dict[str, str]:
    """`GROUP=POLICY` strings -> {group: policy}."""
    overrides: dict[str, str] = {}
    for pair in pairs or []:
        group, sep, name = pair.partition("=")
        if not sep or not group or not name:
            raise ValueError(f"--agent expects GROUP=POLICY, found {pair!r}")
        overrides[group.strip()] = name.strip()
    return overrides


def _check_overrides(card_name: str, overrides: dict[str, str], game: Game) -> None:
    problems = []
    for group, name in overrides.items():
        if group not in game.group_ids:
            problems.append(FieldError("--agent", group, f"a group id ({', '.join(game.group_ids)})", repr(group)))
        if name not in policies:
            hint = "; a mediator is not an agent policy" if name in mediators else ""
            problems.append(
                FieldError("--agent", f"{group}={name}", f"a registered policy ({', '.join(policies)}){hint}",
                           repr(name))
            )
    if problems:
        raise ScenarioError(problems)


#: Hex digits of the run digest in a trace's file name (32 bits: a clash needs ~65,000 distinct runs in a folder).
DIGEST_CHARS = 8


def run_digest(scenario: Scenario, card: StrategyCard, seed: int, overrides: dict[str, str],
               scenario_digest: str | None = None) -> str:
    """sha256 over what decides a run: the scenario's content (`scenario_hash`: comments and formatting do not
    count), the strategy card's content (before `overrides`), the --agent overrides and the seed."""
    key = {
        "scenario": scenario_digest or scenario_hash(scenario),
        "strategy": card.model_dump(mode="json"),
        "agents": sorted(overrides.items()),
        "seed": seed,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def trace_name(scenario: Scenario, card: StrategyCard, seed: int, overrides: dict[str, str],
               scenario_digest: str | None = None) -> str:
    """`<scenario name>__<strategy>[+GROUP=POLICY...]__seed<seed>__<digest>.jsonl`: the digest (`run_digest`,
    first DIGEST_CHARS hex digits) tells apart runs whose scenario or card content differs under one name, so
    a run never overwrites the trace of another; the same run (same content, card, overrides, seed) finds
    its own trace again (`--resume`). `card` is the card as loaded, before `overrides` apply."""
    suffix = "".join(f"+{g}={p}" for g, p in sorted(overrides.items()))
    digest = run_digest(scenario, card, seed, overrides, scenario_digest)[:DIGEST_CHARS]
    stem = re.sub(r"[^A-Za-z0-9_.=+\-]", "_", f"{scenario.name}__{card.name}{suffix}__seed{seed}")
    return f"{stem}__{digest}.jsonl"


def _refuse_foreign(path: Path, digest: str, strategy: str, seed: int) -> None:
    """Refuse to overwrite a trace of another run under the same name (a digest clash, or a hand-renamed
    file); the trace of this very run (same scenario content, strategy and seed) is replaced."""
    if not path.exists():
        return
    from dialectic.trace import Header

    try:
        with path.open(encoding="utf-8") as file:
            header = Header.model_validate_json(file.readline())
    except (OSError, UnicodeDecodeError, ValueError):
        return  # not a readable trace header: a torn write of this run, or not a trace at all
    if (header.scenario_hash, header.strategy, header.seed) != (digest, strategy, seed):
        raise ValueError(
            f"{path}: refusing to overwrite the trace of another run (scenario {header.scenario_name!r} "
            f"hash {header.scenario_hash[:12]}, strategy {header.strategy!r}, seed {header.seed}; this run: "
            f"hash {digest[:12]}, strategy {strategy!r}, seed {seed}); move it or choose another --out"
        )


def _topology(card: StrategyCard, scenario: Scenario, scenario_path: str,
              game: Game) -> tuple[dict[str, frozenset[str]] | None, TopologyInfo | None]:
    """Who hears whom in this run (the card's topology, else the scenario's; docs/topologies.md) and its
    record for the trace's header; (None, None) for the complete topology: nothing is filtered and the trace
    is as without one."""
    from dialectic.topology import edge_list, hearing

    topology, source = card.topology_for(scenario, scenario_path)
    if topology is None or not topology.filters:
        return None, None
    mediated = card.mediator is not None
    problems = topology.problems(game.group_ids, mediated)
    if problems:
        raise ScenarioError([FieldError(source, f"topology.{p.field}", p.expected, p.found) for p in problems])
    graph = topology.build(game.group_ids, game.opening.speaker, mediated)
    order = {g: i for i, g in enumerate([*game.group_ids, "mediator"])}
    return hearing(graph), TopologyInfo(kind=topology.kind, edges=edge_list(graph, order))


@dataclass
class PreparedRun:
    """Everything one dialogue needs before its graph runs; the trace file is open and headed."""

    scenario: Scenario
    game: Game
    session: Session
    writer: TraceWriter
    header: Header
    opening: OpeningEvent
    evaluate: bool


def prepare_run(
    scenario: str | Path | Scenario,
    strategy: str | StrategyCard = "dialectical",
    seed: int = 0,
    agents: dict[str, str] | None = None,
    out: str | Path = "runs",
    game: Game | None = None,
    evaluate: bool = True,
    backends: Backends | None = None,
) -> PreparedRun:
    scenario_path = "" if isinstance(scenario, Scenario) else str(scenario)
    scenario_file = "" if isinstance(scenario, Scenario) else str(Path(scenario).resolve())
    if not isinstance(scenario, Scenario):  # a file: `game`, when given, is that file compiled (not re-read)
        scenario = game.scenario if game is not None else load_scenario(scenario)
    if game is None or game.scenario is not scenario:
        game = Game(scenario, reward_backend=None if backends is None else backends.reward)
    card = load_card(strategy) if isinstance(strategy, str) else strategy
    overrides = dict(agents or {})
    _check_overrides(card.name, overrides, game)
    digest = scenario_hash(scenario)
    path = Path(out) / trace_name(scenario, card, seed, overrides, digest)
    card = card.with_agents(overrides)
    card.check_on(scenario, scenario_path)  # e.g. free views need rewards that score new text

    specs: list[AgentSpec] = []
    built: dict[str, Speaker] = {}
    from dialectic.dialogue import PublicGame

    public = PublicGame.of(game)
    for group in game.group_ids:
        entry = card.entry_for(group, game.opening.speaker)
        spec = policies.get(entry.policy)
        params = spec.params.model_validate(entry.params)
        built[group] = spec.build(params, group, game.utilities[group], public)
        specs.append(AgentSpec(group=group, policy=entry.policy, params=params.model_dump()))
    mediator = None
    if card.mediator is not None:
        mspec = mediators.get(card.mediator.policy)
        mediator = mspec.build(mspec.params.model_validate(card.mediator.params), game)

    hears, topology = _topology(card, scenario, scenario_path, game)
    _refuse_foreign(path, digest, card.name, seed)
    writer = TraceWriter(path)
    session = Session(game, built, mediator, card.mutual_tolerance, seed, writer, backends, hears=hears,
                      simultaneous=card.protocol == "simultaneous", critique=card.protocol == "mediated-critique")
    header = Header(
        dialectic_version=__version__,
        scenario_name=scenario.name,
        scenario_path=scenario_path,
        scenario_hash=digest,
        scenario_file=scenario_file,
        strategy=card.name,
        protocol=card.protocol,
        mutual_tolerance=card.mutual_tolerance,
        mediator=None if card.mediator is None else card.mediator.policy,
        agents=specs,
        seed=seed,
        rounds=scenario.rounds,
        order=session.order,
        backend=backends.info() if backends is not None and (session.staged or backends.reward) else None,
        topology=topology,
    )
    space = game.space
    opening = OpeningEvent(
        speaker=game.opening.speaker,
        proposal=space.names(game.opening.proposal),
        views={g: space.names(v) for g, v in session.opening_views().items()},
    )
    writer.write(header)
    writer.write(opening)
    return PreparedRun(scenario, game, session, writer, header, opening, evaluate)


def stopped(run: PreparedRun, error: BaseException, retries: list[RetryRecord]) -> None:
    """Close the trace of a run stopped by ``error``: its turns are on disk already (flushed one by one); an
    error (not an interrupt or a cancellation) is written last as an ErrorEvent with the failing turn's
    retries, so the trace is marked errored and says why."""
    try:
        if isinstance(error, Exception):
            text = f"{type(error).__name__}: {error}"
            with contextlib.suppress(Exception):  # never hide the run's own error behind a failed write
                run.writer.write(ErrorEvent(turns=len(run.session.events), error=text, retries=list(retries)))
    finally:
        run.writer.close()


def finish_run(run: PreparedRun, final: DialogueState, elapsed: float) -> RunResult:
    """Write the end (and the evaluation) of a dialogue whose graph has run; close the trace."""
    session, game, writer = run.session, run.game, run.writer
    table, referee = final["table"], session.referee
    reason = final["end"] or "round_limit"
    settlement = referee.settlement(table, reason)  # the evaluator replays the trace with these same rules
    end = EndEvent(
        reason=reason,
        settlement=None if settlement is None else game.space.names(settlement),
        accepted_by=referee.accepted_by(table),
        rounds=referee.rounds_of(final["turn"]),
        turns=final["turn"],
    )
    with writer:
        writer.write(end)
        trace = Trace(path=writer.path, header=run.header, opening=run.opening, moves=session.events, end=end,
                      statements=session.statements)
        evaluation = None
        if run.evaluate:
            from dialectic.evaluate import evaluate as score

            evaluation = score(game, trace)
            event = EvaluationEvent(evaluation=evaluation.model_dump(mode="json"))
            writer.write(event)
            trace.evaluation = event
    return RunResult(trace=trace, evaluation=evaluation, seconds_dialogue=elapsed)


def run_dialogue(
    scenario: str | Path | Scenario,
    strategy: str | StrategyCard = "dialectical",
    seed: int = 0,
    agents: dict[str, str] | None = None,
    out: str | Path = "runs",
    game: Game | None = None,
    evaluate: bool = True,
    backends: Backends | None = None,
) -> RunResult:
    """Run one dialogue, writing its trace under `out`; returns the trace and its evaluation.

    Rational casts run the synchronous graph; a cast with LLM participants runs the graph with a reward
    step on an event loop of its own (from async code use :func:`arun_dialogue`)."""
    run = prepare_run(scenario, strategy, seed, agents, out, game, evaluate, backends)
    retries: list[RetryRecord] = []
    token = RETRIES.set(retries)  # the backends' retries of this run go to its moves (asyncio.run copies it)
    try:
        started = time.perf_counter()
        final = asyncio.run(arun_graph(run.session)) if run.session.staged else run_graph(run.session)
        elapsed = time.perf_counter() - started
    except BaseException as error:
        stopped(run, error, retries)  # the trace so far stays on disk, flushed per turn, and says why it stops
        raise
    finally:
        RETRIES.reset(token)
    return finish_run(run, final, elapsed)


async def arun_dialogue(
    scenario: str | Path | Scenario,
    strategy: str | StrategyCard = "dialectical",
    seed: int = 0,
    agents: dict[str, str] | None = None,
    out: str | Path = "runs",
    game: Game | None = None,
    evaluate: bool = True,
    backends: Backends | None = None,
) -> RunResult:
    """:func:`run_dialogue` on the running event loop, so many dialogues share the servers (vLLM batches
    their requests). A scenario with served rewards needs its Game built first (``Game(scenario, backend)``,
    outside the loop or in a thread): pass it as ``game``."""
    run = prepare_run(scenario, strategy, seed, agents, out, game, evaluate, backends)
    retries: list[RetryRecord] = []
    token = RETRIES.set(retries)  # this task's context: each dialogue of a batch records its own retries
    try:
        started = time.perf_counter()
        final = await arun_graph(run.session) if run.session.staged else run_graph(run.session)
        elapsed = time.perf_counter() - started
    except BaseException as error:
        stopped(run, error, retries)
        raise
    finally:
        RETRIES.reset(token)
    return finish_run(run, final, elapsed)
