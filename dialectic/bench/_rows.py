"""One benchmark result row per run, and the metrics the statistics can be asked about.

A row is a flat, JSON-friendly pydantic model: the run's identity (scenario, strategy, seed) and the
evaluator's scalar figures (DESIGN.md, "The evaluator"). It deliberately does not import the
evaluator (that pulls in the dialogue engine); `from_evaluation` reads any object with the
`Evaluation` fields, or the dict of a trace's evaluation event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from dialectic.evaluate import Evaluation
    from dialectic.runner import RunResult

#: Scalar metrics of a row, and whether a higher value is better for them. The orientation decides
#: what "worst run" and "CVaR" mean: the lowest values where higher is better, the highest where
#: lower is better. "welfare" is per group (W_g) and is addressed with a group id.
METRICS: dict[str, bool] = {
    "welfare": True,
    "worst_case_welfare": True,
    "worst_case_gain": True,
    "utilitarian": True,
    "nash_welfare": True,
    "welfare_gini": False,
    "maxmin_oracle": True,
    "maxmin_regret": False,
    "concession_asymmetry": False,
    "rounds": False,
    "turns": False,
}

#: Yes/no facts of a row whose rates a summary reports beside the label rates.
FLAGS: tuple[str, ...] = (
    "declared_agreement",
    "compatible",
    "compatible_views",
    "false_agreement",
    "ai_wins",
    "capitulation",
    "static_views",
)


class RunRow(BaseModel):
    """The result of one run: identity plus the evaluator's scalar metrics."""

    model_config = ConfigDict(extra="forbid")

    scenario: str
    strategy: str
    seed: int
    #: The outcome label (one of dialectic.evaluate.LABELS; kept a plain string so rows written by
    #: an older or newer evaluator still load).
    label: str
    welfare: dict[str, float]
    worst_case_welfare: float
    worst_case_gain: float
    utilitarian: float
    nash_welfare: float
    welfare_gini: float
    maxmin_oracle: float
    maxmin_regret: float
    concession_asymmetry: float
    rounds: int
    turns: int
    declared_agreement: bool
    compatible: bool
    compatible_views: bool
    false_agreement: bool
    ai_wins: bool
    static_views: bool
    #: Groups whose final stated view no longer serves them (u_g(v_g^T) < rho_g).
    capitulated: list[str] = []
    complete: bool = True
    end_reason: str | None = None
    trace: str | None = None
    #: The run's id in a sweep (`dialectic bench run`): a hash of what decides the run; None outside sweeps.
    run_id: str | None = None
    #: The scenario's generator parameters (`generated.params` of a generated scenario, e.g. the
    #: minority's share and the conflict level of the 51/49 family); empty for hand-written scenarios.
    params: dict[str, float | int | str] = {}

    @property
    def capitulation(self) -> bool:
        """Some group capitulated."""
        return bool(self.capitulated)

    @classmethod
    def from_evaluation(
        cls,
        scenario: str,
        strategy: str,
        seed: int,
        evaluation: Evaluation | Mapping[str, Any],
        trace: str | None = None,
    ) -> RunRow:
        """The row of one run from its `Evaluation` (or that evaluation's JSON dict)."""
        data = evaluation.model_dump() if hasattr(evaluation, "model_dump") else dict(evaluation)
        fields = {
            name: data[name]
            for name in cls.model_fields
            if name not in {"scenario", "strategy", "seed", "trace", "capitulated", "run_id", "params"}
            and name in data
        }
        capitulation = data.get("capitulation") or {}
        return cls(
            scenario=scenario,
            strategy=strategy,
            seed=seed,
            trace=trace,
            capitulated=[g for g, yes in capitulation.items() if yes],
            **fields,
        )

    @classmethod
    def from_result(cls, result: RunResult, strategy: str | None = None) -> RunRow:
        """The row of a `run_dialogue` result; scenario, strategy and seed come from the trace header.

        Pass `strategy` to name a run whose card was modified (`--agent GROUP=POLICY`), since the
        header keeps the card's own name.
        """
        if result.evaluation is None:
            raise ValueError(f"run {result.trace_path} was not evaluated (run_dialogue(..., evaluate=False))")
        header = result.trace.header
        return cls.from_evaluation(
            header.scenario_name,
            strategy or header.strategy,
            header.seed,
            result.evaluation,
            trace=str(result.trace_path),
        )

    def value(self, metric: str, group: str | None = None) -> float:
        """The value of `metric` for this run (`group` is required for "welfare" and only for it)."""
        return metric_value(self, metric, group)


def check_metric(metric: str, group: str | None) -> bool:
    """Validate a (metric, group) request; returns whether higher is better for it."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    if metric == "welfare" and group is None:
        raise ValueError("metric 'welfare' is per group: pass group=GROUP_ID")
    if metric != "welfare" and group is not None:
        raise ValueError(f"metric {metric!r} is not per group; group={group!r} makes no sense for it")
    return METRICS[metric]


def metric_value(row: RunRow, metric: str, group: str | None = None) -> float:
    check_metric(metric, group)
    if metric == "welfare":
        assert group is not None
        if group not in row.welfare:
            raise ValueError(
                f"run {row.scenario}/{row.strategy}/seed {row.seed} has no group {group!r} "
                f"(groups: {', '.join(row.welfare)})"
            )
        return float(row.welfare[group])
    return float(getattr(row, metric))
