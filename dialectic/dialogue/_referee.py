"""The referee's rules: who speaks when, when a run ends, and what its settlement is.

One definition, used by the engine while it runs (`Session`) and by the evaluator when it replays a
saved trace (`dialectic.evaluate`), so a trace is judged by the rules the engine really applied:

- the speaking order is the scenario's groups starting after the opening speaker (who speaks last),
  with the mediator first in mediated runs; turn t (from 1) is spoken by order[(t - 1) % len(order)]
  and falls in round (t - 1) // len(order) + 1;
- after each move the run ends on a settlement when the proposal on the table passes the rule (and,
  under mutual tolerance, every group tolerates every other group's current view), else at the round
  limit (rounds x len(order) turns); it ends in deadlock on a mediator's move that tables no
  proposal (the mediator says no outcome passes the rule honestly: its move is recorded, with its
  words) and when a participant has no move at all;
- the settlement is the proposal on the table when it passes the rule and the run did not end in
  deadlock (at the round limit under mutual tolerance, a passing proposal is the settlement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dialectic.dialogue._move import MEDIATOR, Move
from dialectic.dialogue._table import Table
from dialectic.game import AgreementRule
from dialectic.space import Outcome

EndReason = Literal["settlement", "round_limit", "deadlock"]


def speaking_order(groups: Sequence[str], opening_speaker: str, mediated: bool) -> list[str]:
    """The groups starting after the opening speaker (who speaks last); a mediator speaks first."""
    start = list(groups).index(opening_speaker)
    rotation = list(groups[start + 1 :]) + list(groups[: start + 1])
    return ([MEDIATOR] if mediated else []) + rotation


def declines(move: Move) -> bool:
    """A mediator's move that tables no proposal: it found no outcome the rule passes honestly (every
    group accepting exactly what its reward model puts at or above its reservation) and says so."""
    return move.speaker == MEDIATOR and move.proposal is None


@dataclass(frozen=True)
class Referee:
    rule: AgreementRule
    groups: tuple[str, ...]
    order: tuple[str, ...]
    rounds: int
    mutual_tolerance: bool

    @classmethod
    def of(cls, rule: AgreementRule, groups: Sequence[str], opening_speaker: str, rounds: int,
           mediated: bool, mutual_tolerance: bool) -> Referee:
        order = speaking_order(groups, opening_speaker, mediated)
        return cls(rule, tuple(groups), tuple(order), rounds, mutual_tolerance)

    @property
    def max_turns(self) -> int:
        return self.rounds * len(self.order)

    def speaker_of(self, turn: int) -> str:
        return self.order[(turn - 1) % len(self.order)]

    def round_of(self, turn: int) -> int:
        return (turn - 1) // len(self.order) + 1

    def passes(self, table: Table) -> bool:
        return table.proposal is not None and self.rule.passes(table.accepting())

    def decide(self, table: Table, turn: int, move: Move | None = None) -> EndReason | None:
        """How the run ends after `move`, the move of `turn`, left `table`; None: it goes on. A mediator's
        move with no proposal is its word that no outcome passes the rule honestly: deadlock."""
        if self.passes(table) and (not self.mutual_tolerance or table.mutual_tolerance(list(self.groups))):
            return "settlement"
        if move is not None and declines(move):
            return "deadlock"
        if turn >= self.max_turns:
            return "round_limit"
        return None

    def settlement(self, table: Table, reason: EndReason | None) -> Outcome | None:
        """The settlement of a run that ended for `reason` with this table (None: no settlement)."""
        if reason is None or reason == "deadlock" or not self.passes(table):
            return None
        return table.proposal

    def accepted_by(self, table: Table) -> list[str]:
        """The groups accepting the proposal on the table (a mediator is no group)."""
        return [g for g in table.accepting() if g != MEDIATOR]

    def rounds_of(self, turns: int) -> int:
        """The rounds a run of `turns` turns took (a run that ended before its first move: 1)."""
        return self.round_of(max(turns, 1))
