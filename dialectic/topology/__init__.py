"""Communication topologies: who hears whom in a dialogue (docs/topologies.md)."""

from dialectic.topology._topology import (
    MEDIATOR_NODE,
    Topology,
    TopologyProblem,
    edge_list,
    graph_of,
    hearing,
)

__all__ = ["MEDIATOR_NODE", "Topology", "TopologyProblem", "edge_list", "graph_of", "hearing"]
