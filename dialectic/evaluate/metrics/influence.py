"""The influence graph, saved with every evaluation as node-link JSON (see dialectic.influence)."""

from __future__ import annotations

from typing import Any

from dialectic.evaluate._context import Context
from dialectic.evaluate._metric import metric


@metric(
    "influence",
    "Node-link graph: edge a -> g weighted by g's share of the way to v_a^0; view changes cite what they answered.",
)
def influence(ctx: Context) -> dict[str, Any]:
    from dialectic.influence import build_influence_graph, to_node_link

    return to_node_link(build_influence_graph(ctx))
