"""Shared async HTTP plumbing for the vLLM clients: one httpx client per event loop, a concurrency limit,
retries with exponential backoff on transient errors, and a record of every retry.

Transient: the connection is refused or dropped, a timeout, HTTP 5xx, 429 and 408, an HTTP 200 whose body is
cut short or is not JSON. Anything else (a 4xx such as an unknown model) fails at once with the server's
message. Every retried attempt is recorded in the client's ``retry_log`` and in the trace of the run in
progress (:mod:`dialectic.trace._retries`). When retries run out on a connection error the
error says the server is down, with its URL, so a run never hangs on a dead server: every attempt is bounded by
``timeout + connect_timeout`` and the whole call by about ``(retries + 1) * (timeout + connect_timeout)`` plus
the backoff waits (each at most ``max_backoff``). docs/serving.md, Faults.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from dialectic.trace import record_retry

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class BackendError(RuntimeError):
    """A request to a serving backend failed for good (the message says why and where)."""


class ServerDown(BackendError):
    """The server could not be reached (connection refused or dropped, timeouts) after every retry."""


class BadResponse(BackendError):
    """The server answered, but not with what was asked (a 4xx, or a body of the wrong shape)."""


@dataclass
class RetryEvent:
    """One failed attempt that was retried (or was the last one)."""

    url: str
    attempt: int
    error: str
    wait_s: float
    at: float = field(default_factory=time.time)


class AsyncJSONPoster:
    """POST JSON with a concurrency limit, a timeout and retries; safe to use from several event loops in turn."""

    def __init__(self, *, concurrency: int = 16, timeout: float = 60.0, connect_timeout: float = 5.0,
                 retries: int = 3, backoff: float = 0.5, max_backoff: float = 8.0,
                 on_retry: Callable[[RetryEvent], None] | None = None, headers: dict[str, str] | None = None,
                 jitter_seed: int = 0):
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.concurrency = concurrency
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.on_retry = on_retry
        self.headers = dict(headers or {})
        self.retry_log: list[RetryEvent] = []
        #: the backoff's jitter comes from this generator (seeded: the same faults give the same waits)
        self.rng = random.Random(jitter_seed)
        self.requests = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._sem: asyncio.Semaphore | None = None

    def _ensure(self) -> tuple[Any, asyncio.Semaphore]:
        import httpx

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._sem is None:
            # an AsyncClient's connections belong to the loop that opened them: a new loop gets a new client
            self._loop = loop
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
                headers=self.headers,
            )
            self._sem = asyncio.Semaphore(self.concurrency)
        return self._client, self._sem

    async def post(self, url: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """POST ``body`` to ``url``; return the decoded JSON answer and the number of attempts it took.

        Each attempt connects within ``connect_timeout``, waits at most ``timeout`` for any byte (httpx) and is
        done within ``timeout + connect_timeout`` as a whole (a server that trickles is cut too). A transient fault
        (refused, reset, timeout, HTTP 408/429/5xx, a 200 whose body is cut or not JSON) is retried up to
        ``retries`` times after ``backoff * 2**(attempt-1)`` seconds (at most ``max_backoff``) times a jitter
        in [0.5, 1) drawn from the poster's own seeded generator. Every failed attempt is recorded: in
        ``retry_log``, through ``on_retry``, and in the trace of the run in progress (dialectic.trace.RETRIES).
        """
        import httpx

        client, sem = self._ensure()
        last: str = ""
        fault = "down"  # down: no answer; status: a transient HTTP status; body: a 200 whose body is broken
        deadline = self.timeout + self.connect_timeout
        for attempt in range(1, self.retries + 2):
            async with sem:
                self.requests += 1
                try:
                    async with asyncio.timeout(deadline):
                        r = await client.post(url, json=body)
                except TimeoutError:
                    last, fault = f"no complete answer within {deadline:g} s", "down"
                except (httpx.TransportError, httpx.TimeoutException) as e:  # refused, reset, cut body, timeouts
                    detail = str(e).strip() or "connection reset or closed by the server"
                    last, fault = f"{type(e).__name__}: {detail}", "down"
                else:
                    if r.status_code == 200:
                        try:
                            return r.json(), attempt
                        except ValueError:  # cut short with a matching Content-Length, or garbled
                            last, fault = (f"HTTP 200 but the body is not JSON ({len(r.content)} bytes: "
                                           f"{r.text[:120]!r})"), "body"
                    else:
                        message = _error_message(r)
                        if r.status_code not in TRANSIENT_STATUS:
                            raise BadResponse(f"{url}: HTTP {r.status_code}: {message}")
                        last, fault = f"HTTP {r.status_code}: {message}", "status"
            if attempt > self.retries:
                record_retry(url, attempt, last, 0.0)  # the last attempt: the error the caller gets
                break
            wait = min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * (0.5 + self.rng.random() / 2)
            event = RetryEvent(url=url, attempt=attempt, error=last, wait_s=wait)
            self.retry_log.append(event)
            record_retry(url, attempt, last, wait)
            if self.on_retry is not None:
                self.on_retry(event)
            await asyncio.sleep(wait)
        attempts = f"{self.retries + 1} attempts"
        if fault == "down":
            raise ServerDown(f"server at {url} is down or not answering after {attempts} "
                             f"(timeout {self.timeout:g} s each): {last}")
        if fault == "body":
            raise BadResponse(f"{url}: broken answer after {attempts}: {last}")
        raise BackendError(f"{url}: failed after {attempts}: {last}")

    async def get(self, url: str) -> dict[str, Any]:
        import httpx

        client, _ = self._ensure()
        try:
            r = await client.get(url)
        except (httpx.TransportError, httpx.TimeoutException) as e:
            raise ServerDown(f"server at {url} is down: {type(e).__name__}: {e}") from e
        if r.status_code != 200:
            raise BadResponse(f"{url}: HTTP {r.status_code}: {_error_message(r)}")
        return r.json()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = None
        self._loop = None
        self._sem = None


def _error_message(r: Any) -> str:
    try:
        j = r.json()
        err = j.get("error", j) if isinstance(j, dict) else j
        if isinstance(err, dict):
            return str(err.get("message") or err.get("detail") or err)
        return str(err)
    except ValueError:
        return r.text[:300]


class ServedClient:
    """What every client of a vLLM server shares: the poster, the served model names, closing."""

    http: AsyncJSONPoster
    models_url: str

    async def models(self) -> list[str]:
        """Served names (for a reward server: the base model and one per adapter)."""
        answer = await self.http.get(self.models_url)
        return [m["id"] for m in answer["data"]]

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
