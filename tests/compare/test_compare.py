"""`dialectic compare A B` on real dialogues (Harbour Sport Park, conceder vs max-min, seed 0): turns
aligned by round in the JSON, the terminal and the HTML page, the evaluations' differences equal to the
traces' own numbers subtracted, refusal of traces of another scenario or seed, and untrusted text shown as
text."""

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
from dialectic.compare import compare_content, compare_html, print_compare
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS

runner = CliRunner()
HARBOUR = SCENARIOS / "harbour-sport-park.yaml"
ISLAND = SCENARIOS / "island-airport.yaml"
HOSTILE = "[bold]x[/bold] <script>window.__pwned=1</script> \x1b[31mRED"


def _run(scenario: Path, strategy: str, out: Path, seed: int = 0) -> str:
    result = runner.invoke(app, ["run", str(scenario), "--strategy", strategy, "--out", str(out), "--seed",
                                 str(seed), "--json"])
    assert result.exit_code == 0, result.output
    trace: str = json.loads(result.output)["trace"]
    return trace


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("runs")
    return {
        "a": _run(HARBOUR, "conceder", out),
        "b": _run(HARBOUR, "max-min", out),
        "seed1": _run(HARBOUR, "max-min", out, seed=1),
        "island": _run(ISLAND, "max-min", out),
    }


def _compare(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["compare", *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.output


def _evaluation(path: str) -> dict[str, Any]:
    trace = read_trace(path)
    assert trace.evaluation is not None
    return trace.evaluation.evaluation


def _rows(output: str) -> list[tuple[int, list[int], list[int]]]:
    """The terminal's round table: per row, the round and the turn numbers in A's and in B's column."""
    start = output.index("Turns by round")
    end = output.index("Evaluations: A, B and B - A")
    rows: list[tuple[int, list[int], list[int]]] = []
    block: list[list[str]] = []
    for line in output[start:end].splitlines() + ["├"]:
        if line.startswith(("├", "└")):
            if block:
                cells = [" ".join(parts[i] for parts in block) for i in range(3)]
                turns = [[int(t) for parts in block for t in re.findall(r"^\s*t(\d+) ", parts[i])] for i in (1, 2)]
                rows.append((int(cells[0].split()[0]), turns[0], turns[1]))
            block = []
        elif line.startswith("│"):
            block.append(line.split("│")[1:4])
    return rows


def test_turns_are_aligned_by_round(runs: dict[str, str]) -> None:
    moves = {side: read_trace(runs[side]).moves for side in "ab"}
    rounds = sorted({m.round for side in "ab" for m in moves[side]})
    assert max(m.round for m in moves["a"]) != max(m.round for m in moves["b"])  # the sides differ in length
    data = json.loads(_compare(runs["a"], runs["b"], "--json"))
    assert [row["round"] for row in data["rounds"]] == rounds
    for row in data["rounds"]:
        for side in "ab":
            assert [t["turn"] for t in row[side]] == [m.turn for m in moves[side] if m.round == row["round"]]
            assert all(t["round"] == row["round"] for t in row[side])
    shown = _rows(_compare(runs["a"], runs["b"]))
    assert shown == [(r, [m.turn for m in moves["a"] if m.round == r], [m.turn for m in moves["b"] if m.round == r])
                     for r in rounds]
    page = compare_html(compare_content(runs["a"], runs["b"]))
    for r in rounds:
        row = re.search(rf'<tr data-round="{r}">(.*?)</tr>', page, re.DOTALL)
        assert row is not None
        cells = row[1].split("</td><td>")
        for side, cell in zip("ab", cells[1:], strict=True):
            assert [int(t) for t in re.findall(r"<b>t(\d+) ", cell)] == [m.turn for m in moves[side] if m.round == r]


def _row(output: str, *cells: str) -> bool:
    """Whether the terminal shows a table row with these cells (padded) in this order."""
    return re.search(r"│ +" + r" +│ +".join(re.escape(c) for c in cells) + r" +│", output) is not None


def test_the_differences_are_the_evaluations_subtracted(runs: dict[str, str]) -> None:
    first, second = _evaluation(runs["a"]), _evaluation(runs["b"])
    assert first["label"] != second["label"]
    data = json.loads(_compare(runs["a"], runs["b"], "--json"))
    differences = data["differences"]
    assert differences["label"] == {"a": first["label"], "b": second["label"], "same": False}
    metrics = {row["metric"]: row for row in differences["metrics"]}
    output = _compare(runs["a"], runs["b"])
    for key in ("worst_case_welfare", "maxmin_regret", "utilitarian", "welfare_gini"):
        row = metrics[key]
        assert (row["a"], row["b"]) == (first[key], second[key])
        assert row["b_minus_a"] == pytest.approx(second[key] - first[key])
        assert _row(output, key, f"{first[key]:.3f}", f"{second[key]:.3f}", f"{second[key] - first[key]:+.3f}")
    for key in ("false_agreement", "ai_wins", "declared_agreement"):
        assert metrics[key]["b_minus_a"] == int(second[key]) - int(first[key])
    welfare = {row["group"]: row for row in differences["welfare"]}
    assert set(welfare) == set(first["welfare"])
    for group, row in welfare.items():
        assert row["b_minus_a"] == pytest.approx(second["welfare"][group] - first["welfare"][group])
        change = second["welfare"][group] - first["welfare"][group]
        assert _row(output, f"W_g {group}", f"{first['welfare'][group]:.3f}", f"{second['welfare'][group]:.3f}",
                    f"{change:+.3f}")
    assert _row(output, "label", first["label"], second["label"], "differs")


def test_traces_of_another_seed_or_scenario_are_refused(runs: dict[str, str]) -> None:
    seed = _compare(runs["a"], runs["seed1"], code=2)
    assert "their seeds differ: A has seed 0, B has seed 1" in " ".join(seed.split())
    assert "scenarios differ" not in seed
    scenario = " ".join(_compare(runs["a"], runs["island"], code=2).split())
    assert "their scenarios differ: A ran 'harbour-sport-park'" in scenario and "B ran 'island-airport'" in scenario
    assert "seeds differ" not in scenario


def test_untrusted_text_is_shown_as_text(runs: dict[str, str], tmp_path: Path) -> None:
    lines = Path(runs["b"]).read_text().splitlines()
    events = [json.loads(line) for line in lines]
    first = next(e for e in events if e["type"] == "move")
    first["utterance"] = HOSTILE
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    escaped = HOSTILE.replace("\x1b", "\\x1b")
    plain = _compare(runs["a"], str(hostile))
    assert "\x1b" not in plain and escaped in plain
    buffer = io.StringIO()
    print_compare(Console(file=buffer, force_terminal=True, color_system="standard", width=200),
                  compare_content(runs["a"], hostile))
    coloured = buffer.getvalue()
    assert "\x1b[31mRED" not in coloured and "[bold]x[/bold]" in coloured and "<script>" in coloured
    out = tmp_path / "compare.html"
    _compare(runs["a"], str(hostile), "--html", str(out))
    page = out.read_text()
    assert "<script" not in page.lower() and "\x1b" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page and "[bold]x[/bold]" in page
    assert "\\x1b[31mRED" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page


def test_the_html_page_in_a_browser(runs: dict[str, str], tmp_path: Path) -> None:
    """Headless Chromium: the page loads without console errors, a script in an utterance does not run and
    is shown as text, and the round table has a row per round."""
    from selenium.webdriver.common.by import By

    from tests.report.browser import browser_session, load

    lines = Path(runs["b"]).read_text().splitlines()
    events = [json.loads(line) for line in lines]
    next(e for e in events if e["type"] == "move")["utterance"] = "<script>window.__pwned=1</script>"
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    page = tmp_path / "compare.html"
    _compare(runs["a"], str(hostile), "--html", str(page))
    rounds = sorted({m.round for path in (runs["a"], runs["b"]) for m in read_trace(path).moves})
    for driver in browser_session():
        assert load(driver, page) == []
        assert driver.execute_script("return window.__pwned === undefined")
        assert "<script>window.__pwned=1</script>" in driver.find_element(By.ID, "rounds").text
        shown = [int(row.get_attribute("data-round")) for row in driver.find_elements(By.CSS_SELECTOR, "#rounds tr[data-round]")]
        assert shown == rounds


def test_a_missing_or_broken_trace_is_an_error(runs: dict[str, str], tmp_path: Path) -> None:
    missing = " ".join(_compare(runs["a"], str(tmp_path / "nowhere.jsonl"), code=2).split())
    assert "nowhere.jsonl: cannot read the trace" in missing
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n{}\n")
    assert "broken.jsonl" in _compare(str(broken), runs["b"], code=2)
