"""Served text reward models: a group's LoRA adapter on a shared base reward model, or a group's output of
one model with an output per group (a learned statement model, dialectic.learned's export), scored over
vLLM's ``/classify`` (:class:`~dialectic.backends.reward_http.HTTPRewardClient`) or in-process with
transformers (:class:`~dialectic.backends.reward_local.LocalRewardModel`).

An outcome is scored by its text (``space.text``). The agent of the group and the evaluator hold the same
:class:`ServedRewardModel`: its scores of the whole space are taken once, when the Game is built (one
batched request per group), and every later request for a text it has seen is answered from that record,
so what the agent optimised is exactly what it is judged by. A text it has not seen (an LLM agent's new
statement) goes to the server and joins the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from dialectic.rewards._protocol import reward
from dialectic.scenario import ServedReward
from dialectic.space import DiscreteSpace

#: Spaces larger than this are not scored whole by a served model (one text per outcome).
SERVED_SPACE_LIMIT = 100_000


class RewardBackend(Protocol):
    """What the HTTP and in-process reward clients share."""

    async def score(self, name: str, texts: Sequence[str]) -> list[float]: ...

    def score_sync(self, name: str, texts: Sequence[str]) -> list[float]: ...

    async def score_outputs(self, name: str, texts: Sequence[str]) -> list[list[float]]: ...

    def score_outputs_sync(self, name: str, texts: Sequence[str]) -> list[list[float]]: ...

    def output_index(self, name: str, output: str | int) -> int: ...


class NoRewardBackend(RuntimeError):
    """A scenario with served rewards was loaded without a reward backend."""


class GroupRewardClient:
    """A reward backend scoped to one group's model: it scores texts with that adapter, or that output of a
    multi-output model, and names no other. An agent's reward step holds this, never the backend, so asking
    another group's model is not an operation it has (the behavioural boundary check, dialectic.conformance,
    catches any way around). With a multi-output model the server answers every group's score of a text in
    one request; the client keeps only its own group's and never hands the others out."""

    __slots__ = ("__backend", "__index", "adapter", "model", "output")

    def __init__(self, backend: RewardBackend, adapter: str | None = None, *, model: str | None = None,
                 output: str | int | None = None):
        if (adapter is None) == (model is None) or (model is not None and output is None):
            raise ValueError("a group's reward client names either an adapter, or a model and its output")
        self.__backend = backend
        self.adapter = adapter
        self.model = model
        self.output = output
        self.__index = None if model is None or output is None else backend.output_index(model, output)

    @property
    def name(self) -> str:
        """The served model name requests go to (the adapter, or the multi-output model)."""
        return self.adapter if self.adapter is not None else str(self.model)

    def _own(self, rows: list[list[float]]) -> list[float]:
        index = self.__index
        assert index is not None
        if any(len(row) <= index for row in rows):
            raise ValueError(f"reward model {self.model!r}: no output {self.output!r} (index {index}) in its answer")
        return [float(row[index]) for row in rows]

    async def score(self, texts: Sequence[str]) -> list[float]:
        if self.adapter is not None:
            return await self.__backend.score(self.adapter, texts)
        return self._own(await self.__backend.score_outputs(self.name, texts))

    def score_sync(self, texts: Sequence[str]) -> list[float]:
        if self.adapter is not None:
            return self.__backend.score_sync(self.adapter, texts)
        return self._own(self.__backend.score_outputs_sync(self.name, texts))


class ServedRewardModel:
    """One group's served reward: ``score(outcomes)`` for the space, ``ascore_texts`` for any text."""

    def __init__(self, spec: ServedReward, space: DiscreteSpace, backend: RewardBackend):
        self.spec = spec
        self.adapter = spec.adapter
        self.space = space
        self.client = GroupRewardClient(backend, spec.adapter, model=spec.model, output=spec.output)
        self.record: dict[str, float] = {}

    def texts(self, outcomes: np.ndarray) -> list[str]:
        return [self.space.text(tuple(int(k) for k in row)) for row in outcomes]

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        texts = self.texts(outcomes)
        missing = sorted({t for t in texts if t not in self.record})
        if missing:
            self.record.update(zip(missing, self.client.score_sync(missing), strict=True))
        return np.array([self.record[t] for t in texts], dtype=np.float64)

    async def ascore_texts(self, texts: Sequence[str]) -> list[float]:
        """Raw rewards of ``texts``; texts not seen before are scored by the backend (one batched request)."""
        missing = sorted({t for t in texts if t not in self.record})
        if missing:
            self.record.update(zip(missing, await self.client.score(missing), strict=True))
        return [self.record[t] for t in texts]


@reward("served")
def served(spec: ServedReward, space: DiscreteSpace, backend: Any = None) -> ServedRewardModel:
    if backend is None:
        raise NoRewardBackend(
            f"reward kind 'served' ({spec.describe()}) needs a reward backend: run with "
            "`--endpoints FILE` (written by `dialectic serve`) or `--backend transformers --endpoints FILE`"
        )
    if space.size > SERVED_SPACE_LIMIT:
        raise ValueError(f"a served reward scores every outcome by its text; this space has {space.size} "
                         f"outcomes (limit {SERVED_SPACE_LIMIT})")
    return ServedRewardModel(spec, space, backend)


served.needs_backend = True  # type: ignore[attr-defined]
served.scores_text = True  # type: ignore[attr-defined]  # any text, by its adapter (generated statements)
