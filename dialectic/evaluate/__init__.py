"""The evaluator: replays a run's trace against the groups' reward models and says what really
happened (label, false agreement, AI-wins persuasion, welfare against the max-min oracle)."""

from dialectic.evaluate._evaluate import evaluate
from dialectic.evaluate._model import LABELS, Evaluation, Label
from dialectic.evaluate._oracles import (
    OracleResult,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    utilitarian_optimum,
)
from dialectic.evaluate._welfare import gini

__all__ = [
    "LABELS",
    "Evaluation",
    "Label",
    "OracleResult",
    "evaluate",
    "gini",
    "maxmin_oracle",
    "maxmin_unconstrained",
    "nash_optimum",
    "utilitarian_optimum",
]
