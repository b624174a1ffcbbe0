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

LLM agents (given a chat backend) are recorded with every chat request they sent and its reply; on
replay they are answered from that record, so each counterfactual agent must send exactly the recorded
requests (its prompt, schema and seeds may not depend on other groups) and its reward step must choose
the recorded move; no model is called again, so this holds where sampling is not reproducible. Mediators
are exempt (they hold every reward model); every agent of the cast is checked, in mediated casts too.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import gc
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from dialectic.conformance._perturb import OthersRandomised, perturb_others
from dialectic.conformance._probe import CRITIC_PROBE, PROBE
from dialectic.dialogue import (
    ACTING,
    Drafting,
    Move,
    Observation,
    PublicGame,
    Said,
    Table,
    arun_graph,
    run_graph,
)
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


#: One chat request an LLM agent sent at a turn (its exact messages, schema and sampling) and the reply.
Exchange = tuple[str, Any]


@dataclass(frozen=True)
class Entry:
    """What an agent saw at one turn, what it sent a chat model (LLM agents) and the move it played."""

    seen: Seen
    move: Move
    exchanges: tuple[Exchange, ...] = ()


def _request_key(messages: Any, schema: Any, **settings: Any) -> str:
    return json.dumps({"messages": messages, "schema": schema, "settings": settings}, sort_keys=True, default=str)


class _TapChat:
    """Passes an LLM agent's requests to the chat backend and keeps each request with its reply."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def complete_json(self, messages: Any, schema: dict[str, Any], **settings: Any) -> Any:
        reply = await self.inner.complete_json(messages, schema, **settings)
        self.exchanges.append((_request_key(messages, schema, **settings), reply))
        return reply


class PromptChanged(Exception):
    """A replayed LLM agent sent a request it did not send in the recorded run."""

    def __init__(self, recorded: str | None, replayed: str):
        self.recorded, self.replayed = recorded, replayed


class _ReplayChat:
    """Answers a replayed LLM agent with the recorded replies, as long as it sends the recorded requests
    (so the check needs no model calls and holds even where sampling is not reproducible)."""

    def __init__(self, exchanges: tuple[Exchange, ...]):
        self.exchanges = exchanges
        self.sent = 0

    async def complete_json(self, messages: Any, schema: dict[str, Any], **settings: Any) -> Any:
        key = _request_key(messages, schema, **settings)
        for recorded, reply in self.exchanges:
            if recorded == key:
                self.sent += 1
                return reply
        raise PromptChanged(self.exchanges[min(self.sent, len(self.exchanges) - 1)][0] if self.exchanges else None,
                            key)


def _first_difference(recorded: str | None, replayed: str) -> str:
    if recorded is None:
        return "a chat request the recorded run never sent"
    a, b = json.loads(recorded), json.loads(replayed)
    for part in ("schema", "settings"):
        if a[part] != b[part]:
            return f"the request's {part} differs"
    for k, (x, y) in enumerate(zip(a["messages"], b["messages"], strict=False)):
        if x != y:
            at = next((i for i, (c, d) in enumerate(zip(x.get("content", ""), y.get("content", ""))) if c != d),
                      min(len(x.get("content", "")), len(y.get("content", ""))))
            return (f"prompt message {k} ({x.get('role')}) differs at character {at}: "
                    f"{x.get('content', '')[max(0, at - 40):at + 60]!r} -> {y.get('content', '')[max(0, at - 40):at + 60]!r}")
    return f"the prompt has {len(b['messages'])} messages, recorded {len(a['messages'])}"


class _Recorder:
    """Wraps a rational policy: passes every call through and keeps what it saw and played."""

    def __init__(self, inner: Any, log: list[Entry]):
        self.inner = inner
        self.log = log

    def act(self, obs: Observation) -> Move:
        seen = Seen(obs.table, tuple(obs.record), obs.turn, obs.round, copy.deepcopy(obs.rng))
        move = self.inner.act(obs)
        self.log.append(Entry(seen, move))
        return move


class _DraftRecorder:
    """Wraps an LLM policy (dialogue.Drafting): keeps what it saw, the chat requests it sent with their
    replies, and the move its reward step chose."""

    def __init__(self, inner: Any, log: list[Entry]):
        self.inner = inner
        self.log = log
        self._pending: tuple[Seen, _TapChat] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def adraft(self, obs: Observation, chat: Any) -> Any:
        tap = _TapChat(chat)
        self._pending = (Seen(obs.table, tuple(obs.record), obs.turn, obs.round, copy.deepcopy(obs.rng)), tap)
        return await self.inner.adraft(obs, tap)

    async def achoose(self, draft: Any, table: Table, turn: int) -> tuple[Move | None, Any]:
        move, generation = await self.inner.achoose(draft, table, turn)
        assert self._pending is not None
        seen, tap = self._pending
        if move is not None:
            self.log.append(Entry(seen, move, tuple(tap.exchanges)))
        return move, generation


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
    #: Statements generated in the recorded dialogues (LLM agents with free views), replayed like the rest.
    generated: int = 0

    def summary(self) -> str:
        checked = ", ".join(f"{g} ({self.policies[g]}: {n} moves)" for g, n in self.moves.items())
        skipped = "".join(f"; {g} not replayed: {why}" for g, why in self.skipped.items())
        generated = f" ({self.generated} generated statements)" if self.generated else ""
        return (f"{self.strategy} on {self.scenario}, seed {self.seed}: identical moves under "
                f"{self.perturbations} counterfactual games for {checked or 'no agent'}{generated}{skipped}")


def _differences(recorded: Move, replayed: Move) -> list[str]:
    return [f.name for f in dataclasses.fields(Move) if getattr(recorded, f.name) != getattr(replayed, f.name)]


def _own_adapter(scenario: Scenario, group: str) -> str | None:
    reward = scenario.group(group).reward
    return reward.adapter if isinstance(reward, ServedReward) else None


def _own_output(scenario: Scenario, group: str) -> tuple[str, str | int] | None:
    """The group's (model, output) when its reward is one output of a multi-output served model."""
    reward = scenario.group(group).reward
    if isinstance(reward, ServedReward) and reward.model is not None and reward.output is not None:
        return reward.model, reward.output
    return None


async def _replay(game: Game, card: StrategyCard, group: str, public0: PublicGame, log: list[Entry],
                  what: str) -> list[Move]:
    """The agent of ``group`` built afresh from ``game`` and fed the recorded observations; the public
    record of the run (opening, opening views) is the recorded one. An LLM agent is answered from the
    recorded chat replies and must send the recorded requests. Statements generated during the recorded
    run (free views) were said in public: the game's pool admits them first, numbered as the run did."""
    adopt = getattr(game.space, "adopt", None)
    if adopt is not None:
        adopt(public0.space)
    public = dataclasses.replace(PublicGame.of(game), opening=public0.opening, opening_views=public0.opening_views)
    entry = card.entry_for(group, public0.opening.speaker)
    spec = policies.get(entry.policy)
    agent = spec.build(spec.params.model_validate(entry.params), group, game.utilities[group], public)
    moves = []
    for said in log:
        seen = said.seen
        obs = Observation(me=group, utility=game.utilities[group], public=public, table=seen.table,
                          record=seen.record, turn=seen.turn, round=seen.round, rng=copy.deepcopy(seen.rng))
        token = ACTING.set(group)
        try:
            if hasattr(agent, "adraft"):
                drafting = cast(Drafting, agent)
                try:
                    draft = await drafting.adraft(obs, _ReplayChat(said.exchanges))
                except PromptChanged as changed:
                    raise ConformanceError(f"{group} ({entry.policy}) at turn {seen.turn}, {what}: "
                                           f"{_first_difference(changed.recorded, changed.replayed)}") from None
                move, _ = await drafting.achoose(draft, seen.table, seen.turn)
                assert move is not None
                moves.append(move)
            else:
                moves.append(agent.act(obs))
        finally:
            ACTING.reset(token)
    return moves


def _compare(what: str, group: str, policy: str, log: list[Entry], moves: list[Move]) -> None:
    for said, replayed in zip(log, moves, strict=True):
        fields = _differences(said.move, replayed)
        if fields:
            detail = "; ".join(f"{name}: {getattr(said.move, name)!r} -> {getattr(replayed, name)!r}"
                               for name in fields)
            raise ConformanceError(f"{group} ({policy}) at turn {said.seen.turn}, {what}: {detail}")


def _check_replays(played: Scenario, cast: StrategyCard, group: str, public0: PublicGame, log: list[Entry],
                   reward_backend: Any, perturbations: int) -> None:
    policy = cast.entry_for(group, public0.opening.speaker).policy
    unchanged = "replayed on the unchanged game (the policy's moves are not a function of its observations)"
    moves = asyncio.run(_replay(Game(played, reward_backend), cast, group, public0, log, unchanged))
    _compare(unchanged, group, policy, log, moves)
    gc.collect()
    for k in range(perturbations):
        what = (f"with the other groups' rewards and reservations replaced at random (counterfactual {k}): "
                "the move depends on information the agent may not have")
        counterfactual = perturb_others(played, group, seed=k)
        backend = None if reward_backend is None else OthersRandomised(
            reward_backend, _own_adapter(played, group), seed=k, own_output=_own_output(played, group))
        moves = asyncio.run(_replay(Game(counterfactual, backend), cast, group, public0, log, what))
        _compare(what, group, policy, log, moves)
        gc.collect()


def _record_run(scenario: Scenario, card: StrategyCard, seed: int, reward_backend: Any, chat_backend: Any,
                checked: list[str] | None, report: BoundaryReport) -> tuple[PublicGame, dict[str, list[Entry]]]:
    """Run one dialogue with the listed agents recorded; the run's Game is released before returning."""
    from dialectic.backends.select import Backends
    from dialectic.runner import finish_run, prepare_run

    logs: dict[str, list[Entry]] = {}
    backends = None if reward_backend is None and chat_backend is None else Backends(
        kind="boundary-check", chat=chat_backend, reward=reward_backend)
    with tempfile.TemporaryDirectory() as tmp:
        run = prepare_run(scenario, card, seed=seed, out=Path(tmp), game=Game(scenario, reward_backend),
                          evaluate=False, backends=backends)
        for group, agent in run.session.agents.items():
            if checked is not None and group not in checked:
                continue
            logs[group] = []
            drafts = hasattr(agent, "adraft")
            run.session.agents[group] = (_DraftRecorder if drafts else _Recorder)(agent, logs[group])
        try:
            final = asyncio.run(arun_graph(run.session)) if run.session.staged else run_graph(run.session)
        except BaseException:
            run.writer.close()
            raise
        finish_run(run, final, 0.0)
        public0 = run.session.public
        report.generated += len(run.session.statements)
    del run
    gc.collect()  # the recorded game is gone: a policy that finds "the" Game in memory finds a counterfactual one
    return public0, logs


def _opener_settles_alone(scenario: Scenario, group: str) -> bool:
    """Whether ``group`` is the opening speaker and its standing acceptance of the opening proposal alone passes
    the rule: a mediator that re-tables the opening proposal at the first turn (an election the opener's share
    wins) then settles before the checked agent ever moves."""
    opening = scenario.opening.speaker if scenario.opening is not None else scenario.group_ids[0]
    if group != opening or any(g.veto for g in scenario.groups if g.id != group):
        return False
    rule = scenario.agreement
    if rule.rule == "majority":
        return scenario.group(group).share > rule.majority_threshold
    if rule.rule == "quorum":
        return (rule.min_accept or 1) <= 1
    return len(scenario.groups) == 1


def _settles_without(scenario: Scenario, group: str) -> bool:
    """Whether the other groups' acceptances alone can settle a proposal under the scenario's rule."""
    if scenario.group(group).veto:
        return False
    rule, others = scenario.agreement, [g for g in scenario.groups if g.id != group]
    if rule.rule == "majority":
        return sum(g.share for g in others) > rule.majority_threshold
    if rule.rule == "quorum":
        return len(others) >= (rule.min_accept or 1)
    return False


def _probing(scenario: Scenario, group: str) -> Scenario:
    """The scenario a probe dialogue for ``group`` plays: fewer rounds (the round limit is public, so the agent
    sees the limit it runs under), and, where the other groups could settle without the checked agent (a 10:1
    share majority), or where the checked agent is the opening speaker whose standing acceptance alone passes the
    rule (a 51:49 share majority, under a mediator re-tabling the opening proposal), the unanimous rule, since a
    probe's own proposal (a proposer accepts its own) would otherwise settle at the first turn and the agent
    would never move (both are public parts: the
    counterfactual games keep them)."""
    update: dict[str, Any] = {"rounds": min(scenario.rounds, PROBE_ROUNDS)}
    if _settles_without(scenario, group) or _opener_settles_alone(scenario, group):
        update["agreement"] = scenario.agreement.model_copy(
            update={"rule": "unanimous", "min_accept": None, "threshold": None})
    return scenario.model_copy(update=update)


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
    chat_backend: Any = None,
) -> BoundaryReport:
    """Raise ConformanceError when some agent's moves change with other groups' rewards or reservations.

    The observations come from the card's own dialogue and, with ``against`` (a policy name), from one
    more dialogue per checked group in which every other group plays ``against`` (by default the probe,
    which tables a new random outcome every turn and accepts nothing), so the agent answers a long run of
    different proposals even where the card's own dialogue settles in a few turns (an LLM agent gets one
    probe dialogue). ``reward_backend``: the served reward models' client, for scenarios
    with served rewards; ``chat_backend``: the chat model's, for casts with LLM agents (without it they
    are skipped, and the report says so). ``groups``: the agents to check (default: all)."""
    card = load_card(strategy) if isinstance(strategy, str) else strategy
    name = str(scenario) if not isinstance(scenario, Scenario) else scenario.name
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    card = card.with_agents(dict(agents or {}))
    report = BoundaryReport(card.name, name, seed, perturbations)
    opening = scenario.opening.speaker if scenario.opening is not None else scenario.group_ids[0]
    drafting = {g for g in scenario.group_ids if policies.get(card.entry_for(g, opening).policy).needs_chat}
    if drafting and chat_backend is None:
        report.skipped.update({g: "an LLM policy: pass a chat backend (--endpoints) to check it" for g in drafting})
    checked_groups = [g for g in (groups or scenario.group_ids) if g not in drafting or chat_backend is not None]
    dialogues: list[tuple[Scenario, StrategyCard, int, list[str], bool]] = [
        (scenario, card, seed, checked_groups, False)]
    if against == PROBE and card.protocol == "mediated-critique":
        against = CRITIC_PROBE  # only the mediator tables proposals there
    if against is not None:
        for group in checked_groups:
            probing = _probing(scenario, group)
            others = {g: against for g in scenario.group_ids if g != group}
            # Where the agent can end a probe dialogue by accepting (two groups, a share majority), one
            # dialogue holds few moves: take more seeds until it has answered enough of them (an LLM
            # agent, whose moves cost model calls, gets one probe dialogue).
            count = 1 if group in drafting else PROBE_DIALOGUES
            dialogues += [(probing, card.with_agents(others), seed + k, [group], True) for k in range(count)]
    # The check collects garbage after every run it plays (so a policy searching memory for "the" Game finds
    # only the one it plays in). Each full collection scans every live object: with torch and transformers
    # loaded that is ~500k objects, and a check on harbour-sport-park took 3x as long (measured 5.5 s -> 15.9
    # s). What was alive before the check is frozen (not scanned) while it runs, unless the caller has frozen
    # objects itself, whose freeze is left alone.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.collect()
        gc.freeze()
    try:
        for played, cast_card, run_seed, checked, probe in dialogues:
            if not checked or (probe and report.moves.get(checked[0], 0) >= PROBE_MOVES):
                continue
            public0, logs = _record_run(played, cast_card, run_seed, reward_backend, chat_backend, checked, report)
            for group, log in logs.items():
                report.policies[group] = cast_card.entry_for(group, public0.opening.speaker).policy
                report.moves[group] = report.moves.get(group, 0) + len(log)
                _check_replays(played, cast_card, group, public0, log, reward_backend, perturbations)
    finally:
        if freeze:
            gc.unfreeze()
    return report
