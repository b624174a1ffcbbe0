"""The transcript format: a hand-written dialogue on the shipped Harbour Sport Park game becomes a trace
that `dialectic score` evaluates as worked out by hand below; bad input gives located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.evaluate import score_trace
from dialectic.scenario import ScenarioError
from dialectic.transcripts import import_transcript, parse_transcript
from dialectic.transcripts._import import SILENT

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
X = {"A": "A2", "B": "B2", "C": "C2", "D": "D2", "E": "E3"}

# Hand-worked from the game's score files (shared/data/llm-deliberation/base/scores_files), deal X:
#   DoT 11+20+2+26+15 = 74 >= 65; SportCo 8+7+5+29+10 = 59 >= 55; mayor 8+8+18+30+4 = 68 >= 30;
#   other_cities 4+0+8+8+30 = 50 >= 31; union 20+0+35+20+6 = 81 >= 50; enviroment 22+25 = 47 < 55.
# Every party's scores run from 0 to 100, so u_g = points / 100. The rule: 5 of 6, SportCo and DoT among
# them. The speaking order is the groups after the opening speaker SportCo: DoT, enviroment, mayor,
# other_cities, union, SportCo. DoT tables X (turn 1), enviroment says no, the other four say yes: after
# SportCo's yes (turn 6) five accept, both vetoes among them: settlement X in round 1. The Environmental
# League openly rejected it and its reward model puts it below its reservation: `outvoted`; worst-case
# welfare 0.47 (enviroment), max-min oracle 0.51, so the regret is 0.04.
LINES = [
    {"speaker": "Department of Tourism", "text": "Let us meet in the middle.", "proposal": X},
    {"speaker": "enviroment", "text": "Not enough for the dolphins.", "accepts": False},
    {"speaker": "mayor", "text": "Fine by me.", "accepts": True},
    {"speaker": "other_cities", "accepts": True},
    {"speaker": "union", "accepts": True},
    {"speaker": "SportCo", "accepts": True},
]


def write(path: Path, header: dict[str, object] | None, lines: list[dict[str, object]]) -> Path:
    rows = ([json.dumps(header)] if header is not None else []) + [json.dumps(line) for line in lines]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def header() -> dict[str, object]:
    return {"scenario": str(SCENARIO), "source": "hand-written test"}


def test_hand_written_transcript_scores_as_worked_out(tmp_path: Path) -> None:
    transcript = write(tmp_path / "t.jsonl", header(), LINES)
    out = tmp_path / "trace.jsonl"
    imported = import_transcript(transcript, out)
    assert imported.lines == [2, 3, 4, 5, 6, 7]  # no silent turn: they spoke in the referee's order
    trace, evaluation = score_trace(out)
    assert evaluation.consistent
    assert evaluation.label == "outvoted"
    assert evaluation.declared_agreement and not evaluation.compatible and not evaluation.false_agreement
    assert trace.end is not None and trace.end.reason == "settlement" and trace.end.settlement == X
    assert sorted(evaluation.accepted_by) == ["DoT", "SportCo", "mayor", "other_cities", "union"]
    assert evaluation.welfare == pytest.approx({"DoT": 0.74, "SportCo": 0.59, "mayor": 0.68, "other_cities": 0.50,
                                                "union": 0.81, "enviroment": 0.47})
    assert evaluation.worst_case_welfare == pytest.approx(0.47)
    assert evaluation.maxmin_regret == pytest.approx(0.04)


def test_a_yes_below_the_own_threshold_is_a_false_agreement(tmp_path: Path) -> None:
    lines = [dict(line) for line in LINES]
    lines[1] = {"speaker": "Environmental League", "text": "Fine.", "accepts": True}  # 47 < 55: hollow
    out = tmp_path / "trace.jsonl"
    import_transcript(write(tmp_path / "t.jsonl", header(), lines), out)
    _, evaluation = score_trace(out)
    assert evaluation.label == "false_agreement"
    assert evaluation.false_acceptors == ["enviroment"] and evaluation.hollow_acceptances["enviroment"] == 1


def test_speakers_out_of_order_get_silent_turns_and_an_unfinished_talk_is_an_impasse(tmp_path: Path) -> None:
    lines = [{"speaker": "SportCo", "text": "We propose X.", "proposal": X, "view": X},
             {"speaker": "union", "text": "Yes.", "accepts": True}]
    out = tmp_path / "trace.jsonl"
    imported = import_transcript(write(tmp_path / "t.jsonl", header(), lines), out)
    # SportCo speaks sixth in the rotation: five silent turns first; union is fifth of the next round.
    assert imported.lines == [None] * 5 + [2] + [None] * 4 + [3]
    assert [m.rationale == SILENT for m in imported.trace.moves].count(True) == 9
    trace, evaluation = score_trace(out)
    assert evaluation.consistent and evaluation.label == "impasse"
    assert trace.moves[5].view == X and trace.end is not None and trace.end.reason == "deadlock"
    result = CliRunner().invoke(app, ["score", str(out)])
    assert result.exit_code == 0, result.output


def test_cli_import_then_score(tmp_path: Path) -> None:
    transcript = write(tmp_path / "t.jsonl", {"scenario": "harbour.yaml"}, LINES)
    (tmp_path / "harbour.yaml").write_bytes(SCENARIO.read_bytes())  # the header's path, relative
    out = tmp_path / "trace.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["import", "transcript", str(transcript), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "label outvoted" in result.output
    scored = runner.invoke(app, ["score", str(out), "--json"])
    assert scored.exit_code == 0, scored.output
    assert "outvoted" in scored.output


def errors_of(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_transcript(text, "t.jsonl")
    return [str(e) for e in caught.value.errors]


def import_errors(tmp_path: Path, lines: list[dict[str, object]]) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        import_transcript(write(tmp_path / "t.jsonl", header(), lines), tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
    return [str(e) for e in caught.value.errors]


def test_bad_json_line_is_located() -> None:
    text = json.dumps(header()) + "\n" + json.dumps(LINES[0]) + "\n{\"speaker\": \"mayor\",\n"
    assert errors_of(text) == [("t.jsonl: line 3: expected one JSON object per line, found invalid JSON "
                               "(Expecting property name enclosed in double quotes at column 21)")]


def test_bad_fields_are_located() -> None:
    text = "\n".join([json.dumps({"scenario": "x.yaml", "speed": 1}), json.dumps({"text": "hi"}),
                      json.dumps({"speaker": "mayor", "accepts": "maybe"}), "[1, 2]"])
    found = errors_of(text)
    assert found[0] == ("t.jsonl: line 1, field speed: expected no such field in the header line "
                        "({\"scenario\": ...}) (unknown fields are errors), found 1")
    assert found[1].startswith("t.jsonl: line 2, field speaker: expected this required field of an utterance line")
    assert found[2].startswith("t.jsonl: line 3, field accepts: expected a valid boolean, found 'maybe'")
    assert found[3] == "t.jsonl: line 4: expected a JSON object, found list"
    assert errors_of("\n\n") == [("t.jsonl: line 1: expected a header line {\"scenario\": FILE OR NAME}, "
                                 "found an empty file")]


def test_bad_speaker_is_located(tmp_path: Path) -> None:
    found = import_errors(tmp_path, [*LINES[:2], {"speaker": "Harbour Board", "accepts": True}])
    assert found == [(f"{tmp_path / 't.jsonl'}: line 4, field speaker: expected a group of scenario "
                     "'harbour-sport-park' (mayor, other_cities, union, SportCo, DoT, enviroment), found 'Harbour Board'")]


def test_unknown_proposal_option_and_issue_are_located(tmp_path: Path) -> None:
    bad = {**X, "C": "C9", "F": "F1"}
    del bad["E"]
    found = import_errors(tmp_path, [LINES[0], {"speaker": "enviroment", "proposal": bad}])
    file = tmp_path / "t.jsonl"
    assert found == [
        f"{file}: line 3, field proposal.C: expected one of C1, C2, C3, C4, found 'C9'",
        f"{file}: line 3, field proposal.E: expected an option of issue E (E1, E2, E3, E4, E5), found nothing",
        f"{file}: line 3, field proposal.F: expected an issue of the scenario (A, B, C, D, E), found 'F'",
    ]


def test_utterance_after_the_settlement_is_located(tmp_path: Path) -> None:
    found = import_errors(tmp_path, [*LINES, {"speaker": "DoT", "text": "One more thing."}])
    assert found == [(f"{tmp_path / 't.jsonl'}: line 8: expected no utterance after the run ended (the proposal "
                      "on the table passed the agreement rule after line 7), found an utterance by 'DoT'")]


def test_missing_scenario_is_located(tmp_path: Path) -> None:
    transcript = write(tmp_path / "t.jsonl", {"scenario": "nowhere.yaml"}, LINES)
    result = CliRunner().invoke(app, ["import", "transcript", str(transcript), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert "line 1, field scenario: expected a scenario file relative to the transcript's folder" in " ".join(
        result.output.split())


def test_show_renders_an_imported_trace(tmp_path: Path) -> None:
    out = tmp_path / "trace.jsonl"
    import_transcript(write(tmp_path / "t.jsonl", header(), LINES), out)
    result = CliRunner().invoke(app, ["show", str(out)])
    assert result.exit_code == 0, result.output
    assert "Not enough for the dolphins." in result.output and "outvoted" in result.output


def test_scenario_named_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # scenarios/harbour-sport-park.yaml from the current folder
    out = tmp_path / "trace.jsonl"
    import_transcript(write(tmp_path / "t.jsonl", {"scenario": "harbour-sport-park"}, LINES), out)
    assert score_trace(out)[1].label == "outvoted"


def test_utterance_after_the_round_limit_is_located(tmp_path: Path) -> None:
    # mayor speaks third in each round of six turns; 24 rounds: its 25th utterance comes after the limit
    found = import_errors(tmp_path, [{"speaker": "mayor", "text": f"Point {k}."} for k in range(25)])
    assert found == [(f"{tmp_path / 't.jsonl'}: line 26: expected no utterance after the run ended (the round "
                      "limit (24 rounds of 6 turns) was reached), found an utterance by 'mayor'")]
