"""The information boundary, checked by behaviour (DESIGN.md, "What an agent knows").

An agent's moves may depend only on its own group's reward model and reservation, the public dialogue
and the scenario's public parts. The check runs a real dialogue and records, for every agent, each
observation it acted on (the table, the public record, the turn, its generator's state) and the move it
made. Then, for each agent, it builds counterfactual games in which every OTHER group's reward and
reservation are random (dialectic.conformance._perturb), builds the agent afresh from the counterfactual
game (its own utility, the public game) and replays the same observations to it: every move must come
out identical. A policy that reads anything derived from other groups' rewards, by whatever path (an
attribute of the space, the garbage collector, the call stack, another group's served adapter), acts on
the random values and is caught. The unchanged game is replayed first, so a policy whose moves are not a
function of its observations is reported as that, not as a leak.

Mediators are exempt (they hold every reward model) and LLM policies are not replayed here (they draft
through a chat backend); every rational agent of the cast is checked, in mediated casts too.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dialectic.conformance._perturb import OthersRandomised, perturb_others
from dialectic.conformance._probe import PROBE
from dialectic.dialogue import ACTING, Move, Observation, PublicGame, Said, Table, run_graph
from dialectic.game import Game
from dialectic.scenario import Scenario, ServedReward, load_scenario
from dialectic.strategies import StrategyCard, load_card, policies

#: Probe dialogues per agent at most, and the moves after which no more are run.
PROBE_DIALOGUES = 8
PROBE_MOVES = 12
#: Round limit of a probe dialogue (the card's own dialogue runs under the scenario's).
PROBE_ROUNDS = 8


class ConformanceError(AssertionError):
    """A strategy broke a conformance rule; the message says which, where and how."""


@dataclass(frozen=True)
class Seen:
    """One observation an agent acted on, minus what belongs to its group (rebuilt per counterfactual)."""

    table: Table
    record: tuple[Said, ...]
    turn: int
    round: int
    rng: np.random.Generator


class _Recorder:
    """Wraps a rational policy: passes every call through and keeps (observation, move) pairs."""

    def __init__(self, inner: Any, log: list[tuple[Seen, Move]]):
        self.inner = inner
        self.log = log

    def act(self, obs: Observation) -> Move:
        seen = Seen(obs.table, tuple(obs.record), obs.turn, obs.round, copy.deepcopy(obs.rng))
        move = self.inner.act(obs)
        self.log.append((seen, move))
        return move


@dataclass
class BoundaryReport:
    """What was compared: per group, its policy and the number of moves replayed per game."""

    strategy: str
    scenario: str
    seed: int
    perturbations: int
    moves: dict[str, int] = field(default_factory=dict)
    policies: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        checked = ", ".join(f"{g} ({self.policies[g]}: {n} moves)" for g, n in self.moves.items())
        skipped = "".join(f"; {g} not replayed: {why}" for g, why in self.skipped.items())
        return (f"{self.strategy} on {self.scenario}, seed {self.seed}: identical moves under "
                f"{self.perturbations} counterfactual games for {checked or 'no agent'}{skipped}")


def _differences(recorded: Move, replayed: Move) -> list[str]:
    return [f.name for f in dataclasses.fields(Move) if getattr(recorded, f.name) != getattr(replayed, f.name)]


def _own_adapter(scenario: Scenario, group: str) -> str | None:
    reward = scenario.group(group).reward
    return reward.adapter if isinstance(reward, ServedReward) else None


def _replay(game: Game, card: StrategyCard, group: str, public0: PublicGame,
            log: list[tuple[Seen, Move]]) -> list[Move]:
    """The agent of ``group`` built afresh from ``game`` and fed the recorded observations; the public
    record of the run (opening, opening views) is the recorded one."""
    public = dataclasses.replace(PublicGame.of(game), opening=public0.opening, opening_views=public0.opening_views)
    entry = card.entry_for(group, public0.opening.speaker)
    spec = policies.get(entry.policy)
    agent = spec.build(spec.params.model_validate(entry.params), group, game.utilities[group], public)
    moves = []
    for seen, _ in log:
        obs = Observation(me=group, utility=game.utilities[group], public=public, table=seen.table,
                          record=seen.record, turn=seen.turn, round=seen.round, rng=copy.deepcopy(seen.rng))
        token = ACTING.set(group)
        try:
            moves.append(agent.act(obs))
        finally:
            ACTING.reset(token)
    return moves


def _compare(what: str, group: str, policy: str, log: list[tuple[Seen, Move]], moves: list[Move]) -> None:
    for (seen, recorded), replayed in zip(log, moves, strict=True):
        fields = _differences(recorded, replayed)
        if fields:
            detail = "; ".join(f"{name}: {getattr(recorded, name)!r} -> {getattr(replayed, name)!r}"
                               for name in fields)
            raise ConformanceError(f"{group} ({policy}) at turn {seen.turn}, {what}: {detail}")


def _record_run(scenario: Scenario, card: StrategyCard, seed: int, reward_backend: Any, checked: list[str] | None,
                report: BoundaryReport) -> tuple[PublicGame, dict[str, list[tuple[Seen, Move]]]]:
    """Run one dialogue with the listed agents recorded; the run's Game is released before returning."""
    from dialectic.backends.select import Backends
    from dialectic.runner import finish_run, prepare_run

    logs: dict[str, list[tuple[Seen, Move]]] = {}
    backends = None if reward_backend is None else Backends(kind="boundary-check", reward=reward_backend)
    with tempfile.TemporaryDirectory() as tmp:
        run = prepare_run(scenario, card, seed=seed, out=Path(tmp), game=Game(scenario, reward_backend),
                          evaluate=False, backends=backends)
        for group, agent in run.session.agents.items():
            if hasattr(agent, "adraft"):
                report.skipped[group] = "an LLM policy (drafts through a chat backend)"
            elif checked is None or group in checked:
                logs[group] = []
                run.session.agents[group] = _Recorder(agent, logs[group])
        try:
            final = run_graph(run.session)
        except BaseException:
            run.writer.close()
            raise
        finish_run(run, final, 0.0)
        public0 = run.session.public
    del run
    gc.collect()  # the recorded game is gone: a policy that finds "the" Game in memory finds a counterfactual one
    return public0, logs


def check_boundary(
    strategy: str | StrategyCard,
    scenario: str | Path | Scenario,
    *,
    seed: int = 0,
    perturbations: int = 2,
    agents: dict[str, str] | None = None,
    reward_backend: Any = None,
    groups: list[str] | None = None,
    against: str | None = PROBE,
) -> BoundaryReport:
    """Raise ConformanceError when some agent's moves change with other groups' rewards or reservations.

    The observations come from the card's own dialogue and, with ``against`` (a policy name), from one
    more dialogue per checked group in which every other group plays ``against`` (by default the probe,
    which tables a new random outcome every turn and accepts nothing), so the agent answers a long run of
    different proposals even where the card's own dialogue settles in a few turns. ``reward_backend``: the served reward models' client, for scenarios with
    served rewards. ``groups``: the agents to check (default: every group whose agent is rational)."""
    card = load_card(strategy) if isinstance(strategy, str) else strategy
    name = str(scenario) if not isinstance(scenario, Scenario) else scenario.name
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    card = card.with_agents(dict(agents or {}))
    report = BoundaryReport(card.name, name, seed, perturbations)
    dialogues: list[tuple[Scenario, StrategyCard, int, list[str] | None]] = [(scenario, card, seed, groups)]
    # The probe dialogues are shorter (the round limit is public, so the agent sees the limit it runs under).
    probing = scenario.model_copy(update={"rounds": min(scenario.rounds, PROBE_ROUNDS)})
    if against is not None:
        for group in groups or scenario.group_ids:
            others = {g: against for g in scenario.group_ids if g != group}
            # Where the agent can end a probe dialogue by accepting (two groups, a share majority), one
            # dialogue holds few moves: take more seeds until it has answered enough of them.
            dialogues += [(probing, card.with_agents(others), seed + k, [group]) for k in range(PROBE_DIALOGUES)]
    for played, cast, run_seed, checked in dialogues:
        if played is probing and checked and report.moves.get(checked[0], 0) >= PROBE_MOVES:
            continue
        public0, logs = _record_run(played, cast, run_seed, reward_backend, checked, report)
        for group, log in logs.items():
            policy = cast.entry_for(group, public0.opening.speaker).policy
            report.policies[group] = policy
            report.moves[group] = report.moves.get(group, 0) + len(log)
            _compare("replayed on the unchanged game (the policy's moves are not a function of its observations)",
                     group, policy, log, _replay(Game(played, reward_backend), cast, group, public0, log))
            gc.collect()
            for k in range(perturbations):
                counterfactual = perturb_others(played, group, seed=k)
                backend = None if reward_backend is None else OthersRandomised(
                    reward_backend, _own_adapter(scenario, group), seed=k)
                moves = _replay(Game(counterfactual, backend), cast, group, public0, log)
                _compare(f"with the other groups' rewards and reservations replaced at random (counterfactual {k}): "
                         "the move depends on information the agent may not have", group, policy, log, moves)
                gc.collect()
    return report
