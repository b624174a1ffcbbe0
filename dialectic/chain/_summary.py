"""What `dialectic chain` writes to ``OUT/chain.json``: the options, every step with its artefacts (paths
relative to OUT) and the key that decides whether a later run may reuse it, the import's report, the groups,
and the verdict of the run by the served models and by the held-out judges.

The file is written after every step (``status: running``), so a chain that failed or was interrupted says
where it stopped, and a re-run with the same OUT finds the steps it may reuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The summary's file name inside OUT.
CHAIN_FILE = "chain.json"
SUMMARY_VERSION: Literal[1] = 1
BackendKind = Literal["vllm", "transformers"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChainOptions(_Strict):
    """Everything that decides a chain (the command's options; paths absolute)."""

    polis: str  # the Polis export folder
    k: int = Field(default=2, ge=1)  # mixture components
    seed: int = 0  # split, fit, chat server and dialogue
    heldout: float = Field(default=0.2, gt=0, lt=1)  # share of participants held out for the judges
    statements: int = Field(default=12, ge=2)  # size of the statement pool
    min_seen: int = Field(default=5, ge=0)  # fit votes a comment needs to enter the pool
    min_heldout: int = Field(default=1, ge=1)  # held-out votes a comment needs in each judged group
    restarts: int = Field(default=4, ge=1)  # EM restarts
    card: str = "llm-free"  # strategy card name or file
    rounds: int = Field(default=4, ge=1)
    backend: BackendKind = "vllm"
    python: str  # the interpreter that builds the tiny chat model and runs the vLLM servers
    start_timeout: float = Field(default=600.0, gt=0)


class Step(_Strict):
    """One finished step: ``key`` is a digest of what decides its artefacts (a later run reuses the step only
    when its key and artefacts are unchanged); ``artefacts`` maps a name to a path relative to OUT."""

    name: str
    key: str
    reused: bool
    seconds: float
    artefacts: dict[str, str] = Field(default_factory=dict)
    note: str | None = None


class GroupRow(_Strict):
    """One group of the chain's scenario: a mixture component, its share, its fit and held-out participants."""

    id: str
    component: str
    share: float
    fit_participants: int
    heldout_participants: int
    judged: bool


class Verdict(_Strict):
    """The run by one set of reward models (the served models, or the held-out judges)."""

    label: str
    worst_case_welfare: float
    welfare: dict[str, float]
    accepts: dict[str, bool]  # honest acceptance of the settlement per group (empty without one)


class ChainResult(_Strict):
    """The dialogue and its evaluation. ``evaluation`` is the whole evaluation by the served models (its
    ``judged`` block holds the judges' one); ``replay_consistent`` says whether the trace, re-scored by the
    same reward models after the run, agreed with its replay."""

    trace: str  # relative to OUT
    turns: int
    rounds: int
    end_reason: str | None
    settlement: dict[str, Any] | None
    by_models: Verdict
    by_judges: Verdict | None
    worst_case_welfare_difference: float | None  # by judges minus by models
    label_flipped: bool
    acceptance_flips: list[str]
    generated_statements: int
    deferred: dict[str, list[str]] = Field(default_factory=dict)  # judge -> generated statements it cannot score
    replay_consistent: bool
    evaluation: dict[str, Any]


class ChainSummary(_Strict):
    """``OUT/chain.json``."""

    version: Literal[1] = SUMMARY_VERSION
    status: Literal["running", "done", "failed", "interrupted"]
    error: str | None = None
    dialectic_version: str
    started_at: str
    seconds: float = 0.0
    options: ChainOptions
    steps: list[Step] = Field(default_factory=list)
    import_report: list[str] = Field(default_factory=list)
    groups: list[GroupRow] = Field(default_factory=list)
    servers_stopped: bool | None = None  # None: no server was started (backend transformers)
    result: ChainResult | None = None

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)


def read_summary(out: Path) -> ChainSummary | None:
    """The summary of an earlier chain in ``out`` (None when there is none or it does not read)."""
    try:
        return ChainSummary.model_validate_json((out / CHAIN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_summary(summary: ChainSummary, out: Path) -> Path:
    """Write ``out/chain.json`` atomically (a reader never sees half a file)."""
    path = out / CHAIN_FILE
    tmp = path.with_name(f".{CHAIN_FILE}.tmp")
    tmp.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
