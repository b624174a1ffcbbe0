"""`dialectic show TRACE` on traces of real runs: the header and label, the evidence for false agreement
and for persuasion, the --round/--group/--turn filters, a trace cut off by a crash, an LLM move's candidates
and messages, and untrusted text (markup, HTML, ANSI escapes) shown as text on a colour terminal and in
plain output."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.game import Game
from dialectic.scenario import load_scenario
from dialectic.show import Filters, print_show, show_content
from dialectic.trace import read_trace
from dialectic.trace.render import print_dialogue, visible
from tests.conftest import SCENARIOS
from tests.trace.edit import edited, llm_generation

runner = CliRunner()
HARBOUR = SCENARIOS / "harbour-sport-park.yaml"
POLIS = SCENARIOS / "polis-brexit-consensus.yaml"
HOSTILE = ("[bold red]x[/] <script>alert(1)</script> **md** # head \x1b[31mRED \x1b]0;title\x07 \x1b[2J "
           "\x9b31m \u202eevil \r\nfake line")
#: An SGR sequence: the only escape rich writes for colour and bold.
SGR = re.compile("\x1b\\[[0-9;]*m")


def _run(scenario: Path, strategy: str, out: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["run", str(scenario), "--strategy", strategy, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output)
    return summary


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Real dialogues: harbour capitulator (false agreement), harbour and Polis persuader (persuaded)."""
    out = tmp_path_factory.mktemp("runs")
    return {
        "capitulator": _run(HARBOUR, "capitulator", out),
        "persuader": _run(HARBOUR, "persuader", out),
        "polis": _run(POLIS, "persuader", out),
    }


def _show(*args: str) -> str:
    result = runner.invoke(app, ["show", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def _turns_shown(output: str) -> list[tuple[int, int, str]]:
    return [(int(t), int(r), s) for t, r, s in re.findall(r"^turn (\d+)  round (\d+)  (\S+)", output, re.MULTILINE)]


def _reservation(scenario: Path, group: str) -> float:
    return float(Game(load_scenario(scenario)).utilities[group].reservation)


def test_false_agreement_names_the_rejecting_group_and_its_utility(runs: dict[str, dict[str, Any]]) -> None:
    summary = runs["capitulator"]
    assert summary["label"] == "false_agreement" and summary["false_acceptors"]
    output = _show(summary["trace"])
    assert "\x1b" not in output  # not a terminal: plain text
    assert "harbour-sport-park  strategy capitulator  seed 0  backend none (rational)  label false_agreement" in output
    assert "Evidence for the label false_agreement:" in output
    for group in summary["false_acceptors"]:
        utility, rho = summary["utility"][group], _reservation(HARBOUR, group)
        assert utility < rho
        assert (f"false agreement: {group} said yes, but its reward model rejects the settlement: utility "
                f"{utility:.3f} < reservation {rho:.3f}") in output
        assert f"{group}: u(settlement) {utility:.3f} below (reservation {rho:.3f}), accepted" in output
    data = json.loads(_show(summary["trace"], "--json"))
    assert data["header"]["label"] == "false_agreement" and data["header"]["label_source"] == "trace"
    rejecting = {row["group"]: row for row in data["evidence"]["false_acceptors"]}
    assert set(rejecting) == set(summary["false_acceptors"])
    assert all(row["utility"] < row["reservation"] for row in rejecting.values())
    # Each turn: every group's utility of the proposal answered and of the speaker's view, against rho.
    first = data["turns"][0]
    assert first["proposal_judged"] == "answered" and set(first["utility"]) == set(summary["welfare"])
    for group in summary["false_acceptors"]:
        assert first["utility"][group]["proposal"] == pytest.approx(summary["utility"][group])


def test_the_utilities_are_coloured_against_the_reservation_on_a_terminal(runs: dict[str, dict[str, Any]]) -> None:
    content = show_content(runs["capitulator"]["trace"], Filters(turn=1))
    buffer = io.StringIO()
    print_show(Console(file=buffer, force_terminal=True, color_system="standard", width=200), content)
    output = buffer.getvalue()
    assert re.search("\x1b\\[32m[0-9.]+ ok", output) and re.search("\x1b\\[31m[0-9.]+ below", output)


@pytest.mark.parametrize("run", ["persuader", "polis"])
def test_persuaded_says_who_moved_toward_whom(runs: dict[str, dict[str, Any]], run: str) -> None:
    summary = runs[run]
    assert summary["label"] == "persuaded"
    agent = summary["ai_wins_agent"]
    output = _show(summary["trace"])
    assert "label persuaded (recorded in the trace)" in output
    assert f"persuasion: AI-wins, index {summary['ai_wins_index']:.3f} for {agent}" in output
    assert "settlement at distance 0.000 from it" in output
    moved = [g for g, pull in summary["pull"].items() if g != agent]
    data = json.loads(_show(summary["trace"], "--json"))
    rows = {row["group"]: row for row in data["evidence"]["persuasion"]["moved"]}
    assert set(rows) == set(summary["welfare"]) - {agent}
    for group, row in rows.items():
        assert row["toward"] == (row["to"] < row["from"])
        how = "moved toward" if row["toward"] else "did not move toward"
        assert f"{group} {how} {agent}: distance to its opening view {row['from']:.3f} -> {row['to']:.3f}" in output
    assert any(row["toward"] for row in rows.values()) and moved
    if run == "polis":  # a statement pool: views are shown with their text
        assert data["turns"][0]["view"]["text"] and data["turns"][0]["view"]["text"] in output


def test_filters_select_the_right_turns(runs: dict[str, dict[str, Any]]) -> None:
    path = runs["persuader"]["trace"]
    moves = read_trace(path).moves
    by_round = _turns_shown(_show(path, "--round", "2"))
    assert by_round == [(m.turn, m.round, m.speaker) for m in moves if m.round == 2] and by_round
    by_group = _turns_shown(_show(path, "--group", "SportCo"))
    assert by_group == [(m.turn, m.round, m.speaker) for m in moves if m.speaker == "SportCo"] and by_group
    assert _turns_shown(_show(path, "--turn", "7")) == [(m.turn, m.round, m.speaker) for m in moves if m.turn == 7]
    both = _show(path, "--round", "3", "--group", "union")
    assert _turns_shown(both) == [(m.turn, m.round, m.speaker) for m in moves if m.round == 3 and m.speaker == "union"]
    assert "showing 1 of 19 turns (round 3, group union)" in both
    data = json.loads(_show(path, "--round", "2", "--json"))
    assert [t["turn"] for t in data["turns"]] == [m.turn for m in moves if m.round == 2]
    assert data["filters"] == {"round": 2, "group": None, "turn": None}
    unknown = runner.invoke(app, ["show", path, "--group", "nobody"])
    assert unknown.exit_code == 2 and "not a group of this run" in unknown.output


def test_a_trace_cut_off_by_a_crash_is_shown_up_to_where_it_stops(runs: dict[str, dict[str, Any]],
                                                                   tmp_path: Path) -> None:
    lines = Path(runs["persuader"]["trace"]).read_text().splitlines()
    moves = [line for line in lines if json.loads(line)["type"] == "move"]
    kept = lines[:2] + moves[:9]
    cut = tmp_path / "crashed.jsonl"
    cut.write_text("\n".join(kept) + "\n" + moves[9][: len(moves[9]) // 2])  # a half-written 10th move, no end
    output = _show(str(cut))
    assert _turns_shown(output)[-1][0] == 9 and len(_turns_shown(output)) == 9
    assert ("NOTE: the trace stops at turn 9: its last line is cut off mid-write and it has no end event "
            "(a run cut short, e.g. by a crash)") in output
    assert "re-scored from the moves" in output and "end:" not in output
    data = json.loads(_show(str(cut), "--json"))
    assert data["stopped"] == {"complete": False, "truncated": True, "last_turn": 9, "cut_off": True,
                               "note": data["stopped"]["note"]}
    assert data["end"] is None and data["evaluation"]["complete"] is False
    # No end event but whole lines: says so without claiming a truncated line.
    whole = tmp_path / "no-end.jsonl"
    whole.write_text("\n".join(kept) + "\n")
    assert "NOTE: the trace stops at turn 9: it has no end event" in _show(str(whole))


def _assert_safe(output: str) -> None:
    """No escape from the hostile text reached the output: only rich's own SGR styling holds ESC."""
    assert "\x1b]0;" not in output and "\x1b[2J" not in output and "\x1b[31mRED" not in output
    assert "\x07" not in output and "\x9b" not in output and "\u202e" not in output and "\r" not in output
    assert "\x1b" not in SGR.sub("", output)
    assert "\\x1b[31mRED" in output and "\\x1b]0;title\\x07" in output and "\\x1b[2J" in output
    assert "\\x9b31m" in output and "\\u202eevil" in output and "\\x0d\\x0afake line" in output
    assert "[bold red]x[/]" in output and "<script>alert(1)</script>" in output and "**md** # head" in output


def test_hostile_utterances_are_shown_as_text(runs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    path = edited(runs["capitulator"]["trace"], tmp_path / "hostile.jsonl", 2, utterance=HOSTILE,
                   rationale=HOSTILE)
    content = show_content(path)
    assert content["turns"][1]["utterance"] == HOSTILE  # the content is the trace's; printing makes it safe
    for terminal in (True, False):
        buffer = io.StringIO()
        console = (Console(file=buffer, force_terminal=True, color_system="truecolor", width=120) if terminal
                   else Console(file=buffer, width=120))  # a file, not a terminal: rich writes plain text
        print_show(console, content)
        output = buffer.getvalue()
        _assert_safe(output)
        if terminal:
            assert SGR.search(output)  # rich did style it
        else:
            assert "\x1b" not in output
    plain = _show(str(path))
    _assert_safe(plain)
    assert "\x1b" not in plain
    raw = runner.invoke(app, ["show", str(path), "--json"]).output
    assert "\x1b" not in raw and json.loads(raw)["turns"][1]["utterance"] == HOSTILE
    # The run command's own rendering (trace.render) escapes controls too.
    buffer = io.StringIO()
    print_dialogue(Console(file=buffer, force_terminal=True, width=120), read_trace(path))
    shown = SGR.sub("", buffer.getvalue())
    assert "\x1b" not in shown and "\\x1b[2J" in shown and "[bold red]x[/]" in shown


def test_visible_escapes_every_control_character() -> None:
    assert visible("a\x00b\x1b\x7f\x85\u2066c\n") == "a\\x00b\\x1b\\x7f\\x85\\u2066c\\x0a"
    assert visible("plain [x] <b> ünïcode") == "plain [x] <b> ünïcode"


def test_an_llm_move_shows_its_candidates_rewards_choice_and_messages(runs: dict[str, dict[str, Any]],
                                                                       tmp_path: Path) -> None:
    """No cheap in-process chat backend exists (the LLM fixtures need the tiny torch models and served
    rewards), so the generation block is built with the trace's pydantic models on a real move."""
    source = runs["capitulator"]["trace"]
    move = read_trace(source).moves[0]
    path = edited(source, tmp_path / "llm.jsonl", move.turn, generation=llm_generation(move.view, HOSTILE))
    output = _show(str(path), "--turn", str(move.turn), "--messages")
    assert "LLM move: 2 candidates, rule reward, chosen #1" in output
    assert " #0 invalid: view: not an outcome" in output
    assert "*#1 valid score 0.874" in output
    assert "rewards: DoT view 1.000 proposal 0.190; mayor view 0.350 proposal -" in output
    assert "messages sent:" in output and "system: You speak for DoT." in output
    _assert_safe(output)
    assert "messages sent:" not in _show(str(path), "--turn", str(move.turn))
    data = json.loads(_show(str(path), "--turn", str(move.turn), "--json", "--messages"))
    shown = data["turns"][0]["generation"]
    assert shown["chosen"] == 1 and [c["chosen"] for c in shown["candidates"]] == [False, True]
    assert shown["candidates"][1]["rewards"]["DoT"] == {"view": 1.0, "proposal": 0.19}
    assert shown["messages"][1]["content"].endswith(HOSTILE)


def test_a_missing_scenario_is_refused_with_the_way_out(runs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    lines = Path(runs["capitulator"]["trace"]).read_text().splitlines()
    header = json.loads(lines[0])
    header.update(scenario_file="/nowhere/harbour.yaml", scenario_path="nowhere/harbour.yaml")
    moved = tmp_path / "moved.jsonl"
    moved.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    refused = runner.invoke(app, ["show", str(moved)])
    assert refused.exit_code == 2 and "--scenario FILE" in refused.output
    assert "false_agreement" in _show(str(moved), "--scenario", str(HARBOUR))


def test_an_evaluation_event_that_is_no_evaluation_is_rescored(runs: dict[str, dict[str, Any]],
                                                              tmp_path: Path) -> None:
    lines = Path(runs["capitulator"]["trace"]).read_text().splitlines()
    assert json.loads(lines[-1])["type"] == "evaluation"
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join([*lines[:-1], json.dumps({"type": "evaluation", "evaluation": {"label": "consensus"}})])
                      + "\n")
    output = _show(str(forged))
    assert "label false_agreement (re-scored from the moves)" in output and "label consensus" not in output
    assert "label false_agreement (re-scored from the moves)" in _show(runs["capitulator"]["trace"], "--rescore")
