"""`dialectic report`: the page of a discrete run, a statement run, a three-group run (utility space with
the Pareto frontier), an LLM run (candidates and prompts, built with the trace's pydantic models as in
tests/trace/test_show.py), an imported GPT-4 log and a bench store, each loaded in headless Chromium with no
console error, its parts in the DOM and a screenshot; filtering the timeline changes what is shown; hostile
trace text (script and img tags, Markdown, ANSI escapes) is shown as text and never runs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.game import Game
from dialectic.report import render_report
from dialectic.scenario import load_scenario
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS
from tests.report.browser import browser_session, load, screenshot
from tests.trace.edit import edited, llm_generation

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT.parent / "shared" / "data" / "llm-deliberation" / "logs" / "base-gpt4-all-greedy"
HARBOUR = SCENARIOS / "harbour-sport-park.yaml"
POLIS = SCENARIOS / "polis-brexit-consensus.yaml"
RIVER = SCENARIOS / "river-basin-three.yaml"
HOSTILE = ('<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> **bold** [link](http://x) '
           "# head \x1b[31mRED\x1b[0m </script><b>x</b> \u2028 &amp; end")
SUITE = f"""
name: report-check
description: a tiny store for the report
root: {ROOT}
seeds: 2
entries:
  - scenarios: [scenarios/majority-51-49.yaml]
    strategies: [average-reward, max-min]
  - scenarios: [scenarios/river-basin-three.yaml]
    strategies: [dialectical]
"""


def _run(scenario: Path, strategy: str, out: Path) -> Path:
    result = runner.invoke(app, ["run", str(scenario), "--strategy", strategy, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.output)["trace"])


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("runs")
    found = {
        "discrete": _run(HARBOUR, "capitulator", out),
        "statement": _run(POLIS, "persuader", out),
        "three-groups": _run(RIVER, "dialectical", out),
    }
    move = read_trace(found["discrete"]).moves[0]
    found["llm"] = edited(found["discrete"], out / "llm.jsonl", move.turn, utterance=HOSTILE,
                          generation=llm_generation(move.view, HOSTILE))
    return found


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not LOGS.is_dir():
        pytest.skip("shared/data/llm-deliberation not present")
    from dialectic.transcripts._llm_deliberation import import_log

    out = tmp_path_factory.mktemp("imported")
    game = Game(load_scenario(HARBOUR))
    for file in sorted(LOGS.glob("history*.json")):
        session = import_log(file, HARBOUR, out, game)
        if session.trace is not None:
            return session.trace
    pytest.fail(f"no session of {LOGS} imported")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dialectic.sweep import run_suite

    where = tmp_path_factory.mktemp("sweep")
    (where / "suite.yaml").write_text(SUITE, encoding="utf-8")
    report = run_suite(where / "suite.yaml", where / "out", quiet=True)
    assert (report.done, report.failed) == (6, 0)
    return where / "out"


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    yield from browser_session()


def _embedded(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _count(driver: Any, selector: str) -> int:
    return int(driver.execute_script(f"return document.querySelectorAll({json.dumps(selector)}).length"))


def _visible_turns(driver: Any) -> int:
    return int(driver.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .turn')).filter(e => e.offsetParent !== null).length"))


def _open(driver: Any, sources: list[Path], folder: Path, name: str) -> Path:
    page = folder / f"{name}.html"
    page.write_text(render_report(sources), encoding="utf-8")
    errors = load(driver, page)
    assert errors == [], errors
    return page


def _common(driver: Any, groups: int) -> None:
    assert _count(driver, "#timeline .turn") > 0
    assert _count(driver, "svg.utility-chart") == groups
    assert _count(driver, "svg.welfare-chart") == 1
    assert _count(driver, "table.acceptability tbody tr") == groups
    assert _count(driver, "#evidence") == 1
    assert driver.execute_script("return window.__pwned") is None


def test_the_page_is_self_contained_and_embeds_text_safely(traces: dict[str, Path]) -> None:
    page = render_report([traces["llm"]])
    assert "<script>window.__pwned" not in page and "<img src=x" not in page and "</script><b>" not in page
    assert "\u2028" not in page
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert csp is not None and "default-src 'none'" in csp.group(1) and "img-src data:" in csp.group(1)
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp.group(1))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing loads from the network
    data = _embedded(page)
    turns = data["runs"][0]["content"]["turns"]
    assert turns[0]["utterance"] == HOSTILE
    assert turns[0]["generation"]["messages"][1]["content"].endswith(HOSTILE)


def test_a_discrete_run(driver: Any, traces: dict[str, Path], tmp_path: Path) -> None:
    _open(driver, [traces["discrete"]], tmp_path, "discrete")
    _common(driver, 6)
    assert driver.find_element("id", "run-label").text == "label false_agreement"
    assert "false agreement:" in driver.find_element("id", "evidence").text
    assert _count(driver, "svg.space-chart") == 0  # six groups: no utility-space plot
    screenshot(driver, tmp_path, "report-discrete")


def test_a_statement_run(driver: Any, traces: dict[str, Path], tmp_path: Path) -> None:
    _open(driver, [traces["statement"]], tmp_path, "statement")
    groups = len(load_scenario(POLIS).groups)
    _common(driver, groups)
    text = driver.find_element("id", "timeline").text
    view = _embedded(render_report([traces["statement"]]))["runs"][0]["content"]["turns"][0]["view"]["text"]
    assert view and view[:30] in text
    screenshot(driver, tmp_path, "report-statement")


def test_three_groups_in_utility_space(driver: Any, traces: dict[str, Path], tmp_path: Path) -> None:
    _open(driver, [traces["three-groups"]], tmp_path, "three")
    _common(driver, 3)
    assert _count(driver, "svg.space-chart") == 3  # pairwise projections
    assert _count(driver, "svg.space-chart path.frontier") == 3
    assert _count(driver, "svg.space-chart .mark-oracle") == 3
    assert _count(driver, "svg.space-chart .mark-final") == 9
    screenshot(driver, tmp_path, "report-three-groups")


def test_filtering_the_timeline_changes_what_is_shown(driver: Any, traces: dict[str, Path], tmp_path: Path) -> None:
    _open(driver, [traces["three-groups"]], tmp_path, "filter")
    before = _visible_turns(driver)
    speakers = driver.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .turn')).map(e => e.dataset.speaker)")
    boxes = driver.find_elements("css selector", "input.group-filter")
    keep = boxes[0].get_attribute("value")
    for box in boxes[1:]:
        box.click()
    after = _visible_turns(driver)
    assert after == speakers.count(keep) and 0 < after < before
    assert set(driver.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .turn')).map(e => e.dataset.speaker)")) == {keep}
    last = driver.find_element("id", "round-to")
    last.clear()
    last.send_keys("1")
    rounds = driver.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .turn')).map(e => Number(e.dataset.round))")
    assert rounds and set(rounds) == {1}
    assert driver.find_element("id", "timeline-count").text.startswith(f"{len(rounds)} of ")


def test_an_llm_run_shows_candidates_and_prompts_collapsed_and_hostile_text_as_text(
        driver: Any, traces: dict[str, Path], tmp_path: Path) -> None:
    _open(driver, [traces["llm"]], tmp_path, "llm")
    _common(driver, 6)
    generation = driver.find_element("css selector", "#timeline .turn details.generation")
    assert generation.get_attribute("open") is None  # collapsed by default
    assert _count(driver, "details.generation table.candidates tbody tr") == 2
    assert _count(driver, "details.generation details.prompt pre") == 2
    utterance = driver.execute_script("return document.querySelector('#timeline .turn .utterance').textContent")
    for literal in ('<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">', "**bold**",
                    "[link](http://x)", "</script><b>x</b>", "&amp; end"):
        assert literal in utterance
    assert "\\x1b[31mRED\\x1b[0m" in utterance and "\x1b" not in utterance  # escapes shown, not passed on
    prompt = driver.execute_script("return document.querySelector('details.prompt').textContent")
    assert "<script>window.__pwned=1</script>" in prompt
    assert _count(driver, "#timeline img") == 0 and _count(driver, "#timeline b") == 0
    assert driver.execute_script("return window.__pwned") is None
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert driver.execute_script("return window.__pwned") is None
    screenshot(driver, tmp_path, "report-llm")


def test_an_imported_gpt4_log(driver: Any, imported: Path, tmp_path: Path) -> None:
    _open(driver, [imported], tmp_path, "imported")
    _common(driver, 6)
    screenshot(driver, tmp_path, "report-imported-gpt4")


def test_a_bench_store_has_the_leaderboard_plots_and_linked_runs(driver: Any, store: Path, tmp_path: Path) -> None:
    _open(driver, [store], tmp_path, "bench")
    assert "Leaderboard" in driver.find_element("id", "bench-0").text
    assert _count(driver, "#bench-0 table") >= 2  # the summary's tables and the run index
    assert _count(driver, "svg.scenario-chart") == 2
    assert _count(driver, "svg.scenario-chart a circle") == 6
    assert _count(driver, "table.run-index tbody tr") == 6
    assert _count(driver, "#run-select option") == 6
    screenshot(driver, tmp_path, "report-bench")
    link = driver.find_elements("css selector", "table.run-index a")[-1]
    target = link.get_attribute("href").rsplit("#run-", 1)[1]
    link.click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.find_element("id", "run").get_attribute("data-run") == target)
    assert _count(driver, "svg.space-chart") == 3  # the last run is a three-group river-basin run
    assert load(driver, tmp_path / "bench.html") == []


def test_the_command_writes_the_page_and_refuses_a_missing_trace(traces: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    done = runner.invoke(app, ["report", str(traces["discrete"]), str(traces["three-groups"]), "-o", str(out)])
    assert done.exit_code == 0, done.output
    data = _embedded(out.read_text(encoding="utf-8"))
    assert [run["meta"]["scenario"] for run in data["runs"]] == ["harbour-sport-park", "river-basin-three"]
    missing = runner.invoke(app, ["report", str(tmp_path / "nope.jsonl"), "-o", str(out)])
    assert missing.exit_code == 2 and "no such trace file" in missing.output


def test_a_200_round_seven_party_trace_renders_quickly_and_lazily(driver: Any, tmp_path: Path) -> None:
    import time

    scenario = tmp_path / "seven-party-200.yaml"
    text = (SCENARIOS / "seven-party.yaml").read_text(encoding="utf-8")
    scenario.write_text(re.sub(r"(?m)^rounds: \d+$", "rounds: 200", text), encoding="utf-8")
    trace = _run(scenario, "hardliner", tmp_path)  # the hardliner never settles: all 200 rounds
    started = time.perf_counter()
    page = render_report([trace])
    seconds = time.perf_counter() - started
    assert seconds < 10, f"rendering took {seconds:.1f} s"
    assert len(_embedded(page)["runs"][0]["content"]["turns"]) == 1400
    path = tmp_path / "big.html"
    path.write_text(page, encoding="utf-8")
    assert load(driver, path) == []
    drawn = driver.execute_script("return performance.getEntriesByName('report-drawn')[0].startTime")
    assert drawn < 5000, f"drawn after {drawn:.0f} ms"
    assert _count(driver, "#timeline .turn") == 80  # the first chunk only
    assert driver.find_element("id", "timeline-count").text == "1400 of 1400 turns match; 80 shown"
    driver.execute_script("document.getElementById('timeline-more').scrollIntoView()")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: _count(d, "#timeline .turn") > 80)  # the next chunk, on scrolling
    _common(driver, 7)


def test_a_cut_off_trace_says_where_it_stops(driver: Any, traces: dict[str, Path], tmp_path: Path) -> None:
    lines = traces["three-groups"].read_text(encoding="utf-8").splitlines()
    moves = [k for k, line in enumerate(lines) if json.loads(line)["type"] == "move"]
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[: moves[9] + 1]) + "\n" + lines[moves[10]][:20], encoding="utf-8")
    _open(driver, [cut], tmp_path, "cut")
    _common(driver, 3)
    assert "NOTE: the trace stops at turn 10" in driver.find_element("id", "run-header").text
    assert _count(driver, "#timeline .turn") == 10
