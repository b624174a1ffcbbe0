"""Replay a trace's moves through the engine's own rules, and check the trace against the replay.

The verdicts are about what the engine really did, recomputed, never about what a trace says of it:

- the opening (speaker, proposal, every group's opening view) is the scenario's (`Game.opening`,
  `Game.opening_view`), as the engine's Session builds it;
- each move is applied to the dialogue `Table` (stance resets, the proposer's yes, tolerance
  freshness) and the engine's `Referee` says after each move whether the run ends there (settlement,
  round limit), who speaks at each turn and in which round;
- declared agreement, the settlement, `accepted_by`, the end reason, rounds and turns are the
  replay's (a mediator's move with no proposal ends the run in deadlock, as the referee rules; a run
  whose moves stop before it ended, with an end event, ended in deadlock too: a participant had no
  move, the one end a move cannot show).

Everything the trace records that the replay can recompute is compared with it: the header's
speaking order and rounds, the opening, each move's turn, round, speaker, the proposal its stance
answered and each group's reward for its view and proposal (recomputed from the reward models), and
the end event. Each difference is an `Inconsistency` (field, recorded, replayed, turn). A trace with
no end event (a run cut short) is not inconsistent: it is scored as its moves replay (`complete`
false), ended if the replay says the run had ended, else still under way (no settlement).

Statements generated during the run (the trace's statement events, `views: free`) are admitted to the
game's pool first, in the order written: each text must hash to its recorded id, and each group's reward
for it is scored again by the group's reward model (by its text; a served model through its backend) and
compared with the record. Where a group's model cannot score text, the trace's record is used instead,
only on the very scenario the run used (same content hash), and the replay says so
(`GeneratedStatement.sources`, the evaluation's `generated_statements` metric).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialectic.dialogue import MEDIATOR, Move, Referee, Said, Table
from dialectic.dialogue._referee import EndReason
from dialectic.evaluate._model import Inconsistency
from dialectic.game import Game
from dialectic.scenario import scenario_hash
from dialectic.space import Outcome
from dialectic.trace import MoveEvent, NamedOutcome, RewardPair, Trace

#: A recorded reward agrees with the reward model when within this share of the larger of the group's
#: reward range and the reward's size: a served model scored again is not bit-identical (vLLM batches
#: differ), an in-process one is; verdicts never use recorded rewards, so this only checks the record.
REWARD_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Ending:
    """How the run ended, by the replay. reason None: the trace stops before the run ended (no end
    event, and the rules had not ended it)."""

    reason: EndReason | None
    settlement: Outcome | None
    accepted_by: list[str]
    rounds: int
    turns: int


@dataclass(frozen=True)
class GeneratedStatement:
    """A statement generated during the run, as the replay admitted it: its id, text and the turn it was
    first stated; each group's raw reward and where it comes from ("rescored": the group's reward model
    scored the text here; "recorded": the trace's record, the model scoring no text; "unscored": neither)."""

    id: str
    text: str
    turn: int
    outcome: Outcome
    rewards: dict[str, float | None]
    sources: dict[str, str]


@dataclass(frozen=True)
class Replay:
    opening: Table
    final: Table
    turns: list[Said]
    settlement: Outcome | None
    opening_views: dict[str, Outcome]
    final_views: dict[str, Outcome]
    #: The table after each turn, aligned with `turns`.
    tables: list[Table] = field(default_factory=list)
    ending: Ending | None = None
    #: Where the trace disagrees with the replay (empty: consistent).
    inconsistencies: list[Inconsistency] = field(default_factory=list)
    #: Statements generated during the run, in the order the trace records them.
    statements: list[GeneratedStatement] = field(default_factory=list)

    @property
    def accepted_settlement(self) -> dict[str, bool]:
        """Each participant's final stance on the settlement (empty when there is none)."""
        if self.settlement is None or self.final.proposal != self.settlement:
            return {}
        return dict(self.final.accepts)


def referee_for(game: Game, trace: Trace) -> Referee:
    """The engine's referee for this run: the scenario's groups, opening speaker and rounds; the
    protocol (a mediator or not, mutual tolerance or not) as the header names it."""
    header = trace.header
    mediated = header.mediator is not None or header.protocol in ("mediated", "mediated-critique")
    return Referee.of(game.rule, game.group_ids, game.opening.speaker, game.rounds, mediated, header.mutual_tolerance)


def _move(game: Game, event: MoveEvent) -> Move:
    return Move(
        speaker=event.speaker,
        view=game.space.parse(event.view),
        proposal=None if event.proposal is None else game.space.parse(event.proposal),
        accepts=event.accepts,
        tolerates=dict(event.tolerates),
        utterance=event.utterance,  # read for injected words (dialectic.evaluate._injection)
        target=event.target,
    )


def _named(game: Game, outcome: Outcome | None) -> NamedOutcome | None:
    return None if outcome is None else game.space.names(outcome)


def _same(game: Game, named: Mapping[str, Any] | None, outcome: Outcome | None) -> bool:
    """Does a recorded outcome name this outcome (None: none)? An unparsable one does not."""
    if named is None or outcome is None:
        return named is None and outcome is None
    try:
        return bool(game.space.parse(named) == outcome)
    except (KeyError, ValueError, TypeError, IndexError):
        return False


class _Checker:
    def __init__(self, game: Game):
        self.game = game
        self.found: list[Inconsistency] = []

    def differs(self, name: str, recorded: Any, replayed: Any, turn: int | None = None) -> None:
        self.found.append(Inconsistency(field=name, recorded=recorded, replayed=replayed, turn=turn))

    def outcome(self, name: str, named: Mapping[str, Any] | None, outcome: Outcome | None,
                turn: int | None = None) -> None:
        if not _same(self.game, named, outcome):
            self.differs(name, None if named is None else dict(named), _named(self.game, outcome), turn)

    def value(self, name: str, recorded: Any, replayed: Any, turn: int | None = None) -> None:
        if recorded != replayed:
            self.differs(name, recorded, replayed, turn)

    def agree(self, g: str, recorded: float | None, replayed: float | None) -> bool:
        """A recorded reward against the model's, within REWARD_TOLERANCE of the group's scale."""
        if recorded is None or replayed is None:
            return recorded is None and replayed is None
        utility = self.game.utilities[g]
        scale = max(utility.high - utility.low, abs(replayed))
        return abs(recorded - replayed) <= REWARD_TOLERANCE * scale

    def rewards(self, event: MoveEvent, move: Move, turn: int) -> None:
        """Each group's recorded reward for the move's view and proposal against its reward model
        (a move that records no rewards at all, as hand-written traces, is not checked)."""
        if not event.rewards:
            return
        game, space = self.game, self.game.space
        view_at = space.index(move.view)
        proposal_at = None if move.proposal is None else space.index(move.proposal)
        for g in [*game.group_ids, *(h for h in event.rewards if h not in game.utilities)]:
            utility = game.utilities.get(g)
            pair = event.rewards.get(g)
            if utility is None or pair is None:
                replayed = None if utility is None else self._pair(g, view_at, proposal_at).model_dump()
                self.differs(f"rewards.{g}", None if pair is None else pair.model_dump(), replayed, turn)
                continue
            for part, at in (("view", view_at), ("proposal", proposal_at)):
                recorded: float | None = getattr(pair, part)
                replayed_value = None if at is None else utility.reward_at(at)
                if not self.agree(g, recorded, replayed_value):
                    self.differs(f"rewards.{g}.{part}", recorded, replayed_value, turn)

    def _pair(self, g: str, view_at: int, proposal_at: int | None) -> RewardPair:
        utility = self.game.utilities[g]
        return RewardPair(view=utility.reward_at(view_at),
                          proposal=None if proposal_at is None else utility.reward_at(proposal_at))


def admit_statements(game: Game, trace: Trace, check: _Checker) -> list[GeneratedStatement]:
    """Admit the trace's generated statements to the game's pool (in the order written) and settle each
    group's reward for them: scored again where the model scores text, else the record (on the run's own
    scenario only); every recorded reward is checked against the model's."""
    if not trace.statements:
        return []
    space, admitted = game.space, []
    admit = getattr(space, "admit", None)
    own_scenario: bool | None = None
    for event in trace.statements:
        where = f"statements.{event.id}"
        if admit is None:
            check.differs(where, event.text, "no generated statement: the space is not a statement pool", event.turn)
            continue
        try:
            outcome = admit(event.text)
        except ValueError as error:
            check.differs(where, event.text, str(error), event.turn)
            continue
        if space.label(outcome) != event.id:  # the text does not hash to its id (or is a pool statement)
            check.differs(f"{where}.id", event.id, space.label(outcome), event.turn)
        rewards: dict[str, float | None] = {}
        sources: dict[str, str] = {}
        for g in [*game.group_ids, *(h for h in event.rewards if h not in game.utilities)]:
            utility, recorded = game.utilities.get(g), event.rewards.get(g)
            if utility is None:
                check.differs(f"{where}.rewards.{g}", recorded, None, event.turn)
                continue
            if utility.scores_text:
                rewards[g], sources[g] = utility.reward(outcome), "rescored"
                if not check.agree(g, recorded, rewards[g]):
                    check.differs(f"{where}.rewards.{g}", recorded, rewards[g], event.turn)
                continue
            if own_scenario is None:
                own_scenario = scenario_hash(game.scenario) == trace.header.scenario_hash
            if recorded is None or not own_scenario:
                rewards[g], sources[g] = None, "unscored"
                if recorded is None:
                    check.differs(f"{where}.rewards.{g}", None, "no reward recorded", event.turn)
                continue
            if utility.knows(outcome) and not check.agree(g, recorded, utility.reward(outcome)):
                check.differs(f"{where}.rewards.{g}", recorded, utility.reward(outcome), event.turn)
            else:
                utility.remember(outcome, recorded)
            rewards[g], sources[g] = utility.reward(outcome), "recorded"
        admitted.append(GeneratedStatement(event.id, event.text, event.turn, outcome, rewards, sources))
    return admitted


def sort_key(item: Inconsistency) -> tuple[int, int, str]:
    """Inconsistencies in a fixed order: the run's own (no turn) first, then by turn, then by field."""
    return (0 if item.turn is None else 1, item.turn or 0, item.field)


def replay(game: Game, trace: Trace) -> Replay:
    """The run as the engine played it: the scenario's opening, then the trace's moves in order, each
    numbered by its place, until the rules end the run; checked against what the trace records.

    Views: a mediator's opening view is its first proposal and its final view its last one."""
    referee = referee_for(game, trace)
    check = _Checker(game)
    header, recorded_opening = trace.header, trace.opening
    check.value("header.order", list(header.order), list(referee.order))
    check.value("header.rounds", header.rounds, referee.rounds)
    statements = admit_statements(game, trace, check)

    speaker, proposal = game.opening.speaker, game.opening.proposal
    views = {g: game.opening_view(g) for g in game.group_ids}
    check.value("opening.speaker", recorded_opening.speaker, speaker)
    check.outcome("opening.proposal", recorded_opening.proposal, proposal)
    for g in [*game.group_ids, *(h for h in recorded_opening.views if h not in views)]:
        check.outcome(f"opening.views.{g}", recorded_opening.views.get(g), views.get(g))

    table = opening = Table.opening(views, speaker, proposal)
    turns: list[Said] = []
    tables: list[Table] = []
    mediator_proposals: list[Outcome] = []
    decided: EndReason | None = None
    for index, event in enumerate(trace.moves):
        turn = index + 1
        if decided is not None:  # the rules ended the run before this move
            check.differs("moves", len(trace.moves), len(turns), turn)
            break
        round_ = referee.round_of(turn)
        check.value("turn", event.turn, turn, turn)
        check.value("round", event.round, round_, turn)
        check.value("speaker", event.speaker, referee.speaker_of(turn), turn)
        move = _move(game, event)
        if event.answers is not None:  # hand-written traces may leave it out: the table's proposal
            check.outcome("answers", event.answers, table.proposal, turn)
        check.rewards(event, move, turn)
        turns.append(Said(turn, round_, move, table.proposal))
        if move.speaker == MEDIATOR and move.proposal is not None:
            mediator_proposals.append(move.proposal)
        table = table.apply(move, turn)
        tables.append(table)
        decided = referee.decide(table, turn, move)

    played = len(turns)
    reason: EndReason | None = decided if decided is not None else ("deadlock" if trace.end is not None else None)
    settlement = referee.settlement(table, reason)
    ending = Ending(reason, settlement, referee.accepted_by(table), referee.rounds_of(played), played)
    end = trace.end
    if end is not None:
        check.value("end.reason", end.reason, ending.reason)
        check.outcome("end.settlement", end.settlement, ending.settlement)
        if sorted(end.accepted_by) != sorted(ending.accepted_by):
            check.differs("end.accepted_by", list(end.accepted_by), sorted(ending.accepted_by))
        check.value("end.rounds", end.rounds, ending.rounds)
        check.value("end.turns", end.turns, ending.turns)

    opening_views = dict(views)
    final_views = {g: table.views[g] for g in game.group_ids}
    if mediator_proposals:
        opening_views[MEDIATOR] = mediator_proposals[0]
        final_views[MEDIATOR] = mediator_proposals[-1]
    found = sorted(check.found, key=sort_key)
    return Replay(opening, table, turns, settlement, opening_views, final_views, tables, ending, found, statements)
