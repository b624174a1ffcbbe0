"""Run one dialogue end to end: scenario + strategy card + seed -> trace file + evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dialectic import __version__
from dialectic.dialogue import MEDIATOR, Session, run_graph
from dialectic.game import Game
from dialectic.scenario import FieldError, Scenario, ScenarioError, load_scenario, scenario_hash
from dialectic.strategies import StrategyCard, load_card, mediators, policies
from dialectic.trace import AgentSpec, EndEvent, EvaluationEvent, Header, OpeningEvent, Trace, TraceWriter

if TYPE_CHECKING:
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


def trace_name(scenario: Scenario, card: StrategyCard, seed: int, overrides: dict[str, str]) -> str:
    suffix = "".join(f"+{g}={p}" for g, p in sorted(overrides.items()))
    return re.sub(r"[^A-Za-z0-9_.=+\-]", "_", f"{scenario.name}__{card.name}{suffix}__seed{seed}") + ".jsonl"


def run_dialogue(
    scenario: str | Path | Scenario,
    strategy: str | StrategyCard = "dialectical",
    seed: int = 0,
    agents: dict[str, str] | None = None,
    out: str | Path = "runs",
    game: Game | None = None,
    evaluate: bool = True,
) -> RunResult:
    """Run one dialogue, writing its trace under `out`; returns the trace and its evaluation."""
    import time

    scenario_path = "" if isinstance(scenario, Scenario) else str(scenario)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    game = game if game is not None and game.scenario is scenario else Game(scenario)
    card = load_card(strategy) if isinstance(strategy, str) else strategy
    overrides = dict(agents or {})
    _check_overrides(card.name, overrides, game)
    card = card.with_agents(overrides)

    specs, built = [], {}
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

    path = Path(out) / trace_name(scenario, card, seed, overrides)
    with TraceWriter(path) as writer:
        session = Session(game, built, mediator, card.mutual_tolerance, seed, writer)
        header = Header(
            dialectic_version=__version__,
            scenario_name=scenario.name,
            scenario_path=scenario_path,
            scenario_hash=scenario_hash(scenario),
            strategy=card.name,
            protocol=card.protocol,
            mutual_tolerance=card.mutual_tolerance,
            mediator=None if card.mediator is None else card.mediator.policy,
            agents=specs,
            seed=seed,
            rounds=scenario.rounds,
            order=session.order,
        )
        space = game.space
        opening = OpeningEvent(
            speaker=game.opening.speaker,
            proposal=space.names(game.opening.proposal),
            views={g: space.names(v) for g, v in session.opening_views().items()},
        )
        writer.write(header)
        writer.write(opening)
        started = time.perf_counter()
        final = run_graph(session)
        elapsed = time.perf_counter() - started
        table = final["table"]
        reason = final["end"] or "round_limit"
        settled = session.passes(table) and reason != "deadlock"
        end = EndEvent(
            reason=reason,
            settlement=space.names(table.proposal) if settled and table.proposal is not None else None,
            accepted_by=[g for g in table.accepting() if g != MEDIATOR],
            rounds=session.round_of(max(final["turn"], 1)),
            turns=final["turn"],
        )
        writer.write(end)
        trace = Trace(path=path, header=header, opening=opening, moves=session.events, end=end)
        evaluation = None
        if evaluate:
            from dialectic.evaluate import evaluate as score

            evaluation = score(game, trace)
            event = EvaluationEvent(evaluation=evaluation.model_dump(mode="json"))
            writer.write(event)
            trace.evaluation = event
    return RunResult(trace=trace, evaluation=evaluation, seconds_dialogue=elapsed)
