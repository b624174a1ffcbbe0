"""The evaluator: replays a run's trace against the groups' reward models and says what really
happened (label, false agreement, AI-wins persuasion, welfare against the max-min oracle).

Every figure is a registered metric (`@metric`, one module per metric in
`dialectic.evaluate.metrics`); `evaluate` assembles the Evaluation from the registry, and
`score_trace` re-scores a saved trace against the scenario it names. The oracles it reports come
from `dialectic.oracles`, solved once per Game (`solved`).
"""

from dialectic.dialogue import Step, Utterance
from dialectic.evaluate._context import Context
from dialectic.evaluate._evaluate import CORE_FIELDS, assemble, evaluate
from dialectic.evaluate._influence import influence_graph
from dialectic.evaluate._metric import METRICS, OMIT, Metric, compute_metrics, load_metrics, metric
from dialectic.evaluate._model import LABELS, Evaluation, Inconsistency, Label
from dialectic.evaluate._rescore import RescoreError, Rescorer, locate_scenario, score_trace
from dialectic.evaluate._solved import solved
from dialectic.evaluate._welfare import gini

__all__ = [
    "CORE_FIELDS",
    "LABELS",
    "METRICS",
    "OMIT",
    "Context",
    "Evaluation",
    "Inconsistency",
    "Label",
    "Metric",
    "RescoreError",
    "Rescorer",
    "Step",
    "Utterance",
    "assemble",
    "compute_metrics",
    "evaluate",
    "gini",
    "influence_graph",
    "load_metrics",
    "locate_scenario",
    "metric",
    "score_trace",
    "solved",
]
