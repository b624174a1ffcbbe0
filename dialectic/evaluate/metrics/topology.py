"""Communication topology (issue 13, item 2; docs/topologies.md): how far each group was from the settlement's
first proposer and how long the settled outcome took to reach it. Left out of runs whose trace records no
topology (everyone heard everyone: hops are 0 or 1 and spread is the speaking order, nothing to report), so
their evaluations are written as before.

The graph is the header's recorded edge list (the run's configuration, like its protocol); everything else
is the replay's: the settlement, who first tabled it and when, and what each group observed at its turns.

- The settlement's **first proposer** is who first tabled the settled outcome as a proposal: the opening
  speaker when it was the opening proposal (turn 0), else the speaker (a group or the mediator) of the first
  move proposing it, at turn t0.
- ``settlement_hops``: per group, the shortest-path length from the first proposer to the group (0 for the
  proposer itself).
- ``spread_turns``: per group, t - t0 for the group's first turn t > t0 whose observation showed the settled
  outcome: on the table before its move (the proposal or any group's view: the table is public), or in a
  move it heard (its neighbours', the mediator's if it hears it, its own) as a proposal or a view. 0 for the
  first proposer; null when the run ended before the group saw it.
- ``heard_turns``: the same, counting heard moves only, not the table: how far the outcome travelled along
  the topology itself.

All three are null without a settlement.
"""

from __future__ import annotations

from typing import Any

from dialectic.dialogue import MEDIATOR
from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import OMIT, metric
from dialectic.topology import graph_of


def first_proposer(ctx: Context) -> tuple[str, int] | None:
    """(who, turn) first tabled the settlement as a proposal; None without a settlement."""
    settlement = ctx.settlement
    if settlement is None:
        return None
    if ctx.run.opening.proposal == settlement:
        return ctx.trace.opening.speaker, 0
    for step in ctx.steps:
        if step.move.proposal == settlement:
            return step.speaker, step.turn
    return None  # a settlement nobody proposed cannot be replayed; kept total


def _hears(ctx: Context) -> dict[str, set[str]]:
    topology = ctx.trace.header.topology
    assert topology is not None
    nodes = [*ctx.groups, *([MEDIATOR] if ctx.mediated else [])]
    graph = graph_of(nodes, topology.edges)
    return {str(n): {str(m) for m in graph.neighbors(n)} for n in graph.nodes}


def spread(ctx: Context, table: bool) -> dict[str, int | None] | None:
    """Per group, turns from the first tabling of the settlement until the group first observed it (module
    docstring); `table` False counts heard moves only."""
    first = first_proposer(ctx)
    if first is None:
        return None
    proposer, t0 = first
    settled = ctx.settlement
    hears = _hears(ctx)
    heard = dict.fromkeys(ctx.groups, False)
    seen: dict[str, int | None] = dict.fromkeys(ctx.groups, None)
    if proposer in seen:
        seen[proposer] = 0
    for step in ctx.steps:
        speaker = step.speaker
        if speaker in seen and seen[speaker] is None and step.turn > t0:
            on_table = table and (step.before.proposal == settled or settled in step.before.views.values())
            if heard[speaker] or on_table:
                seen[speaker] = step.turn - t0
        if step.move.proposal == settled or step.move.view == settled:
            for group in ctx.groups:
                if group == speaker or speaker in hears.get(group, ()):
                    heard[group] = True
    return seen


@metric("settlement_hops", "Per group, shortest-path hops in the run's topology from the settlement's first "
        "proposer (opening speaker, group or mediator) to the group; null: no settlement; left out when "
        "everyone heard everyone.")
def settlement_hops(ctx: Context) -> Any:
    if ctx.trace.header.topology is None:
        return OMIT
    first = first_proposer(ctx)
    if first is None:
        return None
    import networkx as nx

    topology = ctx.trace.header.topology
    graph = graph_of([*ctx.groups, *([MEDIATOR] if ctx.mediated else [])], topology.edges)
    lengths = nx.single_source_shortest_path_length(graph, first[0]) if first[0] in graph else {}
    return {g: lengths.get(g) for g in ctx.groups}


@metric("spread_turns", "Per group, turns from the settlement's first tabling until the group's first turn "
        "whose observation (the public table, or a move it heard) showed the settled outcome; 0: the "
        "proposer; null: never (or no settlement); left out when everyone heard everyone.")
def spread_turns(ctx: Context) -> Any:
    if ctx.trace.header.topology is None:
        return OMIT
    return spread(ctx, table=True)


@metric("heard_turns", "As spread_turns, counting only moves the group heard (its neighbours', its own, the "
        "mediator's if it hears it) that stated the settled outcome as a proposal or a view, not the table.")
def heard_turns(ctx: Context) -> Any:
    if ctx.trace.header.topology is None:
        return OMIT
    return spread(ctx, table=False)
