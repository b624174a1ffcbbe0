"""What `dialectic show` shows of a saved trace, as one JSON-friendly dict: the run's header and label,
every turn (speaker, utterance, view, proposal, stances, each group's utility of the proposal and of the
speaker's view against its reservation, an LLM move's candidates and choice), where the trace stops, and
the evaluation with the evidence for its label.

The evaluation is the trace's own evaluation event when it has one (unless `rescore`), else the trace
re-scored by `dialectic score`'s code (`Rescorer`). Utilities are always computed here from the scenario's
reward models (the scenario is found as `score` finds it), never read from the trace's recorded rewards.
Text from the trace is left as it is: the terminal renderer makes it safe to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dialectic.evaluate import Context, Evaluation, Rescorer
from dialectic.game import Game
from dialectic.space import Outcome, StatementSpace
from dialectic.trace import Generation, MoveEvent, NamedOutcome, Trace


@dataclass(frozen=True)
class Filters:
    """Which turns to show (None: any): the round, the speaker and the turn number, all of them at once."""

    round: int | None = None
    group: str | None = None
    turn: int | None = None

    def keep(self, move: MoveEvent) -> bool:
        return ((self.round is None or move.round == self.round)
                and (self.group is None or move.speaker == self.group)
                and (self.turn is None or move.turn == self.turn))

    def as_dict(self) -> dict[str, Any]:
        return {"round": self.round, "group": self.group, "turn": self.turn}


def _parse(game: Game, named: NamedOutcome | None) -> Outcome | None:
    if named is None:
        return None
    try:
        return game.space.parse(named)
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


class _Scorer:
    """Each group's normalised utility of an outcome, and how to name it (statement text on a pool)."""

    def __init__(self, game: Game):
        self.game = game
        self.reservations = {g: float(game.utilities[g].reservation) for g in game.group_ids}

    def utilities(self, named: NamedOutcome | None) -> dict[str, float | None] | None:
        outcome = _parse(self.game, named)
        if named is None:
            return None
        result: dict[str, float | None] = {}
        for g in self.game.group_ids:
            try:
                result[g] = None if outcome is None else _round(self.game.utilities[g](outcome))
            except (KeyError, ValueError, IndexError):
                result[g] = None
        return result

    def outcome(self, named: NamedOutcome | None) -> dict[str, Any] | None:
        """An outcome as the trace names it, its short label and, on a statement pool, its text."""
        if named is None:
            return None
        shown: dict[str, Any] = {"named": dict(named), "label": ",".join(str(v) for v in named.values())}
        outcome = _parse(self.game, named)
        if outcome is not None and isinstance(self.game.space, StatementSpace):
            try:
                shown["text"] = self.game.space.text(outcome)
            except (KeyError, IndexError):
                pass
        return shown


def _generation(generation: Generation, messages: bool) -> dict[str, Any]:
    candidates = []
    for index, candidate in enumerate(generation.candidates):
        reply = candidate.reply or {}
        candidates.append({
            "index": index,
            "chosen": index == generation.chosen,
            "valid": candidate.valid,
            "error": candidate.error,
            "score": candidate.score,
            "utterance": reply.get("utterance") if isinstance(reply.get("utterance"), str) else None,
            "view": reply.get("view"),
            "proposal": reply.get("proposal"),
            "rewards": {g: pair.model_dump() for g, pair in candidate.rewards.items()},
        })
    shown: dict[str, Any] = {
        "rule": generation.rule,
        "chosen": generation.chosen,
        "held": generation.held,
        "ranking": generation.ranking,
        "sampling": generation.sampling,
        "candidates": candidates,
    }
    if messages:
        shown["messages"] = [dict(message) for message in generation.messages]
    return shown


def _turn(scorer: _Scorer, move: MoveEvent, messages: bool) -> dict[str, Any]:
    view = scorer.utilities(move.view)
    # The proposal judged: the move's own, else the one on the table that its stance answered.
    tabled = move.proposal if move.proposal is not None else move.answers
    proposal = scorer.utilities(tabled) or {}
    shown: dict[str, Any] = {
        "turn": move.turn,
        "round": move.round,
        "speaker": move.speaker,
        "utterance": move.utterance,
        "rationale": move.rationale,
        "view": scorer.outcome(move.view),
        "proposal": scorer.outcome(move.proposal),
        "answers": scorer.outcome(move.answers),
        "accepts": move.accepts,
        "tolerates": dict(move.tolerates),
        "target": move.target,
        "utility": {
            g: {
                "reservation": _round(rho),
                "view": None if view is None else view.get(g),
                "proposal": proposal.get(g),
            }
            for g, rho in scorer.reservations.items()
        },
        "proposal_judged": None if tabled is None else ("own" if move.proposal is not None else "answered"),
    }
    if move.generation is not None:
        shown["generation"] = _generation(move.generation, messages)
    elif messages:
        shown["generation"] = None
    return shown


def _stopped(trace: Trace) -> dict[str, Any]:
    """Where the trace stops and whether it was cut off (no end event, or a truncated last line)."""
    last = trace.moves[-1].turn if trace.moves else 0
    cut = not trace.complete or trace.truncated
    if not cut:
        note = None
    else:
        why = []
        if trace.truncated:
            why.append("its last line is cut off mid-write")
        if not trace.complete:
            why.append("it has no end event")
        where = f"turn {last}" if trace.moves else "the opening"
        cause = "a run cut short, e.g. by a crash"
        if trace.error is not None:  # a run stopped by an error says which (docs/serving.md, Faults)
            cause = f"the run errored: {trace.error.error}"
        note = (f"the trace stops at {where}: {' and '.join(why)} ({cause}); "
                "shown up to there, and scored as its moves replay")
    return {"complete": trace.complete, "truncated": trace.truncated, "last_turn": last, "cut_off": cut,
            "note": note}


def _evidence(context: Context, scorer: _Scorer, evaluation: dict[str, Any]) -> dict[str, Any]:
    """The facts behind the label, from the evaluation's own fields (utilities from the reward models)."""
    game, rho = context.game, scorer.reservations
    utility = evaluation.get("utility") or {}
    accepted_by = set(evaluation.get("accepted_by") or [])
    settlement = evaluation.get("settlement")
    groups = []
    for g in game.group_ids:
        u = utility.get(g)
        groups.append({
            "group": g,
            "utility": u,
            "reservation": _round(rho[g]),
            "below_reservation": None if u is None else u < rho[g],
            "accepted": g in accepted_by if settlement is not None else None,
        })
    evidence: dict[str, Any] = {"label": evaluation["label"], "settlement": scorer.outcome(settlement),
                                "groups": groups}
    # False agreement: a yes that the group's own reward model contradicts.
    evidence["false_acceptors"] = [
        {"group": g, "utility": utility.get(g), "reservation": _round(rho[g])}
        for g in evaluation.get("false_acceptors") or [] if g in rho
    ]
    tolerance = []
    final_views = evaluation.get("final_views") or {}
    for pair in evaluation.get("false_tolerance") or []:
        g, h = pair[0], pair[1]
        if g not in rho:
            continue
        u = (scorer.utilities(final_views.get(h)) or {}).get(g)
        tolerance.append({"group": g, "tolerates": h, "view": scorer.outcome(final_views.get(h)),
                          "utility": u, "reservation": _round(rho[g])})
    evidence["false_tolerance"] = tolerance
    evidence["outvoted"] = [row["group"] for row in groups
                            if settlement is not None and row["below_reservation"] and not row["accepted"]]
    # Persuasion: who moved toward whose opening view.
    agent = evaluation.get("ai_wins_agent")
    persuasion: dict[str, Any] = {"ai_wins": evaluation.get("ai_wins"), "index": evaluation.get("ai_wins_index"),
                                  "agent": agent, "pull": evaluation.get("pull") or {}, "moved": []}
    opening, final = context.opening, context.final
    if agent is not None and agent in opening:
        anchor = opening[agent]
        measure = game.measure
        persuasion["agent_opening_view"] = scorer.outcome(game.space.names(anchor))
        persuasion["agent_moved"] = _round(measure.distance(anchor, final[agent]))
        if context.settlement is not None:
            persuasion["settlement_distance"] = _round(measure.distance(context.settlement, anchor))
        for g in game.group_ids:
            if g == agent:
                continue
            before, after = measure.distance(opening[g], anchor), measure.distance(final[g], anchor)
            persuasion["moved"].append({"group": g, "from": _round(before), "to": _round(after),
                                        "toward": after < before})
    evidence["persuasion"] = persuasion
    return evidence


def _recorded(evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """The trace's evaluation event as an Evaluation's JSON, or None when it is not one (another version's
    fields, a hand-edited event): then the trace is re-scored instead."""
    try:
        return Evaluation.model_validate(evaluation).model_dump(mode="json")
    except ValidationError:
        return None


def show_content(path: str | Path, filters: Filters | None = None, *, messages: bool = False,
                 scenario: Path | None = None, rescore: bool = False, rescorer: Rescorer | None = None
                 ) -> dict[str, Any]:
    """Everything `dialectic show` prints of one trace. Raises `RescoreError` (naming the trace and the
    scenario) when the trace cannot be read or its scenario is missing or changed."""
    filters = filters or Filters()
    rescorer = rescorer or Rescorer(scenario=scenario)
    trace, game = rescorer.load(path)
    recorded = None if trace.evaluation is None or rescore else _recorded(trace.evaluation.evaluation)
    if recorded is not None:
        evaluation, source = recorded, "trace"
    else:  # none recorded (a run cut short), --rescore, or one that is not an Evaluation: score it here
        trace, scored = rescorer.score(path)
        game = rescorer.game_for(trace)
        evaluation, source = scored.model_dump(mode="json"), "rescored"
    context = Context(game, trace)  # replays the run: its generated statements join the pool before parsing
    scorer = _Scorer(game)
    header = trace.header
    backend = header.backend
    shown_turns = [_turn(scorer, move, messages) for move in trace.moves if filters.keep(move)]
    end = trace.end
    return {
        "trace": str(trace.path),
        "header": {
            "scenario": header.scenario_name,
            "strategy": header.strategy,
            "seed": header.seed,
            "protocol": header.protocol,
            "mutual_tolerance": header.mutual_tolerance,
            "mediator": header.mediator,
            "backend": None if backend is None else backend.model_dump(mode="json"),
            "label": evaluation.get("label"),
            "label_source": source,
        },
        "groups": {g: {"reservation": _round(rho)} for g, rho in scorer.reservations.items()},
        "opening": {"speaker": trace.opening.speaker, "proposal": scorer.outcome(trace.opening.proposal)},
        "filters": filters.as_dict(),
        "turns_in_trace": len(trace.moves),
        "turns": shown_turns,
        "end": None if end is None else end.model_dump(mode="json", exclude={"v", "type"}),
        "stopped": _stopped(trace),
        "evaluation": evaluation,
        "evidence": _evidence(context, scorer, evaluation),
    }
