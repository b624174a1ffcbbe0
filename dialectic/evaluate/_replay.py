"""Replay a trace's moves through the dialogue Table, so verdicts are about the public state the
engine really had (stance resets, tolerance freshness), not about a re-implementation of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialectic.dialogue import MEDIATOR, Move, Table
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.trace import MoveEvent, NamedOutcome, Trace


@dataclass(frozen=True)
class Turn:
    """One replayed move, the proposal its `accepts` stance answered, and where it falls in the run
    (its trace turn number and round)."""

    move: Move
    answered: Outcome | None
    number: int = 0
    round: int = 0


@dataclass(frozen=True)
class Replay:
    opening: Table
    final: Table
    turns: list[Turn]
    settlement: Outcome | None
    opening_views: dict[str, Outcome]
    final_views: dict[str, Outcome]
    #: The table after each turn, aligned with `turns`.
    tables: list[Table] = field(default_factory=list)

    @property
    def accepted_settlement(self) -> dict[str, bool]:
        """Each participant's final stance on the settlement (empty when there is none)."""
        if self.settlement is None or self.final.proposal != self.settlement:
            return {}
        return dict(self.final.accepts)


def _parse(game: Game, named: NamedOutcome | None) -> Outcome | None:
    return None if named is None else game.space.parse(named)


def _move(game: Game, event: MoveEvent) -> Move:
    return Move(
        speaker=event.speaker,
        view=game.space.parse(event.view),
        proposal=_parse(game, event.proposal),
        accepts=event.accepts,
        tolerates=dict(event.tolerates),
        target=event.target,
    )


def replay(game: Game, trace: Trace) -> Replay:
    """Opening table from the trace's opening event, then every move in order.

    Views: a group's opening view is the one the opening event recorded (its scenario opening view if
    missing); a mediator's opening view is its first proposal and its final view its last one.
    """
    named_views = trace.opening.views
    views = {
        g: game.space.parse(named_views[g]) if g in named_views else game.opening_view(g)
        for g in game.group_ids
    }
    table = opening = Table.opening(views, trace.opening.speaker, _parse(game, trace.opening.proposal))
    turns: list[Turn] = []
    tables: list[Table] = []
    mediator_proposals: list[Outcome] = []
    for event in trace.moves:
        move = _move(game, event)
        answered = _parse(game, event.answers) if event.answers is not None else table.proposal
        turns.append(Turn(move, answered, event.turn, event.round))
        if move.speaker == MEDIATOR and move.proposal is not None:
            mediator_proposals.append(move.proposal)
        table = table.apply(move, event.turn)
        tables.append(table)
    opening_views = dict(views)
    final_views = {g: table.views[g] for g in game.group_ids}
    if mediator_proposals:
        opening_views[MEDIATOR] = mediator_proposals[0]
        final_views[MEDIATOR] = mediator_proposals[-1]
    settlement = _parse(game, trace.end.settlement) if trace.end is not None else None
    return Replay(opening, table, turns, settlement, opening_views, final_views, tables)
