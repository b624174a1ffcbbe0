"""Influence graphs to and from node-link JSON, and to GraphML.

GraphML holds only scalar attributes: lists and mappings (views, view changes, steps) are written
as JSON text, and null attributes are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import networkx as nx

Format = Literal["json", "graphml"]
FORMATS: tuple[str, ...] = ("json", "graphml")


def to_node_link(graph: nx.DiGraph) -> dict[str, Any]:
    """Node-link data ({"directed", "multigraph", "graph", "nodes", "edges"}), JSON-able."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def from_node_link(data: dict[str, Any]) -> nx.DiGraph:
    graph: nx.DiGraph = nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
    return graph


def _scalar(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        key: json.dumps(value, sort_keys=True) if isinstance(value, dict | list | tuple) else value
        for key, value in attributes.items()
        if value is not None
    }


def to_graphml(graph: nx.DiGraph) -> str:
    """The graph as GraphML text (non-scalar attributes as JSON strings, nulls omitted)."""
    flat = nx.DiGraph()
    flat.graph.update(_scalar(graph.graph))
    for node, attributes in graph.nodes(data=True):
        flat.add_node(node, **_scalar(attributes))
    for source, target, attributes in graph.edges(data=True):
        flat.add_edge(source, target, **_scalar(attributes))
    return "\n".join(nx.generate_graphml(flat)) + "\n"


def render(graph: nx.DiGraph, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_node_link(graph), indent=2, sort_keys=True) + "\n"
    if fmt == "graphml":
        return to_graphml(graph)
    raise ValueError(f"unknown graph format {fmt!r}; known: {', '.join(FORMATS)}")


def write_graph(graph: nx.DiGraph, path: str | Path, fmt: str = "json") -> Path:
    """Write the graph as node-link JSON or GraphML."""
    path = Path(path)
    text = render(graph, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
