"""The public state of a dialogue ("the table") and how a move changes it.

Semantics (DESIGN.md): stances reset when a new proposal is tabled and its proposer counts as
accepting it; a view changes only when an agent states a new one; a tolerance stance counts only if
it was given after the judged view's last change. The engine's referee and the evaluator replay
moves through this same function, so the verdicts are about what the engine really did.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialectic.dialogue._move import Move
from dialectic.space import Outcome

#: The opening (the opening speaker's proposal) is addressed as turn 0.
OPENING_TURN = 0


@dataclass(frozen=True, slots=True)
class Table:
    views: dict[str, Outcome]
    view_since: dict[str, int]
    proposal: Outcome | None
    proposer: str | None
    proposed_at: int
    accepts: dict[str, bool]
    tolerance: dict[str, dict[str, tuple[int, bool]]]
    turn: int = OPENING_TURN

    @classmethod
    def opening(cls, views: dict[str, Outcome], speaker: str, proposal: Outcome | None) -> Table:
        return cls(
            views=dict(views),
            view_since={g: OPENING_TURN for g in views},
            proposal=proposal,
            proposer=speaker if proposal is not None else None,
            proposed_at=OPENING_TURN,
            accepts={speaker: True} if proposal is not None else {},
            tolerance={g: {} for g in views},
        )

    def apply(self, move: Move, turn: int) -> Table:
        speaker = move.speaker
        accepts = self.accepts
        if move.accepts is not None and self.proposal is not None:
            accepts = {**accepts, speaker: move.accepts}
        views, view_since = self.views, self.view_since
        if move.view != views.get(speaker):
            views = {**views, speaker: move.view}
            view_since = {**view_since, speaker: turn}
        tolerance = self.tolerance
        if move.tolerates:
            row = dict(tolerance.get(speaker, {}))
            for judged, stance in move.tolerates.items():
                if judged != speaker and judged in views:
                    row[judged] = (turn, stance)
            tolerance = {**tolerance, speaker: row}
        proposal, proposer, proposed_at = self.proposal, self.proposer, self.proposed_at
        if move.proposal is not None:
            if move.proposal != self.proposal:
                proposal, proposer, proposed_at = move.proposal, speaker, turn
                accepts = {speaker: True}
            elif not accepts.get(speaker, False):
                accepts = {**accepts, speaker: True}
        return Table(
            views=views,
            view_since=view_since,
            proposal=proposal,
            proposer=proposer,
            proposed_at=proposed_at,
            accepts=accepts,
            tolerance=tolerance,
            turn=turn,
        )

    def accepting(self) -> list[str]:
        return [g for g, yes in self.accepts.items() if yes]

    def tolerates(self, judge: str, judged: str) -> bool | None:
        """judge's current stance on judged's current view; None if it has not judged that view."""
        given = self.tolerance.get(judge, {}).get(judged)
        if given is None or given[0] <= self.view_since[judged]:
            return None
        return given[1]

    def mutual_tolerance(self, groups: list[str]) -> bool:
        return all(self.tolerates(g, h) is True for g in groups for h in groups if g != h)
