"""Trace events: one pydantic model per line of a run's JSONL file, each with `type` and `v`.

Outcomes are written as {issue id: option id} so a trace reads without the scenario at hand.
Nothing here holds a timestamp: the same scenario, strategy and seed give a byte-identical file.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The version every event is written with, and the versions the reader accepts (any other is refused,
#: naming the file, the line and the version found). Fields added with a default keep the version.
SCHEMA_VERSION = 1
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)

NamedOutcome = dict[str, str]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    v: Annotated[int, Field(strict=True)] = SCHEMA_VERSION
    #: Optional blocks written only when present (LLM runs), so rational traces stay as they were.
    omit_if_none: ClassVar[frozenset[str]] = frozenset()

    def line(self) -> str:
        """The event as one JSON line."""
        drop = {name for name in self.omit_if_none if getattr(self, name) is None}
        return self.model_dump_json(exclude=drop or None)


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str
    policy: str
    params: dict[str, Any] = Field(default_factory=dict)


class RewardPair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    view: float | None = None
    proposal: float | None = None


class BackendInfo(BaseModel):
    """What served an LLM run: the backend kind, each endpoint or model path, and the versions, so a run can
    be repeated (exact replay of LLM text comes from a response cache; vLLM batching is not bit-reproducible)."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    chat: dict[str, Any] | None = None
    reward: dict[str, Any] | None = None
    versions: dict[str, str] = Field(default_factory=dict)


class RetryRecord(BaseModel):
    """One failed request to a serving backend that was retried (or, in an error event, the last one): the
    endpoint, the attempt (from 1), what went wrong (the fault: connection refused or reset, timeout, HTTP
    5xx, a cut or malformed body) and the backoff waited before the next attempt (0 for the last)."""

    model_config = ConfigDict(extra="forbid")
    url: str
    attempt: int
    error: str
    wait_s: float = 0.0


class Candidate(BaseModel):
    """One sampled move (or, for a mediator, one drafted settlement) and what the reward models said of it."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None
    valid: bool
    error: str | None = None
    reply: dict[str, Any] | None = None
    attempts: int = 1
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: group -> normalised utility of the candidate's view and proposal under that group's reward model
    rewards: dict[str, RewardPair] = Field(default_factory=dict)
    score: float | None = None


class Generation(BaseModel):
    """How an LLM participant's move was made: the exact messages sent, the sampling settings, every
    candidate with its rewards, the choice, and whether it held its position because nothing was valid."""

    model_config = ConfigDict(extra="forbid")
    prompt: str
    messages: list[dict[str, str]]
    sampling: dict[str, Any]
    candidates: list[Candidate]
    chosen: int | None
    rule: str
    held: bool = False
    ranking: list[int] | None = None
    feedback: list[dict[str, Any]] = Field(default_factory=list)


class TopologyInfo(BaseModel):
    """The run's communication topology as built (docs/topologies.md): its kind and its undirected edges,
    the mediator's included in mediated runs, so the evaluator recomputes hops and spread from the trace."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    edges: list[tuple[str, str]]


class Header(Event):
    type: Literal["header"] = "header"
    dialectic_version: str
    scenario_name: str
    #: the scenario file as the run was given it (often relative to the folder it was run from); "" when
    #: the run was given a Scenario object
    scenario_path: str
    #: `scenario_hash`: sha256 of the validated scenario content (comments and formatting do not count)
    scenario_hash: str
    #: the scenario file's absolute path at run time, so `dialectic score` finds it from any folder
    #: ("" in traces written before it was recorded, and for a Scenario object)
    scenario_file: str = ""
    strategy: str
    protocol: str
    mutual_tolerance: bool
    mediator: str | None = None
    agents: list[AgentSpec]
    seed: int
    rounds: int
    order: list[str]
    backend: BackendInfo | None = None
    #: Who heard whom; written only when not everyone heard everyone (traces of complete runs are unchanged).
    topology: TopologyInfo | None = None
    omit_if_none: ClassVar[frozenset[str]] = frozenset({"backend", "topology"})


class OpeningEvent(Event):
    type: Literal["opening"] = "opening"
    speaker: str
    proposal: NamedOutcome | None
    views: dict[str, NamedOutcome]


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
    generation: Generation | None = None
    #: Requests to a serving backend retried while this move was made (written only when there were some).
    retries: list[RetryRecord] | None = None
    omit_if_none: ClassVar[frozenset[str]] = frozenset({"generation", "retries"})


class StatementEvent(Event):
    """A statement generated during the run (an LLM participant's own words, `views: free`), written once,
    before the first move that states it: its id (``gen-`` + 12 hex digits of the SHA-256 of the text), its
    text, the turn of that move, and every group's raw reward for it under the run's reward models (what
    the evaluator checks against its own scoring). Agents are never shown other groups' rewards."""

    type: Literal["statement"] = "statement"
    id: str
    text: str
    turn: int
    rewards: dict[str, float]


class EndEvent(Event):
    type: Literal["end"] = "end"
    reason: Literal["settlement", "round_limit", "deadlock"]
    settlement: NamedOutcome | None
    accepted_by: list[str]
    rounds: int
    turns: int


class ErrorEvent(Event):
    """The run stopped on an error before its end (a serving backend that failed after every retry, ...):
    written last, after the turns already on record, so the trace is intact up to ``turns`` and says why it
    stops. An errored trace has no end and no evaluation: ``--resume`` and sweeps run it again."""

    type: Literal["error"] = "error"
    #: turns on record before the error (the failing turn is turns + 1)
    turns: int
    error: str
    #: the retries of the failing turn, the last attempt included (wait_s 0)
    retries: list[RetryRecord] = Field(default_factory=list)


class EvaluationEvent(Event):
    type: Literal["evaluation"] = "evaluation"
    evaluation: dict[str, Any]


TraceEvent = Annotated[
    Header | OpeningEvent | MoveEvent | StatementEvent | EndEvent | ErrorEvent | EvaluationEvent, Field(discriminator="type")
]
