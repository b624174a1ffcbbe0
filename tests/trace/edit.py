"""Test helpers shared by the show and report tests: a trace with one move edited, and the generation block of
an LLM move built with the trace's pydantic models (no chat backend runs in process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dialectic.trace import Candidate, Generation, RewardPair


def edited(source: str | Path, target: Path, turn: int, **changes: Any) -> Path:
    """A copy of a trace with one move's fields replaced."""
    out = []
    for line in Path(source).read_text().splitlines():
        event = json.loads(line)
        if event["type"] == "move" and event["turn"] == turn:
            event.update(changes)
        out.append(json.dumps(event))
    target.write_text("\n".join(out) + "\n")
    return target


def llm_generation(view: Any, hostile: str) -> dict[str, Any]:
    """Two candidates (one invalid), the second chosen by reward, with ``hostile`` text in the prompt and the
    chosen reply; ``view`` is the move's own view."""
    return Generation(
        prompt="negotiator",
        messages=[{"role": "system", "content": "You speak for DoT."},
                  {"role": "user", "content": "Last turn: " + hostile}],
        sampling={"n": 2, "temperature": 1.0},
        candidates=[
            Candidate(seed=11, valid=False, error="view: not an outcome", attempts=2),
            Candidate(seed=12, valid=True, reply={"utterance": "Fine by us " + hostile, "view": view},
                      rewards={"DoT": RewardPair(view=1.0, proposal=0.19), "mayor": RewardPair(view=0.35)},
                      score=0.874),
        ],
        chosen=1,
        rule="reward",
    ).model_dump(mode="json")
