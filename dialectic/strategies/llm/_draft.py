"""Drafts: the n candidate moves an LLM participant sampled at one turn, before its reward model chose.

The engine's reward step (:mod:`dialectic.strategies.llm._reward_step`) scores a Draft and plays the best
candidate; both live in the graph, so the reward model is a step of the dialogue, not a tool the LLM calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from dialectic.dialogue import Move


class ChatBackend(Protocol):
    """What the vLLM HTTP client and the in-process transformers model share."""

    async def complete_json(self, messages: Any, schema: dict[str, Any], *, name: str = "reply",
                            seed: int | None = None, max_tokens: int | None = None,
                            temperature: float | None = None, top_p: float | None = None,
                            extra: dict[str, Any] | None = None) -> Any: ...


@dataclass
class Draft:
    participant: str
    role: Literal["agent", "mediator"]
    prompt: str
    messages: list[dict[str, str]]
    sampling: dict[str, Any]
    seeds: list[int]
    replies: list[Any]  # ChatResult per candidate
    moves: list[Move | None]
    errors: list[str | None]
    feedback: list[dict[str, Any]] = field(default_factory=list)
    rule: str = "argmax"
