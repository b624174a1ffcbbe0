"""The endpoints file: round trips (JSON and YAML), hand-written minimal files, located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dialectic.backends.endpoints import (
    ChatEndpoint,
    Endpoints,
    EndpointsError,
    RewardEndpoint,
    ServerSettings,
    VLLMInfo,
    load_endpoints,
    save_endpoints,
)


def full() -> Endpoints:
    settings = ServerSettings(model_path="/m/reward", served_model_name="reward", host="127.0.0.1", port=8002,
                              device="cpu", dtype="float32", max_model_len=2048, seed=None,
                              env={"VLLM_CPU_KVCACHE_SPACE": "1"}, command=["python", "-m", "vllm..."],
                              log="/tmp/reward.log", pid=123, start_seconds=71.5)
    return Endpoints(
        chat=ChatEndpoint(url="http://127.0.0.1:8001", model="chat", path="/m/chat"),
        reward=RewardEndpoint(url="http://127.0.0.1:8002/", model="reward", path="/m/reward",
                              adapters={"g1": "/m/adapters/g1", "g2": None}, server=settings),
        vllm=VLLMInfo(distribution="vllm-cpu", version="0.32.0"), started_at="2026-11-02T10:00:00+00:00", pid=99,
    )


@pytest.mark.parametrize("name", ["endpoints.json", "endpoints.yaml", "endpoints.yml", "endpoints"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    endpoints = full()
    path = save_endpoints(endpoints, tmp_path / "sub" / name)
    text = path.read_text()
    assert text.lstrip().startswith("{") == (path.suffix not in (".yaml", ".yml"))
    loaded = load_endpoints(path)
    assert loaded.model_dump() == endpoints.model_dump()
    assert loaded.source == str(path)
    assert loaded.reward is not None and loaded.reward.url == "http://127.0.0.1:8002"  # trailing / dropped
    assert loaded.reward.server is not None and loaded.reward.server.start_seconds == 71.5
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left no temp file


def test_hand_written_minimal_files(tmp_path: Path) -> None:
    reward_only = tmp_path / "r.yaml"
    reward_only.write_text("reward: {url: 'http://localhost:9000/v1', model: base, adapters: {g1: null}}\n")
    loaded = load_endpoints(reward_only)
    assert loaded.chat is None and loaded.version == 1
    assert loaded.require_reward(["g1"]).url == "http://localhost:9000"  # /v1 dropped: the root is stored
    with pytest.raises(EndpointsError, match=r"r\.yaml: chat: expected a chat endpoint"):
        loaded.require_chat()
    chat_only = tmp_path / "c.json"
    chat_only.write_text(json.dumps({"chat": {"url": "https://example.org:8443", "model": "m"}}))
    assert load_endpoints(chat_only).require_chat().model == "m"


def test_require_reward_names_missing_adapters(tmp_path: Path) -> None:
    path = save_endpoints(full(), tmp_path / "e.json")
    loaded = load_endpoints(path)
    assert loaded.require_reward(["g1", "g2"]).model == "reward"
    with pytest.raises(EndpointsError) as info:
        loaded.require_reward(["g1", "g3", "g4"])
    lines = [str(e) for e in info.value.errors]
    assert lines == [f"{path}: reward.adapters.{g}: expected an adapter the scenario names, found nothing "
                     "(served: g1, g2)" for g in ("g3", "g4")]


@pytest.mark.parametrize(
    ("text", "where", "expected", "found"),
    [
        ("chat: {url: 'http://h:1', model: m, modle: x}", "chat.modle", "no such key", "'x'"),
        ("chat: {model: m}", "chat.url", "this required field", "nothing"),
        ("chat: {url: 'localhost:8001', model: m}", "chat.url", "an http(s) URL", "'localhost:8001'"),
        ("reward: {url: 'http://h:1', model: r, adapters: [g1, g2]}", "reward.adapters", "a valid dictionary",
         "['g1', 'g2']"),
        ("chat: {url: 'http://h:1', model: ''}", "chat.model", "at least 1 character", "''"),
        ("version: 2\nchat: {url: 'http://h:1', model: m}", "version", "1", "2"),
        ("{}", "<top>", "a chat and/or a reward endpoint", "neither"),
        ("[1, 2]", "<top>", "a mapping with chat and/or reward", "list"),
        ("chat: {url: 'http://h:1', model: m", "line 1, column", "valid JSON or YAML", ""),
    ],
)
def test_located_errors(tmp_path: Path, text: str, where: str, expected: str, found: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(EndpointsError) as info:
        load_endpoints(path)
    line = str(info.value.errors[0])
    assert line.startswith(f"{path}: {where}"), line
    assert f"expected {expected}" in line and f"found {found}" in line, line


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"chat": {"url": "ftp://x"}, "reward": {"url": "http://h:1", "model": 3}}))
    with pytest.raises(EndpointsError) as info:
        load_endpoints(path)
    wheres = sorted(e.path for e in info.value.errors)
    assert wheres == ["chat.model", "chat.url", "reward.model"]


def test_missing_file_says_who_writes_it(tmp_path: Path) -> None:
    with pytest.raises(EndpointsError, match=r"nope\.json: <top>: expected a readable endpoints file \(written by "
                                             r"`dialectic serve --endpoints FILE`\), found No such file"):
        load_endpoints(tmp_path / "nope.json")


def test_clients_for_the_endpoints() -> None:
    endpoints = full()
    assert endpoints.chat is not None and endpoints.reward is not None
    chat = endpoints.chat.client(concurrency=4)
    assert chat.base_url == "http://127.0.0.1:8001/v1" and chat.model == "chat"
    reward = endpoints.reward.client(batch_size=16)
    assert reward.url == "http://127.0.0.1:8002" and reward.batch_size == 16
