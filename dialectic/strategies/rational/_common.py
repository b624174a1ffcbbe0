"""Pieces shared by the rational policies: honest stances and the public ledger of yes/no answers."""

from __future__ import annotations

from collections.abc import Sequence

from dialectic.dialogue import Observation, Said
from dialectic.space import Outcome


def honest_tolerance(obs: Observation) -> dict[str, bool]:
    """Tolerate a view iff the group's own utility of it is at or above its reservation."""
    utility = obs.utility
    return {g: utility.accepts(obs.table.views[g]) for g in obs.others()}


class Ledger:
    """Latest public yes/no of every group on every outcome it judged, read incrementally from the
    record: proposals answered, views tolerated, own proposals and own views count as yes."""

    def __init__(self, opening_views: dict[str, Outcome]) -> None:
        self.stances: dict[Outcome, dict[str, bool]] = {}
        self.rejected: set[Outcome] = set()
        self.views = dict(opening_views)
        for group, view in opening_views.items():
            self._note(view, group, True)
        self._seen = 0

    def _note(self, outcome: Outcome, group: str, yes: bool) -> None:
        self.stances.setdefault(outcome, {})[group] = yes
        if not yes:
            self.rejected.add(outcome)

    def update(self, record: Sequence[Said]) -> None:
        """Fold in the moves not seen yet."""
        views_before = self.views
        for said in record[self._seen :]:
            move = said.move
            if said.answers is not None and move.accepts is not None:
                self._note(said.answers, move.speaker, move.accepts)
            for judged, yes in move.tolerates.items():
                if judged in views_before:
                    self._note(views_before[judged], move.speaker, yes)
            views_before[move.speaker] = move.view
            self._note(move.view, move.speaker, True)
            if move.proposal is not None:
                self._note(move.proposal, move.speaker, True)
        self._seen = len(record)

    def yes_count(self, outcome: Outcome, exclude: str) -> int:
        return sum(1 for g, yes in self.stances.get(outcome, {}).items() if yes and g != exclude)
