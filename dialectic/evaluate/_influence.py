"""The influence graph of a saved run (dialectic.influence builds it from any replayed run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialectic.evaluate._context import Context
from dialectic.game import Game
from dialectic.trace import Trace

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx


def influence_graph(game: Game, trace: Trace) -> nx.DiGraph:
    """The influence graph of a saved run, judged by `game` (replays the trace into a Context)."""
    from dialectic.influence import build_influence_graph

    return build_influence_graph(Context(game, trace))
