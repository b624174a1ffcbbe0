"""A transcript into a regular dialectic trace, played through the engine's own rules (dialogue `Table`
and `Referee`), so that `dialectic score` replays it exactly as written here.

- The run opens with the scenario's opening (its opening speaker's proposal; every other group's opening
  view is its reward model's best outcome), as every run does.
- The referee fixes who speaks at each turn (the scenario's groups in rotation after the opening
  speaker). A transcript's speakers may talk in any order: each utterance is played at its speaker's next
  turn, and the turns of groups that did not speak in between are **silent turns** (view unchanged, no
  proposal, no stance, empty utterance, rationale "silent turn"). They change nothing on the table.
- An utterance's `view` becomes its speaker's view; `proposal` is tabled (stances reset, its proposer
  accepts it; tabling the proposal already on the table is a yes to it); `accepts` is the stance on the
  proposal on the table before the utterance.
- The run ends where the referee ends it: when the proposal on the table passes the agreement rule (the
  settlement), or at the scenario's round limit. An utterance after that end is an error located at its
  line. A transcript that stops before the rules end the run ends it without a settlement (end reason
  `deadlock`: nobody had a further move), so an unfinished negotiation is an impasse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dialectic import __version__
from dialectic.dialogue import Move, Referee, Table
from dialectic.evaluate import evaluate
from dialectic.game import Game
from dialectic.scenario import FieldError, Scenario, ScenarioError, load_scenario, scenario_hash
from dialectic.scenario._bounded import escapes, inside_expected
from dialectic.trace import (
    AgentSpec,
    EndEvent,
    EvaluationEvent,
    Header,
    MoveEvent,
    NamedOutcome,
    OpeningEvent,
    RewardPair,
    Trace,
    TraceWriter,
)
from dialectic.transcripts._format import Transcript, UtteranceLine, located

if TYPE_CHECKING:
    from dialectic.space import Outcome

SILENT = "silent turn: this group did not speak here in the transcript"
#: The trace's strategy name and every agent's policy name for imported dialogues.
POLICY = "transcript"


class _Said(NamedTuple):
    """An utterance checked against the scenario (view None: unchanged)."""

    speaker: str
    view: Outcome | None
    proposal: Outcome | None
    accepts: bool | None
    text: str
    note: str


@dataclass(frozen=True)
class Imported:
    trace: Trace
    game: Game
    #: transcript line of each move (None: a silent turn)
    lines: list[int | None]


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False for a name no file can have (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def scenario_path_for(transcript: Transcript, scenario: Path | None) -> Path:
    """The scenario file: `scenario` when given, else the header's `scenario`: a file (absolute, or relative to
    the transcript's folder), else a scenario name looked up as NAME.yaml in the transcript's folder, then in
    `scenarios/` beside the transcript and in the current folder."""
    if scenario is not None:
        return Path(scenario)
    named, folder = transcript.header.scenario, transcript.path.parent
    outside = escapes(named, folder)
    if outside is not None:
        raise ScenarioError([located(transcript.path, "line 1, field scenario",
                                     inside_expected(folder, "a scenario file"), f"{named!r} (resolves to {outside})")])
    candidates = [Path(named) if Path(named).is_absolute() else folder / named]
    if "/" not in named and not named.endswith((".yaml", ".yml")):
        candidates += [folder / f"{named}.yaml", folder / "scenarios" / f"{named}.yaml",
                       Path.cwd() / "scenarios" / f"{named}.yaml"]
    for candidate in candidates:
        if _is_file(candidate):
            return candidate
    raise ScenarioError([located(transcript.path, "line 1, field scenario", "a scenario file relative to the "
                                 "transcript's folder, or a scenario name found as NAME.yaml there or in "
                                 "scenarios/ (or pass --scenario FILE)", repr(named))])


def _speakers(scenario: Scenario) -> dict[str, str]:
    """Speaker names accepted for each group: its id, and its display name when it has one."""
    found = {g.id: g.id for g in scenario.groups}
    for g in scenario.groups:
        if g.name and g.name not in found:
            found[g.name] = g.id
    return found


def _outcome(game: Game, file: Path, where: str, named: NamedOutcome, errors: list[FieldError]) -> Outcome | None:
    """The outcome a line names, or None after adding located errors (issue by issue on discrete spaces)."""
    issues = getattr(game.space.spec, "issues", None)
    if issues is not None:
        bad = False
        for issue in issues:
            if issue.id not in named:
                errors.append(located(file, f"{where}.{issue.id}", f"an option of issue {issue.id} "
                                      f"({', '.join(issue.options)})", "nothing"))
                bad = True
            elif named[issue.id] not in issue.options:
                errors.append(located(file, f"{where}.{issue.id}", f"one of {', '.join(issue.options)}",
                                      repr(named[issue.id])))
                bad = True
        known = {issue.id for issue in issues}
        for key in named:
            if key not in known:
                errors.append(located(file, f"{where}.{key}", f"an issue of the scenario ({', '.join(sorted(known))})",
                                      repr(key)))
                bad = True
        if bad:
            return None
    try:
        return game.space.parse(named)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        errors.append(located(file, where, "an outcome of the scenario's space", str(exc).strip("'\"")))
        return None


def _rewards(game: Game, view: Outcome, proposal: Outcome | None) -> dict[str, RewardPair]:
    space, at_view = game.space, game.space.index(view)
    at_proposal = None if proposal is None else space.index(proposal)
    return {g: RewardPair(view=game.utilities[g].reward_at(at_view),
                          proposal=None if at_proposal is None else game.utilities[g].reward_at(at_proposal))
            for g in game.group_ids}


def transcript_trace(transcript: Transcript, scenario: Path | None = None, out: Path | None = None,
                     strategy: str = POLICY, game: Game | None = None,
                     closing: Sequence[UtteranceLine] = ()) -> Imported:
    """Play `transcript` on its scenario (or `scenario`); raise ScenarioError listing every located problem.
    `closing` lines (speakers given as group ids) are played after the transcript's, each only while the
    run goes on (an importer's closing stances). With `out`, write the trace there (header, opening,
    moves, end, evaluation), as a run does."""
    file = transcript.path
    path = scenario_path_for(transcript, scenario)
    loaded = load_scenario(path) if game is None else game.scenario
    game = Game(loaded) if game is None else game
    names, errors = _speakers(loaded), list[FieldError]()
    said: list[tuple[int, _Said]] = []
    for number, line in transcript.lines:
        where = f"{transcript.unit} {number}"
        speaker = names.get(line.speaker)
        if speaker is None:
            errors.append(located(file, f"{where}, field speaker", f"a group of scenario {loaded.name!r} "
                                  f"({', '.join(game.group_ids)})", repr(line.speaker)))
        view = None if line.view is None else _outcome(game, file, f"{where}, field view", line.view, errors)
        proposal = None if line.proposal is None else _outcome(
            game, file, f"{where}, field proposal", line.proposal, errors)
        if speaker is not None:
            said.append((number, _Said(speaker, view, proposal, line.accepts, line.text, line.note)))
    if errors:
        raise ScenarioError(errors)

    referee = Referee.of(game.rule, game.group_ids, game.opening.speaker, game.rounds, False, False)
    views = {g: game.opening_view(g) for g in game.group_ids}
    table = Table.opening(views, game.opening.speaker, game.opening.proposal)
    events: list[MoveEvent] = []
    lines: list[int | None] = []
    turn, decided = 0, None
    space = game.space

    def play(what: _Said, number: int | None) -> None:
        nonlocal table, turn, decided
        turn += 1
        answered = table.proposal
        view = what.view if what.view is not None else table.views[what.speaker]
        move = Move(what.speaker, view, what.proposal, what.accepts, {}, what.text, what.note)
        events.append(MoveEvent(
            turn=turn, round=referee.round_of(turn), speaker=move.speaker, view=space.names(view),
            proposal=None if move.proposal is None else space.names(move.proposal),
            answers=None if answered is None else space.names(answered), accepts=move.accepts,
            utterance=move.utterance, rationale=move.rationale, rewards=_rewards(game, view, move.proposal)))
        lines.append(number)
        table = table.apply(move, turn)
        decided = referee.decide(table, turn, move)

    def silent_until(speaker: str) -> None:
        """Silent turns until `speaker`'s turn comes (or the run ends)."""
        while decided is None and referee.speaker_of(turn + 1) != speaker:
            play(_Said(referee.speaker_of(turn + 1), None, None, None, "", SILENT), None)

    ended_at: int | None = None
    for number, what in said:
        silent_until(what.speaker)
        if decided is not None:
            after = f"after {transcript.unit} {ended_at}" if ended_at is not None else "before the first utterance"
            why = (f"the proposal on the table passed the agreement rule {after}" if decided == "settlement" else
                   f"the round limit ({game.rounds} rounds of {len(referee.order)} turns) was reached")
            errors.append(located(file, f"{transcript.unit} {number}", f"no utterance after the run ended ({why})",
                                  f"an utterance by {what.speaker!r}"))
            raise ScenarioError(errors)
        play(what, number)
        ended_at = number
    for extra in closing:
        silent_until(extra.speaker)
        if decided is not None:
            break
        play(_Said(extra.speaker, None, None, extra.accepts, extra.text, extra.note), None)

    reason = decided or "deadlock"
    settlement = referee.settlement(table, reason)
    digest = scenario_hash(loaded)
    header = Header(
        dialectic_version=__version__, scenario_name=loaded.name, scenario_path=str(path),
        scenario_hash=digest, scenario_file=str(Path(path).resolve()), strategy=strategy, protocol="round-robin",
        mutual_tolerance=False, agents=[AgentSpec(group=g, policy=POLICY) for g in game.group_ids], seed=0,
        rounds=loaded.rounds, order=list(referee.order))
    opening = OpeningEvent(speaker=game.opening.speaker,
                           proposal=None if game.opening.proposal is None else space.names(game.opening.proposal),
                           views={g: space.names(v) for g, v in views.items()})
    end = EndEvent(reason=reason, settlement=None if settlement is None else space.names(settlement),
                   accepted_by=referee.accepted_by(table), rounds=referee.rounds_of(turn), turns=turn)
    trace = Trace(path=Path(out) if out is not None else file, header=header, opening=opening, moves=events, end=end)
    trace.evaluation = EvaluationEvent(evaluation=evaluate(game, trace).model_dump(mode="json"))
    if out is not None:
        with TraceWriter(Path(out)) as writer:
            for event in (header, opening, *events, end, trace.evaluation):
                writer.write(event)
    return Imported(trace, game, lines)


def import_transcript(path: str | Path, out: str | Path, scenario: str | Path | None = None) -> Imported:
    """Read a transcript file and write its trace to `out` (see `transcript_trace`)."""
    from dialectic.transcripts._format import read_transcript

    return transcript_trace(read_transcript(path), None if scenario is None else Path(scenario), Path(out))
