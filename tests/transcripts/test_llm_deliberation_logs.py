"""LLM-Deliberation's released GPT-4 logs: every session is imported or reported with its file and reason,
and the table's figures agree with a recomputation straight from the raw JSON and the game's raw score
files (a separate deal parser and scorer here, no dialectic code), so a bug in the importer fails here."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean

import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.evaluate import score_trace
from dialectic.scenario import load_scenario
from dialectic.transcripts._llm_deliberation import import_logs, logs_table

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "llm-deliberation"
GAME = DATA / "base"
SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
FOLDERS = ["base-gpt4-all-greedy", "base-gpt4-cooperative"]

pytestmark = pytest.mark.skipif(not (DATA / "logs").is_dir(), reason="shared/data/llm-deliberation not present")


def raw_game() -> tuple[dict[str, str], str, str, dict[str, tuple[list[list[float]], float]]]:
    """Display name -> file name, p1, p2 and each party's (points per issue, threshold), from the raw files."""
    names, roles = {}, {}
    for row in (GAME / "config.txt").read_text().strip().splitlines():
        display, file, role = [c.strip() for c in row.split(",")][:3]
        names[display], roles[role] = file, file
    scores = {}
    for file in names.values():
        rows = [r for r in (GAME / "scores_files" / f"{file}.txt").read_text().splitlines() if r.strip()]
        points = [[float(c) for c in r.replace(" ", "").strip(",").split(",")] for r in rows[:-1]]
        scores[file] = (points, float(rows[-1]))
    return names, roles["p1"], roles["p2"], scores


def deal_of(text: str, sizes: list[int]) -> tuple[int, ...] | None:
    """Option index per issue named by the answer's last <DEAL> (or the whole text without one), or None."""
    upper = text.upper()
    start = upper.rfind("<DEAL>")
    if start >= 0:
        body = text[start + len("<DEAL>"):]
        stop = body.upper().find("</DEAL>")
        body = body if stop < 0 else body[:stop]
    else:
        body = text
    named: dict[int, set[int]] = {}
    for k, char in enumerate(body):
        if "A" <= char <= "Z" and (k == 0 or not body[k - 1].isalnum()):
            digits = ""
            for c in body[k + 1:]:
                if not c.isdigit():
                    break
                digits += c
            after = k + 1 + len(digits)
            if digits and (after == len(body) or not body[after].isalnum()):
                issue = ord(char) - ord("A")
                if issue < len(sizes):
                    named.setdefault(issue, set()).add(int(digits))
    if sorted(named) != list(range(len(sizes))):
        return None
    if any(len(v) != 1 or not 1 <= next(iter(v)) <= sizes[i] for i, v in named.items()):
        return None
    return tuple(next(iter(named[i])) - 1 for i in range(len(sizes)))


def expected(folder: str) -> dict[str, object]:
    names, p1, p2, scores = raw_game()
    sizes = [len(line) for line in next(iter(scores.values()))[0]]
    lo = {f: sum(min(line) for line in pts) for f, (pts, _) in scores.items()}
    hi = {f: sum(max(line) for line in pts) for f, (pts, _) in scores.items()}
    initial = tuple(int(c.strip()[1:]) - 1 for c in (GAME / "initial_deal.txt").read_text().split(","))

    def score(f: str, deal: tuple[int, ...]) -> float:
        return sum(scores[f][0][i][k] for i, k in enumerate(deal))

    out: dict[str, object] = {"files": [], "complete": [], "passes": 0, "all": 0, "hollow": 0, "deals": 0,
                              "worst": {}, "final": {}, "hollow_by_file": {}}
    for path in sorted((DATA / "logs" / folder).glob("history*.json")):
        log = json.loads(path.read_text())
        rounds = log["rounds"]
        out["files"].append(path.name)  # type: ignore[union-attr]
        deals = [deal_of(r["public_answer"], sizes) for r in rounds]
        if len(rounds) != len(log["slot_assignment"]) + 2 or names[rounds[-1]["agent"]] != p1 or deals[-1] is None:
            continue
        out["complete"].append(path.name)  # type: ignore[union-attr]
        for k, (r, deal) in enumerate(zip(rounds, deals, strict=True)):
            if deal is None or (k == 0 and deal == initial):
                continue
            out["deals"] += 1  # type: ignore[operator]
            party = names[r["agent"]]
            below = score(party, deal) < scores[party][1]
            out["hollow"] += below  # type: ignore[operator]
            out["hollow_by_file"][path.name] = out["hollow_by_file"].get(path.name, 0) + below  # type: ignore
        final = deals[-1]
        out["final"][path.name] = {chr(ord("A") + i): f"{chr(ord('A') + i)}{k + 1}"  # type: ignore[index]
                                   for i, k in enumerate(final)}
        met = {f for f in scores if score(f, final) >= scores[f][1]}
        passes = {p1, p2} <= met and len(met) >= len(scores) - 1  # the scenario's rule, honest stances
        out["passes"] += passes  # type: ignore[operator]
        out["all"] += met == set(scores)  # type: ignore[operator]
        if passes:
            worst = min((score(f, final) - lo[f]) / (hi[f] - lo[f]) for f in scores)
        else:  # no deal: everyone at its threshold
            worst = min((scores[f][1] - lo[f]) / (hi[f] - lo[f]) for f in scores)
        out["worst"][path.name] = worst  # type: ignore[index]
    return out


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list, list[str], Path]]:
    out = tmp_path_factory.mktemp("logs")
    scenario = load_scenario(SCENARIO)
    found = {}
    for folder in FOLDERS:
        sessions = import_logs(DATA / "logs" / folder, SCENARIO, out / folder)
        found[folder] = (sessions, logs_table(folder, sessions, scenario), out / folder)
    return found


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_session_imported_or_reported(folder: str, imported: dict) -> None:
    sessions, table, out = imported[folder]
    want = expected(folder)
    assert [s.file.name for s in sessions] == want["files"]
    assert [s.file.name for s in sessions if s.reason is None] == want["complete"]
    for s in sessions:
        if s.reason is None:
            assert s.trace is not None and s.trace.is_file() and s.evaluation is not None
        else:
            assert s.trace is None and s.reason
            assert f"- {s.file}: {s.reason}" in table  # the file and the reason, in the printed table
    assert sorted(p.name for p in out.glob("*.jsonl")) == [n.replace(".json", ".jsonl") for n in want["complete"]]


@pytest.mark.parametrize("folder", FOLDERS)
def test_table_figures_recomputed_from_the_raw_logs(folder: str, imported: dict) -> None:
    sessions, table, _ = imported[folder]
    want = expected(folder)
    n = len(want["complete"])
    rows = dict(line.strip("|").split(" | ", 1) for line in table if line.startswith("| ") and " | " in line)
    rows = {k.strip(): v.strip(" |") for k, v in rows.items()}
    assert rows["log files"] == str(len(want["files"]))
    assert rows["imported (complete, with p1's final deal)"] == str(n)
    assert rows["final deal passes the rule honestly (declared agreement, honest stances)"] == f"{want['passes']} / {n}"
    assert rows["final deal meets every party's threshold (compatible)"] == f"{want['all']} / {n}"
    hollow_row = "hollow proposals (deals below the proposer's own threshold) / deals proposed"
    assert rows[hollow_row] == f"{want['hollow']} / {want['deals']}"
    worst = want["worst"]
    by_file = {s.file.name: s.evaluation["worst_case_welfare"] for s in sessions if s.evaluation}
    assert by_file == pytest.approx(worst)
    assert {s.file.name: s.final_deal for s in sessions if s.evaluation} == want["final"]
    assert {s.file.name: sum(s.evaluation["hollow_acceptances"].values()) for s in sessions if s.evaluation} == {
        name: want["hollow_by_file"].get(name, 0) for name in want["complete"]}
    if n:
        assert rows["worst-case welfare, mean (min)"] == f"{mean(worst.values()):.3f} ({min(worst.values()):.3f})"


def test_a_log_trace_rescores_consistently(imported: dict) -> None:
    sessions, _, _ = imported["base-gpt4-cooperative"]
    first = next(s for s in sessions if s.trace is not None)
    trace, evaluation = score_trace(first.trace)
    assert evaluation.consistent
    assert evaluation.model_dump(mode="json") == first.evaluation
    # the last utterance from the log is p1's final deal; the stances after it are marked as inferred
    spoken = [m for m in trace.moves if m.utterance]
    assert spoken[-1].speaker == "SportCo" and spoken[-1].proposal == first.final_deal


def test_cli_imports_a_folder_and_prints_its_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", "llm-deliberation-logs", str(DATA / "logs" / "base-gpt4-all-greedy"),
                                      "--scenario", str(SCENARIO), "-o", str(tmp_path), "--table",
                                      str(tmp_path / "t.md")])
    assert result.exit_code == 0, result.output
    assert "### base-gpt4-all-greedy" in (tmp_path / "t.md").read_text()
    assert "incomplete session" in (tmp_path / "t.md").read_text()


def test_bad_logs_are_reported_with_file_and_reason(tmp_path: Path) -> None:
    complete = json.loads((DATA / "logs" / "base-gpt4-cooperative" / "history10_14_00.json").read_text())
    (tmp_path / "history1.json").write_text("{not json")
    (tmp_path / "history2.json").write_text(json.dumps({"rounds": []}))
    unknown = json.loads(json.dumps(complete))
    unknown["rounds"][3]["agent"] = "Harbour Board"
    (tmp_path / "history3.json").write_text(json.dumps(unknown))
    no_deal = json.loads(json.dumps(complete))
    no_deal["rounds"][-1]["public_answer"] = "We need more time."
    (tmp_path / "history4.json").write_text(json.dumps(no_deal))
    (tmp_path / "history5.json").write_text(json.dumps(complete))
    sessions = import_logs(tmp_path, SCENARIO, tmp_path / "out")
    reasons = {s.file.name: s.reason for s in sessions}
    assert reasons["history1.json"].startswith("not a readable JSON file")
    assert reasons["history2.json"] == "expected a JSON object with a non-empty list `rounds` of objects"
    assert reasons["history3.json"].startswith("rounds[3].agent: expected a party of scenario 'harbour-sport-park'")
    assert reasons["history3.json"].endswith("found 'Harbour Board'")
    assert reasons["history4.json"] == "p1's final round holds no deal (no option code in the text (no <DEAL> tag))"
    assert reasons["history5.json"] is None
    table = logs_table("tmp", sessions, load_scenario(SCENARIO))
    assert all(f"- {s.file}: {s.reason}" in table for s in sessions if s.reason)
    assert "| imported (complete, with p1's final deal) | 1 |" in table
