"""Trace events: one pydantic model per line of a run's JSONL file, each with `type` and `v`.

Outcomes are written as {issue id: option id} so a trace reads without the scenario at hand.
Nothing here holds a timestamp: the same scenario, strategy and seed give a byte-identical file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

NamedOutcome = dict[str, str]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    v: int = SCHEMA_VERSION


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str
    policy: str
    params: dict[str, Any] = Field(default_factory=dict)


class Header(Event):
    type: Literal["header"] = "header"
    dialectic_version: str
    scenario_name: str
    scenario_path: str
    scenario_hash: str
    strategy: str
    protocol: str
    mutual_tolerance: bool
    mediator: str | None = None
    agents: list[AgentSpec]
    seed: int
    rounds: int
    order: list[str]


class OpeningEvent(Event):
    type: Literal["opening"] = "opening"
    speaker: str
    proposal: NamedOutcome | None
    views: dict[str, NamedOutcome]


class RewardPair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    view: float | None = None
    proposal: float | None = None


class MoveEvent(Event):
    type: Literal["move"] = "move"
    turn: int
    round: int
    speaker: str
    view: NamedOutcome
    proposal: NamedOutcome | None = None
    answers: NamedOutcome | None = None
    accepts: bool | None = None
    tolerates: dict[str, bool] = Field(default_factory=dict)
    utterance: str = ""
    rationale: str = ""
    target: float | None = None
    rewards: dict[str, RewardPair] = Field(default_factory=dict)


class EndEvent(Event):
    type: Literal["end"] = "end"
    reason: Literal["settlement", "round_limit", "deadlock"]
    settlement: NamedOutcome | None
    accepted_by: list[str]
    rounds: int
    turns: int


class EvaluationEvent(Event):
    type: Literal["evaluation"] = "evaluation"
    evaluation: dict[str, Any]


TraceEvent = Annotated[
    Header | OpeningEvent | MoveEvent | EndEvent | EvaluationEvent, Field(discriminator="type")
]
