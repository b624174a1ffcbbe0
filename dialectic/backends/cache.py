"""A response cache for exact replay of LLM runs.

vLLM's continuous batching is not bit-reproducible (the same seeded request can come back different when it
is batched with others), so an LLM run is repeated exactly by replaying its responses. The cache is an
append-only JSONL file: one line per answered request, keyed by the SHA-256 of the request body as sent
(model, messages, schema, seed, sampling settings, token budget). A run with ``--cache FILE`` answers every
request it has seen from the file and sends only new ones, appending their answers; a killed run leaves a
readable file (a torn last line is ignored).
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict


class CachedAnswer(BaseModel):
    """One line of the cache file."""

    model_config = ConfigDict(extra="forbid")
    key: str
    answer: dict[str, Any]


def request_key(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._answers: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            lines = self.path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    item = CachedAnswer.model_validate_json(line)
                except ValueError as e:
                    if number == len(lines):
                        break  # a torn last line from a killed run
                    raise ValueError(f"{self.path}:{number}: expected a cached answer "
                                     f"{{key, answer}}, found {line[:80]!r} ({e})") from None
                self._answers[item.key] = item.answer
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, body: dict[str, Any]) -> dict[str, Any] | None:
        answer = self._answers.get(request_key(body))
        if answer is None:
            self.misses += 1
        else:
            self.hits += 1
        return answer

    def put(self, body: dict[str, Any], answer: dict[str, Any]) -> None:
        key = request_key(body)
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = answer
            with self.path.open("a", encoding="utf-8") as f:
                f.write(CachedAnswer(key=key, answer=answer).model_dump_json() + "\n")
