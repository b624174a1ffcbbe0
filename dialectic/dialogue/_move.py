"""A Move: what one participant says at its turn (DESIGN.md, "The dialogue model")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dialectic.space import Outcome

MEDIATOR = "mediator"


@dataclass(frozen=True, slots=True)
class Move:
    """view: the position stated as the group's own; proposal: a settlement for everyone (optional);
    accepts: stance on the proposal on the table before this move (None when nothing is tabled);
    tolerates: stance on each other group's current view; target: the time-dependent acceptance
    target in normalised utility, for strategies that have one (lets the evaluator tell a flip from
    a scheduled concession)."""

    speaker: str
    view: Outcome
    proposal: Outcome | None = None
    accepts: bool | None = None
    tolerates: Mapping[str, bool] = field(default_factory=dict)
    utterance: str = ""
    rationale: str = ""
    target: float | None = None


class MoveError(ValueError):
    """A move that does not fit the space or the participants."""
