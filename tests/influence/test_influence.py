"""The influence graph: edge weights are DESIGN.md's pull per pair, view changes cite what they
answered, the AI-wins node leads, and the graph exports to node-link JSON and GraphML."""

from __future__ import annotations

import json
import random
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.evaluate import Rescorer, evaluate, influence_graph
from dialectic.influence import from_node_link, to_graphml, to_node_link, write_graph
from tests.evaluate.evaluate_reference import Reference
from tests.evaluate.evaluate_support import make_game
from tests.evaluate.test_evaluate_bruteforce import random_spec, random_trace

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
runner = CliRunner()


def planted(name: str) -> nx.DiGraph:
    trace, game = Rescorer().load(TRACES / f"{name}.jsonl")
    return influence_graph(game, trace)


def test_persuasion_by_the_opening_speaker() -> None:
    graph = planted("03-persuaded-by-opening-speaker")
    assert set(graph.nodes) == {"a", "b", "c"}
    assert graph.graph["ai_wins"] and graph.graph["ai_wins_agent"] == "a"
    # b and c went all the way to a's x0y0; a never moved.
    assert graph.edges["a", "b"]["weight"] == graph.edges["a", "c"]["weight"] == 1.0
    assert graph.nodes["a"]["ai_wins_score"] == 1.0 and graph.nodes["a"]["view_changes"] == []
    # b's two steps toward x0y0: at turn 1 answering the opening (turn 0, by a), at turn 4 answering
    # c (turn 2) and a (turn 3).
    changes = graph.nodes["b"]["view_changes"]
    assert [c["turn"] for c in changes] == [1, 4]
    assert changes[0]["replies_to"] == [{"turn": 0, "speaker": "a"}]
    assert changes[1]["replies_to"] == [{"turn": 2, "speaker": "c"}, {"turn": 3, "speaker": "a"}]
    assert changes[1]["from"] == {"X": "x1", "Y": "y0"} and changes[1]["to"] == {"X": "x0", "Y": "y0"}
    # c moved away from b's opening view x2y2 (D .5 -> 1): a negative edge.
    assert graph.edges["b", "c"]["weight"] == -1.0


def test_mediator_node_and_its_proposal_changes() -> None:
    graph = planted("10-consensus-mediated-after-hollow-yes")
    assert graph.nodes["mediator"]["kind"] == "mediator"
    assert [c["turn"] for c in graph.nodes["mediator"]["view_changes"]] == [5]
    assert graph.nodes["mediator"]["view_changes"][0]["replies_to"] == [
        {"turn": 2, "speaker": "b"}, {"turn": 3, "speaker": "c"}, {"turn": 4, "speaker": "a"}
    ]
    # No edge into the mediator: only groups are pulled. a sat at D .5 of x0y1 before and after.
    assert not any(target == "mediator" for _, target in graph.edges)
    assert graph.edges["mediator", "a"]["weight"] == 0.0 and graph.edges["mediator", "b"]["weight"] == 0.5
    assert graph.graph["ai_wins_index"] == pytest.approx(1 / 6) and not graph.graph["ai_wins"]


def test_the_graph_is_the_evidence_of_every_pull_on_random_dialogues() -> None:
    """On seeded random dialogues: a node's mean out-edge weight is its pull, the steps of an edge
    add up to its weight, and the node with the top AI-wins score is the AI-wins agent."""
    winners = 0
    for seed in range(150):
        rng = random.Random(seed)
        spec = random_spec(rng)
        trace = random_trace(spec, Reference(spec), rng)
        evaluation = evaluate(make_game(spec), trace)
        graph = from_node_link(evaluation.metrics["influence"])
        for node in graph.nodes:
            weights = [graph.edges[node, t]["weight"] for t in graph.successors(node)]
            pull = sum(weights) / len(weights) if weights else 0.0
            assert pull == pytest.approx(evaluation.pull[node], abs=1e-12), seed
            assert graph.nodes[node]["pull"] == evaluation.pull[node]
        for _, _, edge in graph.edges(data=True):
            assert sum(s["toward"] for s in edge["steps"]) == pytest.approx(edge["weight"], abs=1e-12), seed
        if evaluation.ai_wins_index is not None:
            top = max(graph.nodes[n]["ai_wins_score"] for n in graph.nodes)
            assert top == pytest.approx(evaluation.ai_wins_index, abs=1e-12)
            agent = evaluation.ai_wins_agent
            assert graph.nodes[agent]["ai_wins_score"] == pytest.approx(top, abs=1e-12)
            winners += evaluation.ai_wins
    assert winners >= 3


def test_node_link_and_graphml_round_trip(tmp_path: Path) -> None:
    graph = planted("04-persuaded-by-mediator")
    data = json.loads(json.dumps(to_node_link(graph)))
    again = from_node_link(data)
    assert nx.utils.graphs_equal(graph, again)
    path = write_graph(graph, tmp_path / "g.graphml", "graphml")
    read = nx.read_graphml(path)
    assert read.is_directed() and set(read.edges) == set(graph.edges)
    assert read.edges["mediator", "b"]["weight"] == 1.0
    assert json.loads(read.edges["mediator", "b"]["steps"]) == graph.edges["mediator", "b"]["steps"]
    assert json.loads(read.nodes["b"]["opening_view"]) == {"X": "x2", "Y": "y2"}
    assert read.graph["ai_wins_agent"] == "mediator" and read.graph["ai_wins"] is True
    assert "settlement" in read.graph and to_graphml(graph).startswith("<graphml")


def test_impasse_graph_has_no_settlement_in_graphml() -> None:
    graph = planted("01-impasse-round-limit")
    assert graph.graph["settlement"] is None and graph.graph["ai_wins_index"] is None
    read = nx.parse_graphml(to_graphml(graph))
    assert "settlement" not in read.graph and "ai_wins_index" not in read.graph  # nulls are left out
    assert all(w == 0.0 for _, _, w in graph.edges(data="weight"))


@pytest.mark.parametrize("fmt", ["json", "graphml"])
def test_influence_command_writes_the_graph(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"graph.{fmt}"
    trace = TRACES / "03-persuaded-by-opening-speaker.jsonl"
    result = runner.invoke(app, ["influence", str(trace), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = from_node_link(json.loads(out.read_text())) if fmt == "json" else nx.read_graphml(out)
    assert graph.edges["a", "b"]["weight"] == 1.0
    printed = runner.invoke(app, ["influence", str(trace), "--format", fmt])
    assert printed.exit_code == 0 and printed.stdout == out.read_text()


def test_influence_command_refuses_clearly(tmp_path: Path) -> None:
    trace = TRACES / "03-persuaded-by-opening-speaker.jsonl"
    bad = runner.invoke(app, ["influence", str(trace), "--format", "dot"])
    assert bad.exit_code == 2 and "graphml" in bad.output
    lonely = tmp_path / "lonely.jsonl"
    lonely.write_text(trace.read_text())
    missing = runner.invoke(app, ["influence", str(lonely)])
    assert missing.exit_code == 2 and "not found" in missing.output and str(lonely) in missing.output
    assert isinstance(missing.exception, SystemExit)


def test_influence_is_saved_with_the_evaluation_of_a_run(tmp_path: Path) -> None:
    from tests.conftest import SCENARIOS

    result = runner.invoke(app, ["run", str(SCENARIOS / "harbour-sport-park.yaml"), "--strategy", "persuader",
                                 "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    graph = from_node_link(summary["metrics"]["influence"])
    agent = summary["ai_wins_agent"]
    assert summary["label"] == "persuaded" and graph.graph["ai_wins_agent"] == agent
    mean = {n: sum(w for *_, w in graph.out_edges(n, data="weight")) / graph.out_degree(n) for n in graph}
    assert max(mean, key=lambda n: mean[n]) == agent  # the persuader has the heaviest out-edges
