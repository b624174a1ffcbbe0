"""Structured chat completions from an OpenAI-compatible server (vLLM), asynchronously.

Every request carries the reply's JSON schema as
``response_format={"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}`` - never the
removed ``guided_*`` fields, which vLLM 0.32 silently ignores. Before sending, free-text fields bounded by
``maxLength`` are rewritten as bounded printable-ASCII patterns (:func:`dialectic.backends.schema.bound_text`,
which says why), and ``max_tokens`` defaults to a budget no valid reply can exceed
(:func:`~dialectic.backends.schema.token_budget`), so a reply is never cut off mid-JSON. Each reply is parsed
strictly and validated against the caller's own schema; an invalid one is asked again with another seed, up
to ``validation_retries`` times, and the result says which attempts failed and why. Transport failures are
retried with backoff (:mod:`dialectic.backends._http`); a dead server raises ``ServerDown``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from dialectic.backends._http import AsyncJSONPoster, BadResponse, RetryEvent, ServedClient
from dialectic.backends.cache import ResponseCache
from dialectic.backends.schema import bound_text, parse_reply, token_budget, unbounded_strings


@dataclass
class Attempt:
    """One completion asked for one structured reply."""

    seed: int | None
    text: str | None
    finish_reason: str | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    http_attempts: int


@dataclass
class ChatResult:
    """A structured reply: ``data`` is the parsed, schema-valid object, or ``None`` with ``error`` set."""

    data: dict[str, Any] | None
    text: str | None
    finish_reason: str | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    attempts: list[Attempt] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)  # the exact body of the last request sent

    @property
    def valid(self) -> bool:
        return self.data is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Usage:
    """Token usage and request counts over a client's life."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    invalid_replies: int = 0
    failed: int = 0  # calls that returned no valid reply after every attempt

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def count(self, attempt: Attempt, data: dict[str, Any] | None) -> bool:
        """Count one attempt; True when it gave a valid reply."""
        self.requests += 1
        self.prompt_tokens += attempt.prompt_tokens
        self.completion_tokens += attempt.completion_tokens
        if data is None:
            self.invalid_replies += 1
        return data is not None


def result(data: dict[str, Any] | None, attempts: list[Attempt], request: dict[str, Any], t0: float,
           usage: Usage | None = None) -> ChatResult:
    """The outcome of a structured call: the valid reply of the last attempt, or (``data`` None) an error
    naming how many attempts failed, counted as a failed call in ``usage``."""
    last = attempts[-1]
    error = None
    if data is None:
        error = f"no valid reply after {len(attempts)} attempts: {last.error}"
        if usage is not None:
            usage.failed += 1
    return ChatResult(data=data, text=last.text, finish_reason=last.finish_reason, error=error,
                      prompt_tokens=sum(a.prompt_tokens for a in attempts),
                      completion_tokens=sum(a.completion_tokens for a in attempts),
                      latency_s=time.monotonic() - t0, attempts=attempts, request=request)


class ChatClient(ServedClient):
    """Async structured-output chat client for one served model.

    ``charset`` - how text fields are bounded: "ascii" (default; watertight on xgrammar), "unicode", or "none"
    (send ``maxLength`` as is, for the ``guidance`` backend). ``require_bounded`` refuses schemas with a free
    string field that has no length bound.
    """

    def __init__(self, url: str, model: str, *, concurrency: int = 16, timeout: float = 120.0, retries: int = 3,
                 backoff: float = 0.5, max_backoff: float = 8.0, max_tokens: int | None = None,
                 temperature: float | None = None, top_p: float | None = None, charset: str = "ascii",
                 validation_retries: int = 2, require_bounded: bool = True,
                 on_retry: Callable[[RetryEvent], None] | None = None, api_key: str | None = None,
                 cache: ResponseCache | None = None):
        base = url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else base + "/v1"
        self.models_url = self.base_url + "/models"
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.charset = charset
        self.validation_retries = validation_retries
        self.require_bounded = require_bounded
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self.http = AsyncJSONPoster(concurrency=concurrency, timeout=timeout, retries=retries, backoff=backoff,
                                    max_backoff=max_backoff, on_retry=on_retry, headers=headers)
        self.usage = Usage()
        self.cache = cache  # answers replayed from a response cache (exact replay of a run); None: always ask
        self._prepared: dict[str, tuple[dict[str, Any], int | None]] = {}

    @property
    def retry_log(self) -> list[RetryEvent]:
        return self.http.retry_log

    def prepare(self, schema: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        """The schema as sent (text fields bounded) and its token budget; cached per schema."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._prepared:
            if self.require_bounded:
                loose = unbounded_strings(schema)
                if loose:
                    raise ValueError(f"string fields without a length bound (set maxLength): {loose}")
            sent = bound_text(schema, self.charset)
            self._prepared[key] = (sent, token_budget(sent))
        return self._prepared[key]

    def body(self, messages: Sequence[dict[str, Any]], schema: dict[str, Any], *, name: str = "reply",
             seed: int | None = None, max_tokens: int | None = None, temperature: float | None = None,
             top_p: float | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The request body for one structured completion (what :meth:`complete_json` sends)."""
        sent, budget = self.prepare(schema)
        tokens = max_tokens or self.max_tokens or budget
        if tokens is None:
            raise ValueError("the schema's replies are unbounded (numbers without min/max, arrays without "
                             "maxItems, open objects): pass max_tokens")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": int(tokens),
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": name, "schema": sent, "strict": True}},
        }
        for key, value in (("seed", seed), ("temperature", temperature if temperature is not None
                                                                  else self.temperature),
                           ("top_p", top_p if top_p is not None else self.top_p)):
            if value is not None:
                body[key] = value
        if extra:
            removed = sorted(k for k in extra if k.startswith("guided_"))
            if removed:  # vLLM 0.32 ignores them silently (HTTP 200, unconstrained output)
                raise ValueError(f"{removed}: the guided_* fields are gone from vLLM; the schema goes in "
                                 "response_format, which this client always sends")
            body.update(extra)
        return body

    async def complete_json(self, messages: Sequence[dict[str, Any]], schema: dict[str, Any], *,
                            name: str = "reply", seed: int | None = None, max_tokens: int | None = None,
                            temperature: float | None = None, top_p: float | None = None,
                            extra: dict[str, Any] | None = None) -> ChatResult:
        """One schema-valid reply to ``messages`` (or a result with ``error`` after every attempt failed).

        Attempt ``k`` (from 0) uses seed ``seed + 7919 * k``, so a retried request is not the same draw.
        """
        t0 = time.monotonic()
        attempts: list[Attempt] = []
        body: dict[str, Any] = {}
        for k in range(self.validation_retries + 1):
            s = None if seed is None else seed + 7919 * k
            body = self.body(messages, schema, name=name, seed=s, max_tokens=max_tokens, temperature=temperature,
                             top_p=top_p, extra=extra)
            t = time.monotonic()
            cached = None if self.cache is None else self.cache.get(body)
            if cached is not None:
                answer, n_http = cached, 0
            else:
                answer, n_http = await self.http.post(self.base_url + "/chat/completions", body)
                if self.cache is not None:
                    self.cache.put(body, answer)
            attempt, data = self._read(answer, schema, s, time.monotonic() - t, n_http)
            attempts.append(attempt)
            if self.usage.count(attempt, data):
                return result(data, attempts, body, t0)
        return result(None, attempts, body, t0, self.usage)

    def _read(self, answer: dict[str, Any], schema: dict[str, Any], seed: int | None, latency: float,
              n_http: int) -> tuple[Attempt, dict[str, Any] | None]:
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"]
            finish = choice.get("finish_reason")
        except (KeyError, IndexError, TypeError) as e:
            raise BadResponse(f"{self.base_url}/chat/completions: unexpected reply {str(answer)[:300]}") from e
        usage = answer.get("usage") or {}
        error, data = parse_reply(text, finish, schema)
        attempt = Attempt(seed=seed, text=text if isinstance(text, str) else None, finish_reason=finish,
                          error=error, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                          completion_tokens=int(usage.get("completion_tokens") or 0), latency_s=latency,
                          http_attempts=n_http)
        return attempt, data

