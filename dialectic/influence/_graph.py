"""Build the influence graph of one run from its replayed dialogue.

Nodes: every participant with an opening view (the groups, in scenario order, then the mediator if
it proposed). Node attributes:
  kind             "group" or "mediator"
  opening_view     v^0 ({issue: option}); final_view v^T
  drift            D(v^0, v^T)
  pull             pull_a of DESIGN.md = the mean weight of a's out-edges (0 without out-edges)
  ai_wins_score    pull_a * (1 - drift): the AI-wins index is the max of it over the nodes
  view_changes     every change of the node's view (a mediator's: of its proposal), in order:
                   {turn, round, from, to, replies_to: [{turn, speaker}, ...]}, where replies_to
                   lists the utterances it answered: every move since the node's previous turn
                   (turn 0 is the opening proposal, answered by everyone's first move but its
                   speaker's)

Edges a -> g for every group g != a whose opening view differs from a's (D0 = D(v_g^0, v_a^0) > 0;
DESIGN.md skips the others in pull_a). Edge attributes:
  weight           (D0 - D(v_g^T, v_a^0)) / D0: the share of the way g moved toward a's opening view
                   (negative: g moved away)
  start_distance   D0; end_distance D(v_g^T, v_a^0)
  steps            the view changes of g that moved it toward or away from v_a^0, each
                   {turn, toward, cites}: toward = (D(from, v_a^0) - D(to, v_a^0)) / D0 (the steps'
                   toward values sum to the weight) and cites = the turns of a's utterances among
                   those the change answered

Graph attributes: scenario, strategy, seed, settlement, ai_wins, ai_wins_index, ai_wins_agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import networkx as nx

from dialectic.dialogue import MEDIATOR, Step
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.trace import Trace


class Wins(Protocol):
    """The AI-wins verdict (dialectic.evaluate's AIWins)."""

    @property
    def wins(self) -> bool: ...

    @property
    def index(self) -> float | None: ...

    @property
    def agent(self) -> str | None: ...


class Run(Protocol):
    """What the graph reads of a replayed run: dialectic.evaluate's Context has all of it (the graph
    shares its single replay), and `dialectic.evaluate.influence_graph(game, trace)` builds one."""

    @property
    def game(self) -> Game: ...  # its `measure` is the evaluator's distance D

    @property
    def trace(self) -> Trace: ...  # its header names the run

    @property
    def groups(self) -> Sequence[str]: ...

    @property
    def opening(self) -> Mapping[str, Outcome]: ...

    @property
    def final(self) -> Mapping[str, Outcome]: ...

    @property
    def settlement(self) -> Outcome | None: ...

    @property
    def steps(self) -> Sequence[Step]: ...

    @property
    def pulls(self) -> Mapping[str, float]: ...

    @property
    def wins(self) -> Wins: ...

    def named(self, outcome: Outcome) -> dict[str, str]: ...

    def named_or_none(self, outcome: Outcome | None) -> dict[str, str] | None: ...


@dataclass(frozen=True)
class Change:
    step: Step
    before: Outcome
    after: Outcome


def _view_changes(ctx: Run, node: str) -> list[Change]:
    """The node's view changes (a mediator's: proposal changes), in order."""
    changes: list[Change] = []
    if node == MEDIATOR:
        current: Outcome | None = None
        for step in ctx.steps:
            proposal = step.move.proposal
            if step.speaker != MEDIATOR or proposal is None or proposal == current:
                continue
            if current is not None:
                changes.append(Change(step, current, proposal))
            current = proposal
        return changes
    for step in ctx.steps:
        if step.speaker == node and step.view_changed:
            changes.append(Change(step, step.before.views[node], step.move.view))
    return changes


def _as_json(ctx: Run, change: Change) -> dict[str, Any]:
    step = change.step
    return {
        "turn": step.turn,
        "round": step.round,
        "from": ctx.named(change.before),
        "to": ctx.named(change.after),
        "replies_to": [u.as_json() for u in step.replies_to],
    }


def build_influence_graph(ctx: Run) -> nx.DiGraph:
    """The influence graph of a replayed run (an evaluation context: shares its single replay)."""
    space, header = ctx.game.measure, ctx.trace.header
    wins = ctx.wins
    graph = nx.DiGraph(
        scenario=header.scenario_name,
        strategy=header.strategy,
        seed=header.seed,
        settlement=ctx.named_or_none(ctx.settlement),
        ai_wins=wins.wins,
        ai_wins_index=wins.index,
        ai_wins_agent=wins.agent,
    )
    changes = {node: _view_changes(ctx, node) for node in ctx.opening}
    for node, opening in ctx.opening.items():
        drift = space.distance(opening, ctx.final[node])
        graph.add_node(
            node,
            kind="mediator" if node == MEDIATOR else "group",
            opening_view=ctx.named(opening),
            final_view=ctx.named(ctx.final[node]),
            drift=drift,
            pull=ctx.pulls[node],
            ai_wins_score=ctx.pulls[node] * (1 - drift),
            view_changes=[_as_json(ctx, change) for change in changes[node]],
        )
    for source, anchor in ctx.opening.items():
        for target in ctx.groups:
            first = space.distance(ctx.opening[target], anchor)
            if target == source or first == 0:
                continue
            last = space.distance(ctx.final[target], anchor)
            steps = []
            for change in changes[target]:
                moved = space.distance(change.before, anchor) - space.distance(change.after, anchor)
                if moved == 0:
                    continue
                cites = [u.turn for u in change.step.replies_to if u.speaker == source]
                steps.append({"turn": change.step.turn, "toward": moved / first, "cites": cites})
            graph.add_edge(
                source, target, weight=(first - last) / first, start_distance=first, end_distance=last, steps=steps
            )
    return graph
