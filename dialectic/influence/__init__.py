"""The influence graph of a run: who pulled whom toward their opening view, and by which moves.

An edge a -> g is weighted by how far group g's view moved toward participant a's opening view
(DESIGN.md's pull, per pair); every view change of g is linked to the utterances it answered. It is
the evidence behind the AI-wins verdict, saved in each evaluation (`Evaluation.metrics["influence"]`,
node-link JSON) and exported to GraphML or JSON. It reads a replayed run (`Run`, which the evaluator's
Context is); `dialectic.evaluate.influence_graph(game, trace)` replays a saved trace into one.
"""

from dialectic.influence._export import FORMATS, from_node_link, to_graphml, to_node_link, write_graph
from dialectic.influence._graph import Run, build_influence_graph

__all__ = [
    "FORMATS",
    "Run",
    "build_influence_graph",
    "from_node_link",
    "to_graphml",
    "to_node_link",
    "write_graph",
]
