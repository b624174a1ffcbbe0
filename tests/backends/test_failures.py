"""Failures never hang: a server that is down, answers 5xx, or stops mid-run gives a clear error or a recorded
retry. The transport tests use a small local HTTP server (a stand-in for a flaky server, not a model); the
mid-run stop uses a real vLLM server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dialectic.backends._http import BackendError, ServerDown
from dialectic.backends.chat_http import ChatClient
from dialectic.backends.reward_http import HTTPRewardClient
from dialectic.backends.server import free_port, group_members


class Flaky:
    """An HTTP server on 127.0.0.1 that fails the first ``fail`` POSTs with ``status``, then answers /classify,
    holding each request ``delay`` seconds and counting how many are in flight at once."""

    def __init__(self, fail: int = 0, status: int = 503, delay: float = 0.0):
        self.fail, self.status, self.delay = fail, status, delay
        self.posts = 0
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.posts += 1
                    n = outer.posts
                    outer.in_flight += 1
                    outer.peak = max(outer.peak, outer.in_flight)
                time.sleep(outer.delay)
                with outer.lock:
                    outer.in_flight -= 1
                if n <= outer.fail:
                    payload, code = {"error": {"message": "engine overloaded", "code": outer.status}}, outer.status
                else:
                    payload = {"object": "list", "model": body["model"],
                               "data": [{"index": i, "label": "LABEL_0", "probs": [float(len(t))], "num_classes": 1}
                                        for i, t in enumerate(body["input"])],
                               "usage": {"prompt_tokens": 1}}
                    code = 200
                raw = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_down_server_is_a_clear_error_with_recorded_retries():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    events = []

    async def go():
        async with HTTPRewardClient(url, retries=3, backoff=0.05, timeout=2, on_retry=events.append) as client:
            await client.score("g1", ["x"])

    t = time.monotonic()
    with pytest.raises(ServerDown, match=r"server at .*/classify is down.*4 attempts.*ConnectError"):
        asyncio.run(go())
    assert time.monotonic() - t < 10
    assert [e.attempt for e in events] == [1, 2, 3] and all("ConnectError" in e.error for e in events)


def test_chat_client_down_server():
    async def go():
        async with ChatClient(f"http://127.0.0.1:{free_port()}", "chat", retries=1, backoff=0.01) as client:
            await client.complete_json([{"role": "user", "content": "hi"}],
                                       {"type": "object", "properties": {"a": {"type": "boolean"}},
                                        "required": ["a"], "additionalProperties": False})

    with pytest.raises(ServerDown, match="chat/completions is down"):
        asyncio.run(go())


def test_5xx_is_retried_then_succeeds():
    flaky = Flaky(fail=2, status=503)
    try:
        async def go():
            async with HTTPRewardClient(flaky.url, retries=3, backoff=0.01) as client:
                return await client.score("g1", ["ab", "abcd"]), client.retry_log

        scores, log = asyncio.run(go())
        assert scores == [2.0, 4.0]
        assert [e.error for e in log] == ["HTTP 503: engine overloaded"] * 2
    finally:
        flaky.close()


def test_5xx_forever_gives_up():
    flaky = Flaky(fail=100, status=500)
    try:
        async def go():
            async with HTTPRewardClient(flaky.url, retries=2, backoff=0.01) as client:
                await client.score("g1", ["x"])

        with pytest.raises(BackendError, match="failed after 3 attempts: HTTP 500"):
            asyncio.run(go())
        assert flaky.posts == 3
    finally:
        flaky.close()


def test_concurrency_limit_is_respected():
    flaky = Flaky(delay=0.2)
    try:
        async def go():
            async with HTTPRewardClient(flaky.url, batch_size=1, concurrency=3) as client:
                return await client.score("g1", [str(i) for i in range(12)])

        assert asyncio.run(go()) == [1.0] * 10 + [2.0] * 2
        assert flaky.peak == 3
    finally:
        flaky.close()


def test_timeout_is_retried_then_reported():
    flaky = Flaky(delay=3.0)
    try:
        async def go():
            async with HTTPRewardClient(flaky.url, retries=1, backoff=0.01, timeout=0.5) as client:
                await client.score("g1", ["x"])

        t = time.monotonic()
        with pytest.raises(ServerDown, match="ReadTimeout"):
            asyncio.run(go())
        assert time.monotonic() - t < 5
    finally:
        flaky.close()


@pytest.mark.vllm
def test_reward_server_stopping_mid_run(victim_srv):
    """Score in a loop; stop the server underneath it: the loop ends with a clear error, the scores it got are
    intact, the shutdown is clean (SIGINT), and no process of the server's group survives."""
    pgid = victim_srv.proc.pid
    got: list[list[float]] = []
    events = []

    async def loop(client):
        while True:
            got.append(await client.score("g1", ["We want the park.", "We want the harbour."]))
            await asyncio.sleep(0.05)

    async def go():
        async with HTTPRewardClient(victim_srv.url, retries=2, backoff=0.1, timeout=5,
                                    on_retry=events.append) as client:
            task = asyncio.create_task(loop(client))
            while len(got) < 5:
                await asyncio.sleep(0.05)
            t = time.monotonic()
            code = await asyncio.to_thread(victim_srv.stop)
            stop_s = time.monotonic() - t
            with pytest.raises((ServerDown, BackendError)) as err:
                await asyncio.wait_for(task, timeout=60)
            return code, stop_s, err.value

    t0 = time.monotonic()
    code, stop_s, err = asyncio.run(go())
    from .conftest import TIMINGS

    TIMINGS["victim server: SIGINT stop (s)"] = stop_s
    TIMINGS["victim server: exit code"] = code
    assert time.monotonic() - t0 < 120
    assert code == 0 or code < 0  # stopped by SIGINT (clean exit) or signal
    assert victim_srv.url in str(err)
    assert len(got) >= 5 and all(len(s) == 2 and s == got[0] for s in got)  # intact, deterministic
    assert [m for m in group_members(pgid) if m[1] != "Z"] == []  # no live process left (zombies await init)
