"""Who hears whom: a card's or a scenario's communication topology, built as an undirected networkx graph
over the group ids (and the mediator in mediated runs).

An agent's observation holds only the moves of its neighbours in this graph, its own, and the mediator's
when it hears the mediator; the table (views, proposal, stances) stays public. Kinds:

- ``complete`` (the default): everyone hears everyone; nothing is filtered.
- ``ring``: each group hears the groups before and after it in the scenario's group order (a cycle).
- ``star``: every group hears ``center`` only, and the center hears everyone. ``center`` defaults to the
  mediator in mediated runs, else to the opening speaker.
- ``small-world``: networkx.connected_watts_strogatz_graph(n, k, p, seed) over the group order (each group
  joined to its ``k`` nearest in the ring, each edge rewired with probability ``p``), reproducible by seed.
- ``edges``: an explicit undirected edge list of group ids.

In mediated runs the mediator hears everyone and everyone hears the mediator, whatever the kind; a star
around the mediator is exactly that, with no edge between groups. Every graph must be connected (verdicts
are defined on the whole population, so every group must be reachable from every other).

networkx is imported where a graph is built, so loading a scenario or a card stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    import networkx as nx

#: The mediator's node (the engine's participant name for it).
MEDIATOR_NODE = "mediator"

Kind = Literal["complete", "ring", "star", "small-world", "edges"]

#: The fields each kind reads (besides `kind`); setting another is an error, not a silent no-op.
_FIELDS: dict[str, set[str]] = {
    "complete": set(),
    "ring": set(),
    "star": {"center"},
    "small-world": {"k", "p", "seed"},
    "edges": {"edges"},
}


@dataclass(frozen=True)
class TopologyProblem:
    """A topology that does not fit the groups of a run: the field (under `topology.`), what was expected,
    what was found."""

    field: str
    expected: str
    found: str


def _fail(where: str, expected: str, found: object) -> PydanticCustomError:
    # The scenario loader's located-error form: `where` is reported as the field path.
    return PydanticCustomError("scenario", "{where}: expected {expected}, found {found}",
                               {"where": where, "expected": expected, "found": str(found)})


class Topology(BaseModel):
    """Who hears whom (module docstring). Checks that need the groups are `problems(groups, mediated)`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Kind = "complete"
    center: str | None = None
    k: int = 2
    p: float = Field(default=0.1, ge=0.0, le=1.0)
    seed: int = 0
    edges: list[tuple[str, str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Topology:
        # A field of another kind given a value other than its default (a dump, with every field, round-trips).
        defaults = {name: info.get_default(call_default_factory=True) for name, info in type(self).model_fields.items()}
        stray = sorted(name for name in self.model_fields_set - _FIELDS[self.kind] - {"kind"}
                       if getattr(self, name) != defaults[name])
        if stray:
            wanted = ", ".join(sorted(_FIELDS[self.kind])) or "no other field"
            raise _fail(f"topology.{stray[0]}", f"only the fields of kind {self.kind!r} ({wanted})",
                        f"{stray[0]} set")
        if self.kind == "small-world" and (self.k < 2 or self.k % 2):
            raise _fail("topology.k", "an even number of neighbours, at least 2 (each group is joined to k/2 "
                        "on either side before rewiring)", self.k)
        if self.kind == "edges":
            if not self.edges:
                raise _fail("topology.edges", "at least one edge [group, group]", "none")
            for index, (a, b) in enumerate(self.edges):
                if a == b:
                    raise _fail(f"topology.edges[{index}]", "two different groups", f"[{a}, {b}]")
        return self

    @property
    def filters(self) -> bool:
        """False for the complete topology: every observation holds the whole record, as without one."""
        return self.kind != "complete"

    def problems(self, groups: Sequence[str], mediated: bool | None) -> list[TopologyProblem]:
        """What does not fit these groups (``mediated`` None: not known yet, as when a scenario is loaded
        without a card, so a star around the mediator is allowed). Empty: `build` will succeed."""
        known = set(groups)
        found: list[TopologyProblem] = []
        listed = ", ".join(groups)
        if self.kind == "star" and self.center is not None and self.center not in known:
            if self.center != MEDIATOR_NODE:
                found.append(TopologyProblem("center", f"a group id ({listed}) or 'mediator'", repr(self.center)))
            elif mediated is False:
                found.append(TopologyProblem("center", "a group id: 'mediator' centres a star only in a mediated "
                                             f"run ({listed})", repr(self.center)))
        if self.kind == "small-world" and self.k >= len(groups):
            found.append(TopologyProblem("k", f"fewer neighbours than groups (< {len(groups)})", str(self.k)))
        if self.kind == "edges":
            for index, (a, b) in enumerate(self.edges):
                for end, name in enumerate((a, b)):
                    if name not in known:
                        found.append(TopologyProblem(f"edges[{index}][{end}]", f"a group id ({listed})", repr(name)))
            if not found and not mediated:
                cut = _unreached(groups, self.edges)
                if cut:
                    found.append(TopologyProblem(
                        "edges", "a connected graph: every group reachable from every other (verdicts are "
                        "defined on the whole population)", f"{', '.join(cut)} not reached from {groups[0]}"))
        return found

    def build(self, groups: Sequence[str], opening_speaker: str, mediated: bool) -> nx.Graph:
        """The graph over the group ids (in the scenario's order) and, in mediated runs, the mediator.
        Raises ValueError when `problems(groups, mediated)` is not empty."""
        import networkx as nx

        problems = self.problems(groups, mediated)
        if problems:
            first = problems[0]
            raise ValueError(f"topology.{first.field}: expected {first.expected}, found {first.found}")
        graph = nx.Graph()
        graph.add_nodes_from(groups)
        n = len(groups)
        if self.kind == "complete":
            graph.add_edges_from((a, b) for i, a in enumerate(groups) for b in groups[i + 1:])
        elif self.kind == "ring":
            graph.add_edges_from((groups[i], groups[(i + 1) % n]) for i in range(n) if n > 2 or i == 0)
        elif self.kind == "star":
            center = self.center or (MEDIATOR_NODE if mediated else opening_speaker)
            if center != MEDIATOR_NODE:
                graph.add_edges_from((center, g) for g in groups if g != center)
        elif self.kind == "small-world":
            lattice = nx.connected_watts_strogatz_graph(n, self.k, self.p, tries=100, seed=self.seed)
            graph.add_edges_from((groups[a], groups[b]) for a, b in lattice.edges)
        else:
            graph.add_edges_from(self.edges)
        if mediated:
            graph.add_edges_from((MEDIATOR_NODE, g) for g in groups)
        return graph


def _unreached(groups: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """The groups not reachable from the first one along ``edges`` (a breadth-first walk, no networkx)."""
    near: dict[str, set[str]] = {g: set() for g in groups}
    for a, b in edges:
        near[a].add(b)
        near[b].add(a)
    seen, frontier = {groups[0]}, [groups[0]]
    while frontier:
        reached = {h for g in frontier for h in near[g]} - seen
        seen |= reached
        frontier = sorted(reached)
    return [g for g in groups if g not in seen]


def hearing(graph: nx.Graph) -> dict[str, frozenset[str]]:
    """Who each participant hears: its neighbours (itself is always heard: an agent sees its own moves)."""
    return {str(node): frozenset(str(n) for n in graph.neighbors(node)) for node in graph.nodes}


def graph_of(nodes: Iterable[str], edges: Iterable[Sequence[str]]) -> nx.Graph:
    """A graph from a trace's recorded edge list (the evaluator's side)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b in edges)
    return graph


def edge_list(graph: nx.Graph, order: Mapping[str, int]) -> list[tuple[str, str]]:
    """The graph's edges, each ordered and the list sorted by ``order`` (the speaking order), for the trace."""
    def rank(node: str) -> int:
        return order.get(node, len(order))

    pairs: list[tuple[str, str]] = []
    for a, b in graph.edges:
        first, second = sorted((str(a), str(b)), key=rank)
        pairs.append((first, second))
    return sorted(pairs, key=lambda e: (rank(e[0]), rank(e[1])))
