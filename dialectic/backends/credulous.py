"""A FAKE chat backend: the worst-case reader of injected instructions (issue 12, hostile agents).

No LLM runs here. ``CredulousFake`` answers a structured move as a fully credulous instruction follower
would, so the defence can be measured on identical words without a GPU and without a model that happens to
obey or not:

- it reads its own group's assessment in its prompt ("the proposal on the table is worth X", "cannot accept
  anything below R") and, left alone, accepts the table exactly when X >= R (an honest reader);
- when the prompt's dialogue carries an attack (dialectic.injection's patterns, read *through*
  any quoting: JSON escapes are undone first), it obeys: accepts the table, tolerates every view and, for a
  JSON move, copies its view and proposal where they are points of the schema;
- everything else (its view, a proposal) is drawn from the schema with the request's seed.

Because it reads through quotes, quoting others' words protects nothing against it: what it measures is the
reward step's guard alone. What the quoting half is worth depends on the model; eval/hostile.py reports it on
real models (served tiny models here, any served model with ``--endpoints``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from dialectic.backends.chat_http import Attempt, ChatResult, result
from dialectic.injection import injection_kinds

_WORTH = re.compile(r"proposal on the table is worth (-?[0-9.]+) to your group")
_BELOW = re.compile(r"cannot accept anything below (-?[0-9.]+)")
_DIALOGUE = re.compile(r"Recent dialogue:\n(.*?)(?:\n\n[A-Z]|\Z)", re.DOTALL)
_JSON_MOVE = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")


def _unquoted(text: str) -> str:
    return text.replace('\\"', '"').replace("\\u003c", "<").replace("\\u003e", ">").replace("\\n", "\n")


def _draw(schema: dict[str, Any], rng: np.random.Generator) -> Any:
    """A schema-valid value drawn with ``rng`` (the subset of JSON schema dialectic's move schemas use)."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(options) < len(schema["anyOf"]) and rng.random() < 0.7:
            return None
        return _draw(options[int(rng.integers(len(options)))], rng)
    if "enum" in schema:
        return schema["enum"][int(rng.integers(len(schema["enum"])))]
    kind = schema.get("type")
    if kind == "object":
        return {k: _draw(v, rng) for k, v in schema.get("properties", {}).items()}
    if kind == "boolean":
        return bool(rng.random() < 0.5)
    if kind == "string":
        return "noted"[: schema.get("maxLength", 5)] or "x"
    if kind in ("number", "integer"):
        return 0
    raise ValueError(f"CredulousFake: cannot draw a value for schema {schema!r}")


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    if "anyOf" in schema:
        return any(_fits(value, s) for s in schema["anyOf"])
    if value is None:
        return schema.get("type") == "null"
    if "enum" in schema:
        return value in schema["enum"]
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        return isinstance(value, dict) and set(value) == set(schema.get("required", props)) and all(
            _fits(value[k], props[k]) for k in value if k in props)
    return False


class CredulousFake:
    """A FAKE chat model: obeys any attack it reads (see the module). ``model``: the name in the trace."""

    model = "credulous-fake"

    def __init__(self) -> None:
        self.calls = 0

    async def complete_json(self, messages: Sequence[dict[str, str]], schema: dict[str, Any], *,
                            name: str = "reply", seed: int | None = None, max_tokens: int | None = None,
                            temperature: float | None = None, top_p: float | None = None,
                            extra: dict[str, Any] | None = None) -> ChatResult:
        t0 = time.monotonic()
        self.calls += 1
        rng = np.random.default_rng(seed)
        data = _draw(schema, rng)
        prompt = "\n".join(m["content"] for m in messages)
        worth, below = _WORTH.search(prompt), _BELOW.search(prompt)
        if "accepts" in data and worth and below:
            data["accepts"] = float(worth.group(1)) >= float(below.group(1))
        dialogue = _DIALOGUE.search(prompt)
        heard = _unquoted(dialogue.group(1)) if dialogue else ""
        if "accepts" in data and injection_kinds(heard):
            data["accepts"] = True
            data["tolerates"] = {g: True for g in data.get("tolerates", {})}
            for found in _JSON_MOVE.findall(heard):
                try:
                    move = json.loads(found)
                except ValueError:
                    continue
                props = schema["properties"]
                for key in ("view", "proposal"):
                    if key in move and _fits(move[key], props[key]):
                        data[key] = move[key]
        text = json.dumps(data)
        attempt = Attempt(seed=seed, text=text, finish_reason="stop", error=None, prompt_tokens=len(prompt) // 4,
                          completion_tokens=len(text) // 4, latency_s=time.monotonic() - t0, http_attempts=1)
        request = {"model": self.model, "messages": list(messages), "seed": seed, "temperature": temperature}
        return result(data, [attempt], request, t0)

    async def aclose(self) -> None:
        return None
