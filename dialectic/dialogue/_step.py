"""The dialogue's record in context: a move (Said) with the public tables around it and what it answered.

The evaluator replays a trace into these steps (dialectic.evaluate.Context.steps) and the influence graph
reads them (dialectic.influence), so they live with the dialogue they describe.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialectic.dialogue._observation import Said
from dialectic.dialogue._table import Table


@dataclass(frozen=True)
class Utterance:
    """A reference to something said: its turn number (0: the opening) and who said it."""

    turn: int
    speaker: str

    def as_json(self) -> dict[str, int | str]:
        return {"turn": self.turn, "speaker": self.speaker}


@dataclass(frozen=True, slots=True)
class Step(Said):
    """A replayed move in context (dialectic.dialogue.Said: turn, round, move, answers) with the public
    state around it: `before`/`after` are the table before and after it; `replies_to` lists what it
    answered: every move since the speaker's previous turn, and the opening (turn 0) when this is the
    speaker's first turn and it did not open.
    """

    before: Table
    after: Table
    replies_to: tuple[Utterance, ...]

    @property
    def view_changed(self) -> bool:
        return self.before.views.get(self.speaker) != self.move.view
