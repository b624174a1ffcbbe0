"""The evaluator: replays a run's trace against the groups' reward models and says what really
happened (label, false agreement, AI-wins persuasion, welfare against the max-min oracle).

Every figure is a registered metric (`@metric`, one module per metric in
`dialectic.evaluate.metrics`); `evaluate` assembles the Evaluation from the registry, and
`score_trace` re-scores a saved trace against the scenario it names.
"""

from dialectic.evaluate._context import Context, Step, Utterance
from dialectic.evaluate._evaluate import CORE_FIELDS, assemble, evaluate
from dialectic.evaluate._metric import METRICS, Metric, compute_metrics, load_metrics, metric
from dialectic.evaluate._model import LABELS, Evaluation, Label
from dialectic.evaluate._oracles import (
    OracleResult,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    utilitarian_optimum,
)
from dialectic.evaluate._rescore import RescoreError, Rescorer, locate_scenario, score_trace
from dialectic.evaluate._welfare import gini

__all__ = [
    "CORE_FIELDS",
    "LABELS",
    "METRICS",
    "Context",
    "Evaluation",
    "Label",
    "Metric",
    "OracleResult",
    "RescoreError",
    "Rescorer",
    "Step",
    "Utterance",
    "assemble",
    "compute_metrics",
    "evaluate",
    "gini",
    "load_metrics",
    "locate_scenario",
    "maxmin_oracle",
    "maxmin_unconstrained",
    "metric",
    "nash_optimum",
    "score_trace",
    "utilitarian_optimum",
]
