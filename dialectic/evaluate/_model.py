"""The Evaluation record: what the evaluator says about one run, flat and JSON-friendly.

It is written to disk (the trace's evaluation event, benchmark result rows), so every field is a
plain value: outcomes as {issue id: option id}, per-group figures as {group id: value}.
Definitions of every field are in DESIGN.md, "The evaluator (precise definitions)"; each field is
filled by the registered metric of the same name (`dialectic metrics` lists them). Metrics beyond
these fields (dialogue metrics, the influence graph, ...) are in `metrics`, by name.

Every fact of the run (declared agreement, the settlement, `accepted_by`, the end reason, rounds and
turns) is the replay's, not the trace's; where the trace says otherwise, `consistent` is false and
`inconsistencies` lists each difference.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Label = Literal["impasse", "persuaded", "false_agreement", "outvoted", "consensus", "reconciled", "settled"]

#: Outcome labels in the order they are tested: the first that applies is the run's label.
LABELS: tuple[str, ...] = get_args(Label)

NamedOutcome = dict[str, str]


class Inconsistency(BaseModel):
    """One place where a trace disagrees with its replay: the field (`end.settlement`, `turn`,
    `rewards.GROUP.view`, `evaluation.label`, ...), what the trace recorded, what the replay says,
    and the turn it concerns (null: the run as a whole)."""

    model_config = ConfigDict(extra="forbid")

    field: str
    recorded: Any
    replayed: Any
    turn: int | None = None


class Evaluation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label
    # Agreement and its honesty.
    declared_agreement: bool
    compatible: bool
    compatible_views: bool
    identical_views: bool
    false_agreement: bool
    accepted_by: list[str]
    false_acceptors: list[str]
    false_tolerance: list[tuple[str, str]]
    hollow_acceptances: dict[str, int]
    capitulation: dict[str, bool]
    static_views: bool
    static_by_group: dict[str, bool]
    declared_tolerance: dict[str, dict[str, bool | None]]
    declared_mutual_tolerance: bool
    # Persuasion.
    ai_wins: bool
    ai_wins_index: float | None
    ai_wins_agent: str | None
    pull: dict[str, float]
    concession: dict[str, float | None]
    concession_asymmetry: float
    flips: dict[str, int]
    # Welfare and the oracles.
    welfare: dict[str, float]
    utility: dict[str, float | None]
    worst_case_welfare: float
    worst_case_gain: float
    utilitarian: float
    nash_welfare: float
    welfare_gini: float
    maxmin_oracle: float
    maxmin_oracle_outcome: NamedOutcome | None
    maxmin_unconstrained: float
    maxmin_unconstrained_outcome: NamedOutcome | None
    maxmin_regret: float
    # The run itself.
    complete: bool
    end_reason: str | None
    rounds: int
    turns: int
    settlement: NamedOutcome | None
    opening_views: dict[str, NamedOutcome]
    final_views: dict[str, NamedOutcome]
    # The trace against its replay (evaluations written before these fields read as consistent).
    consistent: bool = True
    inconsistencies: list[Inconsistency] = Field(default_factory=list)
    # The run scored again by held-out judges (scenarios naming a `judge` for some group; absent otherwise,
    # so an evaluation without judges is written exactly as before).
    judged: Judged | None = Field(default=None, exclude_if=lambda value: value is None)
    # Every other registered metric, by name (absent from evaluations written before the registry).
    metrics: dict[str, Any] = Field(default_factory=dict)


class Judged(BaseModel):
    """The run scored again by the groups' held-out judges (DESIGN.md: a scenario may name a separate
    held-out judge model per group, to test for reward hacking). `evaluation` is the whole Evaluation of
    the same replay with each judged group's reward model replaced by its judge (groups without a judge
    keep their own), normalised over the same space or pool; the other fields compare it with the
    evaluation by the groups' own reward models, the ones the agents optimised. Differences are
    by judges minus by models."""

    model_config = ConfigDict(extra="forbid")

    #: Groups that have a judge (the others are judged by their own reward model).
    judges: list[str]
    label_by_models: Label
    label_by_judges: Label
    label_flipped: bool
    worst_case_welfare_by_models: float
    worst_case_welfare_by_judges: float
    worst_case_welfare_difference: float
    #: Per group, W_g by its judge minus W_g by its model (0 for groups without a judge).
    welfare_difference: dict[str, float]
    #: Per group, honest acceptance of the settlement (u_g(x*) >= rho_g) by its model and by its judge;
    #: empty without a settlement.
    accepts_by_models: dict[str, bool]
    accepts_by_judges: dict[str, bool]
    #: Groups whose acceptance of the settlement differs between model and judge (reward hacking, measured:
    #: accepted by the model it optimised, rejected by its held-out preferences; or the reverse).
    acceptance_flips: list[str]
    #: Per judged group, the statements generated during the run that its judge cannot score (mean held-out
    #: votes exist for the reference pool only): there the judge defers to the group's model. Absent when none.
    deferred: dict[str, list[str]] = Field(default_factory=dict, exclude_if=lambda value: not value)
    evaluation: Evaluation


Evaluation.model_rebuild()
