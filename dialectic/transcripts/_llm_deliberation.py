"""LLM-Deliberation's released negotiation logs (S-Abdelnabi/LLM-Deliberation, MIT licence; Abdelnabi et
al., NeurIPS 2024) as dialectic traces, judged by the evaluator. docs/transcripts.md.

A log `history*.json` holds `rounds`: one entry per turn, `agent` (a party's display name) and
`public_answer` (what the others saw). Each round becomes one utterance of its party:

- the **deal** of a round is read from the text inside its last `<DEAL>...</DEAL>` (an unclosed tag reads
  to the end), or, when the answer has no tag at all, from the whole answer (GPT-4 often wrote the deal in
  prose): the option codes (`A2`, `C13`) named there must name every issue exactly once (a code repeated
  is one code). Such a deal is the round's proposal and its party's stated view (a proposer accepts its
  own proposal). A round with no such deal is kept as words only, and a note says why;
- round 0 is p1 stating the game's initial deal, the scenario's opening: it is not played again (a
  different deal there is played as p1's proposal, with a note);
- the session must be complete: its final round is p1's, after all the slots of `slot_assignment`, and
  holds a deal. That deal is the **settlement candidate**. The logs record no votes on it, so each other
  party's stance on it is its honest one, by its own scores (the deal meets its threshold or not), the
  criterion by which the paper counts a deal; these closing stances are played in the scenario's order
  until the rule passes or every party has answered (rationale in the trace says they are inferred).

A session that cannot be read (not JSON, no rounds, an unknown party, incomplete, no final deal) is not
imported; `LogSession.reason` names the file and why. The table's figures are the evaluator's.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from dialectic.game import Game
from dialectic.scenario import Scenario, ScenarioError, load_scenario
from dialectic.scenario._bounded import LimitError, Limits, load_json, read_text
from dialectic.transcripts._format import Transcript, TranscriptHeader, UtteranceLine
from dialectic.transcripts._import import transcript_trace

SOURCE = ("S-Abdelnabi/LLM-Deliberation (https://github.com/S-Abdelnabi/LLM-Deliberation, MIT licence); "
          "Abdelnabi et al., NeurIPS 2024")
STANCE_NOTE = ("stance inferred from the party's own scores (the deal meets its threshold or not); the log "
               "records no vote")
_DEAL = re.compile(r"<DEAL>(.*?)(?:</DEAL>|$)", re.DOTALL | re.IGNORECASE)
_CODE = re.compile(r"\b([A-Z])(\d+)\b")
#: What read_log reads (docs/limits.md): the shipped logs are at most 217 KB.
LOG_LIMITS = Limits(file_bytes=8 * 2**20, items=100_000, string=1_000_000)


@dataclass
class LogSession:
    file: Path
    #: why the session was not imported (None: imported)
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    trace: Path | None = None
    evaluation: dict[str, Any] | None = None
    final_deal: dict[str, str] | None = None
    #: groups whose own threshold the final deal meets
    thresholds_met: list[str] = field(default_factory=list)
    #: rounds whose words held a deal (proposals played), round 0 excluded
    deals: int = 0


def read_deal(text: str, issues: dict[str, list[str]]) -> tuple[dict[str, str] | None, str]:
    """The deal a public answer names, or None and why not (see the module's docstring)."""
    tagged = _DEAL.findall(text)
    body = tagged[-1] if tagged else text
    codes = sorted({m.group(0) for m in _CODE.finditer(body) if m.group(1) in issues})
    by_issue: dict[str, list[str]] = {}
    for code in codes:
        by_issue.setdefault(code[0], []).append(code)
    where = "<DEAL> text" if tagged else "text (no <DEAL> tag)"
    if not codes:
        return None, f"no option code in the {where}"
    unknown = [c for c in codes if c not in issues[c[0]]]
    several = {i: cs for i, cs in by_issue.items() if len(cs) > 1}
    missing = [i for i in issues if i not in by_issue]
    if unknown or several or missing:
        parts = ([f"unknown options {unknown}"] if unknown else []) + \
                ([f"several options for {', '.join(f'{i} ({cs})' for i, cs in several.items())}"] if several else []) + \
                ([f"none for issue(s) {', '.join(missing)}"] if missing else [])
        return None, f"the {where} does not name one option per issue: {'; '.join(parts)}"
    return {i: by_issue[i][0] for i in issues}, ("" if tagged else "deal read from the text (no <DEAL> tag)")


def _issues(scenario: Scenario) -> dict[str, list[str]]:
    issues = getattr(scenario.space, "issues", None)
    if issues is None:
        raise ScenarioError([])  # pragma: no cover - guarded by the caller
    return {issue.id: list(issue.options) for issue in issues}


def read_log(path: Path, game: Game) -> tuple[Transcript | None, LogSession]:
    """The log as a transcript (None when it is not imported; `LogSession.reason` says why)."""
    session, scenario = LogSession(file=path), game.scenario
    opening = None if game.opening.proposal is None else game.space.names(game.opening.proposal)
    try:
        data = load_json(read_text(path, LOG_LIMITS), LOG_LIMITS)
    except LimitError as exc:
        session.reason = exc.located(path)
        return None, session
    except (OSError, ValueError) as exc:
        session.reason = f"not a readable JSON file: {exc}"
        return None, session
    rounds = data.get("rounds") if isinstance(data, dict) else None
    if not isinstance(rounds, list) or not rounds or not all(isinstance(r, dict) for r in rounds):
        session.reason = "expected a JSON object with a non-empty list `rounds` of objects"
        return None, session
    names = {g.name or g.id: g.id for g in scenario.groups} | {g.id: g.id for g in scenario.groups}
    issues, p1 = _issues(scenario), game.opening.speaker
    slots = data.get("slot_assignment")
    expected_rounds = len(slots) + 2 if isinstance(slots, list) else None
    lines: list[tuple[int, UtteranceLine]] = []
    for k, entry in enumerate(rounds):
        agent, text = entry.get("agent"), entry.get("public_answer")
        if not isinstance(agent, str) or agent not in names:
            session.reason = (f"rounds[{k}].agent: expected a party of scenario {scenario.name!r} "
                              f"({', '.join(names)}), found {agent!r}")
            return None, session
        if not isinstance(text, str):
            session.reason = f"rounds[{k}].public_answer: expected text, found {type(text).__name__}"
            return None, session
        deal, why = read_deal(text, issues)
        if why:
            session.notes.append(f"round {k} ({agent}): {why}")
        if k == 0 and names[agent] == p1 and deal == opening:
            continue  # the scenario's opening
        if k == 0:
            session.notes.append(f"round 0 ({agent}) is not the scenario's opening deal: played as a move")
        session.deals += deal is not None
        lines.append((k, UtteranceLine(speaker=names[agent], text=text.strip(), view=deal, proposal=deal)))
    last = rounds[-1]
    if expected_rounds is not None and len(rounds) != expected_rounds:
        session.reason = (f"incomplete session: {len(rounds)} rounds logged, a complete one has {expected_rounds} "
                          f"(round 0, the {len(slots or [])} slots of slot_assignment, p1's final round)")
    elif names[last["agent"]] != p1:
        session.reason = f"the final round is {last['agent']!r}'s, not p1's ({p1})"
    elif not lines or lines[-1][1].proposal is None:
        session.reason = f"p1's final round holds no deal ({read_deal(last['public_answer'], issues)[1]})"
    if session.reason:
        return None, session
    session.final_deal = lines[-1][1].proposal
    header = TranscriptHeader(scenario=scenario.name, source=f"{SOURCE}; {path.name}")
    return Transcript(path, header, lines, unit="round"), session


def import_log(path: Path, scenario_path: Path, out_dir: Path | None, game: Game | None = None) -> LogSession:
    """One log file into a trace `out_dir/<stem>.jsonl` (not written without `out_dir`)."""
    game = Game(load_scenario(scenario_path)) if game is None else game
    transcript, session = read_log(path, game)
    if transcript is None or session.final_deal is None:
        return session
    deal = game.space.parse(session.final_deal)
    met = [g for g in game.group_ids if game.utilities[g].accepts(deal)]
    p1 = game.opening.speaker
    closing = [UtteranceLine(speaker=g, accepts=g in met, note=STANCE_NOTE) for g in game.group_ids if g != p1]
    out = None if out_dir is None else out_dir / f"{path.stem}.jsonl"
    try:
        imported = transcript_trace(transcript, scenario_path, out, strategy="transcript:llm-deliberation",
                                    game=game, closing=closing)
    except ScenarioError as error:
        session.reason = str(error)
        return session
    session.thresholds_met, session.trace = met, out
    session.evaluation = imported.trace.evaluation.evaluation if imported.trace.evaluation else None
    return session


def import_logs(folder: Path, scenario_path: Path, out_dir: Path | None) -> list[LogSession]:
    """Every `history*.json` of a log folder, in name order."""
    game = Game(load_scenario(scenario_path))
    files = sorted(Path(folder).glob("history*.json"))
    return [import_log(f, scenario_path, out_dir, game) for f in files]


def _mean(values: list[float]) -> str:
    return f"{mean(values):.3f}" if values else "-"


def logs_table(folder: str, sessions: list[LogSession], scenario: Scenario) -> list[str]:
    """A Markdown table of one log folder's figures (the evaluator's), then every session not imported.
    p1 is the scenario's opening speaker, p2 its other veto holder."""
    done = [s for s in sessions if s.evaluation is not None]
    ev = [s.evaluation for s in done if s.evaluation is not None]
    p1 = scenario.opening.speaker if scenario.opening is not None else ""
    p2 = next((g.id for g in scenario.groups if g.veto and g.id != p1), p1)
    paper = sum(1 for s in done if {p1, p2} <= set(s.thresholds_met) and len(s.thresholds_met) >= 4)
    hollow = [sum(e["hollow_acceptances"].values()) for e in ev]
    labels = Counter(e["label"] for e in ev)
    rows = [
        ("log files", str(len(sessions))),
        ("imported (complete, with p1's final deal)", str(len(done))),
        ("final deal passes the rule honestly (declared agreement, honest stances)",
         f"{sum(e['declared_agreement'] for e in ev)} / {len(ev)}"),
        ("final deal meets every party's threshold (compatible)", f"{sum(e['compatible'] for e in ev)} / {len(ev)}"),
        ("final deal meets p1's, p2's and >= 4 thresholds", f"{paper} / {len(ev)}"),
        ("hollow proposals (deals below the proposer's own threshold) / deals proposed",
         f"{sum(hollow)} / {sum(s.deals for s in done)}"),
        ("sessions with a hollow proposal", f"{sum(h > 0 for h in hollow)} / {len(ev)}"),
        ("worst-case welfare, mean (min)",
         f"{_mean([e['worst_case_welfare'] for e in ev])} ({min((e['worst_case_welfare'] for e in ev), default=0):.3f})"
         if ev else "-"),
        ("max-min oracle", _mean([e["maxmin_oracle"] for e in ev])),
        ("max-min regret, mean", _mean([e["maxmin_regret"] for e in ev])),
        ("AI-wins index, mean (max)",
         (f"{_mean([e['ai_wins_index'] for e in ev if e['ai_wins_index'] is not None])} "
         f"({max((e['ai_wins_index'] for e in ev if e['ai_wins_index'] is not None), default=0):.3f})")),
        ("AI-wins (persuaded)", f"{sum(e['ai_wins'] for e in ev)} / {len(ev)}"),
        ("labels", ", ".join(f"{k} {v}" for k, v in sorted(labels.items())) or "-"),
    ]
    out = [f"### {folder}", "", "| figure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows), ""]
    skipped = [s for s in sessions if s.reason is not None]
    if skipped:
        out += ["Not imported:", ""] + [f"- {s.file}: {s.reason}" for s in skipped] + [""]
    return out
