"""Communication topologies (issue 13, item 2; docs/topologies.md): who hears whom, built as a networkx graph;
an agent's observation holds only its neighbours' moves and its own (the table stays public); the complete
topology changes nothing; bad topologies are located errors; the evaluator's hops and spread, by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from dialectic.dialogue import Move, Observation, run_graph
from dialectic.evaluate import evaluate
from dialectic.game import Game
from dialectic.runner import finish_run, prepare_run, run_dialogue
from dialectic.scenario import ScenarioError, load_scenario
from dialectic.strategies import StrategyCard, load_card
from dialectic.topology import Topology
from tests.conftest import SCENARIOS

SEVEN = SCENARIOS / "seven-party.yaml"  # 7 groups: a ring is far from complete
GROUPS = [f"group-{i}" for i in range(7)]


def _ring_neighbours(group: str) -> set[str]:
    i = GROUPS.index(group)
    return {GROUPS[(i - 1) % 7], GROUPS[(i + 1) % 7]}


class _Recording:
    """Plays the wrapped policy and keeps every observation it was given."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.seen: list[tuple[Observation, tuple[Any, ...]]] = []

    def act(self, obs: Observation) -> Move | None:
        self.seen.append((obs, tuple(obs.record)))  # the record as it was at this turn
        return self.inner.act(obs)


def test_on_a_ring_an_agent_observes_only_its_neighbours_and_its_own_moves(tmp_path: Path) -> None:
    run = prepare_run(SEVEN, "dialectical-ring", seed=0, out=tmp_path)
    session = run.session
    recorders = {g: _Recording(agent) for g, agent in session.agents.items()}
    session.agents = dict(recorders)
    final = run_graph(session)
    finish_run(run, final, 0.0)
    said = session.said
    unheard = 0
    for group, recorder in recorders.items():
        assert recorder.seen
        allowed = _ring_neighbours(group) | {group}
        for obs, record in recorder.seen:
            before = said[: obs.turn - 1]  # every move made before this turn
            expected = [s for s in before if s.speaker in allowed]
            assert list(record) == expected
            missed = [s for s in before if s.speaker not in allowed]
            unheard += len(missed)
            # The table is common: every group's view is on it, heard or not.
            assert set(obs.table.views) == set(GROUPS)
            for s in missed:
                assert s not in record
    assert unheard > 0  # the ring did hide moves (a complete topology would show them all)
    header = run.header.topology
    assert header is not None and header.kind == "ring" and len(header.edges) == 7


def test_star_small_world_and_edges_build_the_graph_they_name() -> None:
    star = Topology(kind="star").build(GROUPS, "group-3", mediated=False)
    assert set(star.edges) == {("group-3", g) for g in GROUPS if g != "group-3"} or \
        {frozenset(e) for e in star.edges} == {frozenset(("group-3", g)) for g in GROUPS if g != "group-3"}
    around = Topology(kind="star").build(GROUPS, "group-3", mediated=True)  # default center: the mediator
    assert {frozenset(e) for e in around.edges} == {frozenset(("mediator", g)) for g in GROUPS}
    centred = Topology(kind="star", center="group-1").build(GROUPS, "group-3", mediated=True)
    assert centred.degree["group-1"] == 7 and centred.degree["mediator"] == 7 and centred.degree["group-5"] == 2
    small = Topology(kind="small-world", k=4, p=0.3, seed=7)
    a, b = small.build(GROUPS, "group-0", False), small.build(GROUPS, "group-0", False)
    assert nx.is_connected(a) and set(a.nodes) == set(GROUPS)
    assert {frozenset(e) for e in a.edges} == {frozenset(e) for e in b.edges}  # reproducible by seed
    lattice = Topology(kind="small-world", k=4, p=0.0).build(GROUPS, "group-0", False)
    assert all(d == 4 for _, d in lattice.degree)
    edges = Topology(kind="edges", edges=[("group-0", "group-1"), ("group-1", "group-2")])
    graph = edges.build(GROUPS[:3], "group-0", False)
    assert {frozenset(e) for e in graph.edges} == {frozenset(("group-0", "group-1")), frozenset(("group-1", "group-2"))}
    ring = Topology(kind="ring").build(GROUPS, "group-0", False)
    assert nx.cycle_basis(ring) and all(d == 2 for _, d in ring.degree)


def _card_file(tmp_path: Path, topology: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ndescription: x\nmutual_tolerance: true\ncast:\n  default: dialectical\n"
                    f"topology:\n{topology}")
    return path


def test_a_bad_topology_is_a_located_error(tmp_path: Path) -> None:
    card = _card_file(tmp_path, "  kind: edges\n  edges: [[group-0, group-9]]\n")
    with pytest.raises(ScenarioError) as unknown:
        prepare_run(SEVEN, str(card), out=tmp_path / "runs")
    error = unknown.value.errors[0]
    assert (error.file, error.path) == (str(card), "topology.edges[0][1]")
    assert "a group id" in error.expected and "group-9" in error.found
    cut = _card_file(tmp_path, "  kind: edges\n  edges: [[group-0, group-1], [group-2, group-3]]\n")
    with pytest.raises(ScenarioError) as disconnected:
        prepare_run(SEVEN, str(cut), out=tmp_path / "runs")
    assert disconnected.value.errors[0].path == "topology.edges"
    assert "connected" in disconnected.value.errors[0].expected
    odd = _card_file(tmp_path, "  kind: small-world\n  k: 3\n")
    with pytest.raises(ScenarioError) as odd_k:
        load_card(str(odd))
    assert (odd_k.value.errors[0].file, odd_k.value.errors[0].path) == (str(odd), "topology.k")
    stray = _card_file(tmp_path, "  kind: ring\n  center: group-0\n")
    with pytest.raises(ScenarioError) as stray_field:
        load_card(str(stray))
    assert stray_field.value.errors[0].path == "topology.center"
    big = _card_file(tmp_path, "  kind: small-world\n  k: 8\n")
    with pytest.raises(ScenarioError) as too_big:
        prepare_run(SEVEN, str(big), out=tmp_path / "runs")
    assert too_big.value.errors[0].path == "topology.k" and "fewer" in too_big.value.errors[0].expected
    # A scenario's own topology is checked when the scenario loads, located in its file.
    scenario = tmp_path / "seven.yaml"
    scenario.write_text(SEVEN.read_text() + "\ntopology:\n  kind: star\n  center: nobody\n")
    with pytest.raises(ScenarioError) as in_scenario:
        load_scenario(scenario)
    assert (in_scenario.value.errors[0].file, in_scenario.value.errors[0].path) == (str(scenario), "topology.center")


def test_the_complete_topology_writes_the_same_trace_as_none(tmp_path: Path) -> None:
    plain = load_card("dialectical")
    complete = plain.model_copy(update={"topology": Topology(kind="complete")})
    game = Game(load_scenario(SEVEN))
    a = run_dialogue(SEVEN, plain, seed=1, out=tmp_path / "a", game=game)
    b = run_dialogue(SEVEN, complete, seed=1, out=tmp_path / "b", game=game)
    assert a.trace_path.read_bytes() == b.trace_path.read_bytes()
    assert '"topology"' not in a.trace_path.read_text().splitlines()[0]
    # A card without a topology keeps its dump (and so its run digest and trace name) as before.
    assert "topology" not in plain.model_dump(mode="json")


def test_a_scenario_topology_applies_and_a_cards_wins(tmp_path: Path) -> None:
    scenario = tmp_path / "seven.yaml"
    scenario.write_text(SEVEN.read_text() + "\ntopology:\n  kind: star\n")
    run = prepare_run(scenario, "dialectical", out=tmp_path / "a")
    assert run.header.topology is not None and run.header.topology.kind == "star"
    assert run.session.hears is not None and run.session.hears["group-2"] == {"group-0"}  # the opening speaker
    run.writer.close()
    ring = prepare_run(scenario, "dialectical-ring", out=tmp_path / "b")
    assert ring.header.topology is not None and ring.header.topology.kind == "ring"
    ring.writer.close()


class _Script:
    """A scripted agent: at each turn, the move its script gives (view unchanged unless scripted)."""

    def __init__(self, me: str, script: dict[int, dict[str, Any]]):
        self.me, self.script = me, script

    def act(self, obs: Observation) -> Move:
        step = self.script.get(obs.turn, {})
        return Move(speaker=self.me, view=step.get("view", obs.my_view), proposal=step.get("proposal"),
                    accepts=step.get("accepts", True if obs.table.proposal is not None else None))


def test_hops_and_spread_on_a_hand_worked_ring(tmp_path: Path) -> None:
    """seven-party (quorum 5), a ring over group-0 ... group-6; speaking order group-1 ... group-6, group-0.
    Turn 1: group-1 tables x. Turn 2: group-2 accepts and takes x as its view. Turns 3, 4: group-3, group-4
    reject. Turns 5-7: group-5, group-6, group-0 accept: 5 accept at turn 7, x is settled.
    Hops from group-1 along the ring: group-0 and group-2 1, group-3 and group-6 2, group-4 and group-5 3.
    Spread (the table shows x from turn 1): each group's first turn after turn 1, minus 1.
    Heard: group-2 heard turn 1 (neighbour); group-3 heard group-2's view at turn 2; group-0 heard turn 1 and
    speaks at turn 7; group-4, group-5, group-6 never hear a move stating x."""
    card = StrategyCard(name="ring-script", description="scripted", cast={"default": "linear"},
                        topology=Topology(kind="ring"))
    run = prepare_run(SEVEN, card, seed=0, out=tmp_path)
    game = run.game
    opening = set(map(tuple, run.session.opening_views().values())) | {tuple(game.opening.proposal)}
    x = next(game.space.at(i) for i in range(len(game.space.outcomes)) if tuple(game.space.at(i)) not in opening)
    scripts: dict[str, dict[int, dict[str, Any]]] = {
        "group-1": {1: {"proposal": x, "accepts": False}},
        "group-2": {2: {"view": x, "accepts": True}},
        "group-3": {3: {"accepts": False}},
        "group-4": {4: {"accepts": False}},
    }
    run.session.agents = {g: _Script(g, scripts.get(g, {})) for g in GROUPS}
    result = finish_run(run, run_graph(run.session), 0.0)
    evaluation = result.evaluation
    assert evaluation is not None and evaluation.turns == 7 and evaluation.settlement == game.space.names(x)
    metrics = evaluation.metrics
    assert metrics["settlement_hops"] == {"group-0": 1, "group-1": 0, "group-2": 1, "group-3": 2, "group-4": 3,
                                          "group-5": 3, "group-6": 2}
    assert metrics["spread_turns"] == {"group-0": 6, "group-1": 0, "group-2": 1, "group-3": 2, "group-4": 3,
                                       "group-5": 4, "group-6": 5}
    assert metrics["heard_turns"] == {"group-0": 6, "group-1": 0, "group-2": 1, "group-3": 2, "group-4": None,
                                      "group-5": None, "group-6": None}


def test_verdicts_are_defined_on_the_whole_population_whatever_the_topology(tmp_path: Path) -> None:
    """The same moves scored with and without the recorded topology: every verdict is the same; only the
    topology's own metrics differ (left out without one)."""
    game = Game(load_scenario(SEVEN))
    result = run_dialogue(SEVEN, "linear-star", seed=0, out=tmp_path, game=game)
    with_topology = evaluate(game, result.trace).model_dump(mode="json")
    trace = result.trace
    trace.header = trace.header.model_copy(update={"topology": None})
    without = evaluate(game, trace).model_dump(mode="json")
    extra = {"settlement_hops", "spread_turns", "heard_turns"}
    assert set(with_topology["metrics"]) - set(without["metrics"]) == extra
    for name in extra:
        with_topology["metrics"].pop(name)
    assert with_topology == without
    assert with_topology["label"] == "settled"
