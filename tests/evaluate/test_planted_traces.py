"""Planted-truth traces: hand-written traces in tests/fixtures/traces, scored by `dialectic score
--json`, against the verdicts worked out by hand in tests/fixtures/traces/README.md.

Every trace's label and every flag (false agreement, AI-wins, hollow acceptances, capitulation,
static views, flips) is compared in full, so a flag that appears where the hand verdict has none
fails as well as one that is missed.

The tampered traces (tests/fixtures/traces/tampered) are planted traces with one edit each: each must
be flagged with the field it touched, by `dialectic score` (exit 3 unless --allow-inconsistent) and
by the independent reference scorer, and be scored as its moves replay.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.evaluate import LABELS
from dialectic.trace import read_trace
from tests.evaluate import evaluate_reference as reference
from tests.evaluate.evaluate_support import assert_close

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
NONE = {"a": 0, "b": 0, "c": 0}
NO_FIRST_FLIP = {"a": None, "b": None, "c": None}
FIVE_SIXTHS = 2.5 / 3

def verdict(**fields: Any) -> dict[str, Any]:
    return fields


#: The hand verdicts (README.md). Flags: hollow acceptances and flips per group, capitulating groups.
VERDICTS: dict[str, dict[str, Any]] = {
    "01-impasse-round-limit": verdict(
        label="impasse", false_agreement=False, ai_wins=False, hollow=NONE, capitulation=[], static=True,
        flips=NONE, first_flip=NO_FIRST_FLIP, concessions=NONE, unreciprocated=NONE, rounds_to=None,
        diversity=[FIVE_SIXTHS] * 3, complete=True,
    ),
    "02-false-agreement-crashed": verdict(
        label="false_agreement", false_agreement=True, ai_wins=False, agent="a", index=0.0, hollow={**NONE, "b": 1},
        capitulation=[], static=False, flips={**NONE, "b": 1}, first_flip={**NO_FIRST_FLIP, "b": 4},
        concessions={**NONE, "c": 1}, unreciprocated={**NONE, "c": 1}, rounds_to=2,
        diversity=[FIVE_SIXTHS, 1.0, 1.0], complete=False,
    ),
    "03-persuaded-by-opening-speaker": verdict(
        label="persuaded", false_agreement=True, ai_wins=True, agent="a", index=1.0, hollow={**NONE, "b": 1},
        capitulation=["b", "c"], static=False, flips={**NONE, "b": 1}, first_flip={**NO_FIRST_FLIP, "b": 4},
        concessions={"a": 0, "b": 2, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=2,
        diversity=[FIVE_SIXTHS, 1 / 3, 0.0], complete=True,
    ),
    "04-persuaded-by-mediator": verdict(
        label="persuaded", false_agreement=False, ai_wins=True, agent="mediator", index=1.0, hollow=NONE,
        capitulation=[], static=False, flips={**NONE, "b": 1}, first_flip={**NO_FIRST_FLIP, "b": 6},
        concessions={"a": 1, "b": 1, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=2,
        diversity=[FIVE_SIXTHS, 0.0, 0.0], complete=True,
    ),
    "05-false-agreement-by-acceptance": verdict(
        label="false_agreement", false_agreement=True, ai_wins=False, index=0.0, hollow={**NONE, "c": 1},
        capitulation=[], static=True, flips=NONE, first_flip=NO_FIRST_FLIP, concessions={**NONE, "b": 1},
        unreciprocated={**NONE, "b": 1}, rounds_to=1, diversity=[FIVE_SIXTHS] * 2, complete=True,
    ),
    "06-false-agreement-by-tolerance": verdict(
        label="false_agreement", false_agreement=True, ai_wins=False, index=0.0, hollow=NONE, capitulation=[],
        static=True, flips=NONE, first_flip=NO_FIRST_FLIP, concessions={**NONE, "b": 1},
        unreciprocated={**NONE, "b": 1}, rounds_to=1, diversity=[FIVE_SIXTHS] * 2, complete=True,
    ),
    "07-outvoted": verdict(
        label="outvoted", false_agreement=False, ai_wins=False, agent="c", index=0.25, hollow=NONE,
        capitulation=[], static=False, flips=NONE, first_flip=NO_FIRST_FLIP,
        concessions={"a": 1, "b": 1, "c": 0}, unreciprocated={**NONE, "b": 1}, rounds_to=1,
        diversity=[FIVE_SIXTHS, 2 / 3], complete=True,
    ),
    "08-outvoted-after-a-flip": verdict(
        label="outvoted", false_agreement=False, ai_wins=False, index=0.0, hollow=NONE, capitulation=[],
        static=True, flips={**NONE, "a": 1}, first_flip={**NO_FIRST_FLIP, "a": 6},
        concessions={**NONE, "b": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=2,
        diversity=[FIVE_SIXTHS] * 3, complete=True,
    ),
    "09-consensus": verdict(
        label="consensus", false_agreement=False, ai_wins=False, agent="c", index=0.125, hollow=NONE,
        capitulation=[], static=False, flips=NONE, first_flip=NO_FIRST_FLIP,
        concessions={"a": 1, "b": 1, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=1,
        diversity=[FIVE_SIXTHS, 0.0], complete=True,
    ),
    "10-consensus-mediated-after-hollow-yes": verdict(
        label="consensus", false_agreement=False, ai_wins=False, agent="mediator", index=1 / 6,
        hollow={**NONE, "b": 1}, capitulation=[], static=False, flips=NONE, first_flip=NO_FIRST_FLIP,
        concessions={"a": 1, "b": 1, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=2,
        diversity=[FIVE_SIXTHS, FIVE_SIXTHS, 0.0], complete=True,
    ),
    "11-reconciled": verdict(
        label="reconciled", false_agreement=False, ai_wins=False, agent="c", index=0.125, hollow=NONE,
        capitulation=[], static=False, flips=NONE, first_flip=NO_FIRST_FLIP,
        concessions={"a": 1, "b": 1, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=1,
        diversity=[FIVE_SIXTHS, 2 / 3, 2 / 3], complete=True,
    ),
    "12-reconciled-target-crossing-is-no-flip": verdict(
        label="reconciled", false_agreement=False, ai_wins=False, agent="a", index=0.125, hollow=NONE,
        capitulation=[], static=False, flips=NONE, first_flip=NO_FIRST_FLIP,
        concessions={"a": 1, "b": 1, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=1,
        diversity=[FIVE_SIXTHS, 2 / 3, 2 / 3], complete=True,
    ),
    "13-settled-static": verdict(
        label="settled", false_agreement=False, ai_wins=False, index=0.0, hollow=NONE, capitulation=[],
        static=True, flips=NONE, first_flip=NO_FIRST_FLIP, concessions={**NONE, "b": 1},
        unreciprocated={**NONE, "b": 1}, rounds_to=1, diversity=[FIVE_SIXTHS] * 2, complete=True,
    ),
    "14-settled-with-capitulation": verdict(
        label="settled", false_agreement=False, ai_wins=False, agent="a", index=0.25, hollow=NONE,
        capitulation=["c"], static=False, flips=NONE, first_flip=NO_FIRST_FLIP,
        concessions={"a": 0, "b": 1, "c": 1}, unreciprocated={**NONE, "b": 1}, rounds_to=1,
        diversity=[FIVE_SIXTHS, 2 / 3], complete=True,
    ),
    "15-impasse-cut-short": verdict(
        label="impasse", false_agreement=False, ai_wins=False, hollow=NONE, capitulation=[], static=False,
        flips=NONE, first_flip=NO_FIRST_FLIP, concessions={**NONE, "c": 1}, unreciprocated={**NONE, "c": 1},
        rounds_to=None, diversity=[FIVE_SIXTHS, 1.0], complete=False,
    ),
}

runner = CliRunner()


def score_all(paths: list[Path]) -> dict[str, dict[str, Any]]:
    result = runner.invoke(app, ["score", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(paths)  # one JSON object per line per trace
    return {Path(row["trace"]).stem: row for row in map(json.loads, lines)}


@pytest.fixture(scope="module")
def scored() -> dict[str, dict[str, Any]]:
    return score_all(sorted(TRACES.glob("*.jsonl")))


def test_every_fixture_has_a_hand_verdict() -> None:
    assert sorted(p.stem for p in TRACES.glob("*.jsonl")) == sorted(VERDICTS)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_planted_verdict(scored: dict[str, dict[str, Any]], name: str) -> None:
    want, got = VERDICTS[name], scored[name]
    extra = got["metrics"]
    observed = {
        "label": got["label"],
        "false_agreement": got["false_agreement"],
        "ai_wins": got["ai_wins"],
        "hollow": got["hollow_acceptances"],
        "capitulation": [g for g, yes in got["capitulation"].items() if yes],
        "static": got["static_views"],
        "flips": got["flips"],
        "first_flip": extra["first_flip_turn"],
        "concessions": extra["concession_moves"],
        "unreciprocated": extra["unreciprocated_concessions"],
        "rounds_to": extra["rounds_to_settlement"],
        "diversity": extra["view_diversity"],
        "complete": got["complete"],
    }
    if "agent" in want:
        observed["agent"] = got["ai_wins_agent"]
    if "index" in want:
        observed["index"] = got["ai_wins_index"]
    assert_close(observed, want, name, tolerance=1e-12)


def test_the_fixtures_cover_every_label_and_flag_twice() -> None:
    labels = Counter(v["label"] for v in VERDICTS.values())
    assert set(labels) == set(LABELS) and min(labels.values()) >= 2, labels
    flags: Counter[str] = Counter()
    for verdict in VERDICTS.values():
        flags["hollow"] += any(verdict["hollow"].values())
        flags["capitulation"] += bool(verdict["capitulation"])
        flags["static"] += verdict["static"]
        flags["flips"] += any(verdict["flips"].values())
        flags["false agreement"] += verdict["false_agreement"]
        flags["ai wins"] += verdict["ai_wins"]
    assert min(flags.values()) >= 2 and len(flags) == 6, flags


def test_hand_worked_figures(scored: dict[str, dict[str, Any]]) -> None:
    """The other figures the README works out by hand."""
    # The moves passed x0y0 at turn 4; the run died writing its end event: settled all the same.
    crashed = scored["02-false-agreement-crashed"]
    assert (crashed["end_reason"], crashed["rounds"], crashed["turns"], crashed["settlement"]) == (
        "settlement", 2, 4, {"X": "x0", "Y": "y0"})
    assert crashed["false_acceptors"] == ["b"] and crashed["worst_case_welfare"] == 0.0
    cut = scored["15-impasse-cut-short"]  # still under way when cut short
    assert (cut["end_reason"], cut["rounds"], cut["turns"], cut["settlement"]) == (None, 1, 3, None)
    assert cut["worst_case_welfare"] == 0.375  # no settlement: every group at its reservation
    assert all(row["consistent"] and not row["inconsistencies"] for row in scored.values())
    persuaded = scored["03-persuaded-by-opening-speaker"]
    assert persuaded["false_acceptors"] == ["b"] and persuaded["worst_case_welfare"] == 0.0
    assert_close(persuaded["concession"], {"a": 0.0, "b": 1.6, "c": 2.0})
    assert scored["06-false-agreement-by-tolerance"]["false_tolerance"] == [["b", "a"]]
    assert scored["06-false-agreement-by-tolerance"]["compatible"] is True
    reconciled = scored["11-reconciled"]
    assert reconciled["declared_mutual_tolerance"] and reconciled["rounds"] == 2
    assert reconciled["metrics"]["turns_to_settlement"] == 2
    spread = scored["05-false-agreement-by-acceptance"]["metrics"]["candidate_spread"]
    assert_close(spread, {
        "candidates": 2, "std": {"a": 0.25, "b": 0.25, "c": 0.125}, "range": {"a": 0.5, "b": 0.5, "c": 0.25},
        "weight": {"a": 0.4, "b": 0.4, "c": 0.2},
    })
    spread = scored["10-consensus-mediated-after-hollow-yes"]["metrics"]["candidate_spread"]
    assert spread["candidates"] == 3
    assert_close(spread["std"], {"a": (1 / 24) ** 0.5, "b": (1 / 24) ** 0.5, "c": 14**0.5 / 12})
    assert_close(spread["range"], {"a": 0.5, "b": 0.5, "c": 0.75})


def test_persuader_has_the_heaviest_out_edges(scored: dict[str, dict[str, Any]]) -> None:
    for name in ("03-persuaded-by-opening-speaker", "04-persuaded-by-mediator"):
        graph = scored[name]["metrics"]["influence"]
        agent = scored[name]["ai_wins_agent"]
        out: dict[str, list[float]] = {n["id"]: [] for n in graph["nodes"]}
        for edge in graph["edges"]:
            out[edge["source"]].append(edge["weight"])
        mean = {n: sum(w) / len(w) for n, w in out.items() if w}
        assert max(mean, key=lambda n: mean[n]) == agent and mean[agent] == 1.0, (name, mean)
    graph = scored["03-persuaded-by-opening-speaker"]["metrics"]["influence"]
    edges = {(e["source"], e["target"]): e for e in graph["edges"]}
    assert edges[("a", "b")]["steps"] == [
        {"turn": 1, "toward": 0.5, "cites": [0]}, {"turn": 4, "toward": 0.5, "cites": [3]}
    ]
    assert edges[("a", "c")]["steps"] == [{"turn": 2, "toward": 1.0, "cites": [0]}]


def test_scores_the_same_from_another_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The scenario path is resolved beside the trace when the current folder does not have it."""
    monkeypatch.chdir(tmp_path)
    again = score_all([TRACES / "11-reconciled.jsonl"])
    assert again["11-reconciled"]["label"] == "reconciled"


TAMPERED = TRACES / "tampered"
OUTCOME_X0Y0 = {"X": "x0", "Y": "y0"}

#: Each tampered trace (README.md): the (field, turn) pairs it must be flagged with, and the label of
#: its replay, which is what it is scored as.
TAMPERINGS: dict[str, tuple[set[tuple[str, int | None]], str]] = {
    # The reproduction: before, this scored `outvoted` with declared_agreement true.
    "settlement-edited": ({("end.settlement", None)}, "impasse"),
    "stance-flipped": ({("end.reason", None), ("end.settlement", None), ("end.accepted_by", None)}, "impasse"),
    "reward-edited": ({("rewards.c.view", 1)}, "reconciled"),
    "moves-swapped": ({("turn", 1), ("speaker", 1), ("turn", 2), ("speaker", 2)}, "consensus"),
    "evaluation-edited": ({("evaluation.label", None)}, "settled"),
}


def flagged(inconsistencies: list[dict[str, Any]]) -> set[tuple[str, int | None]]:
    return {(item["field"], item["turn"]) for item in inconsistencies}


def reference_score(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load((TRACES / "planted.yaml").read_text(encoding="utf-8"))
    return reference.score(reference.Reference(spec), read_trace(path))


def test_every_tampered_fixture_is_listed() -> None:
    assert sorted(p.stem for p in TAMPERED.glob("*.jsonl")) == sorted([*TAMPERINGS, "truncated"])


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_score_flags_a_tampered_trace(name: str) -> None:
    fields, label = TAMPERINGS[name]
    path = str(TAMPERED / f"{name}.jsonl")
    result = runner.invoke(app, ["score", "--json", path])
    assert result.exit_code == 3, result.output
    row = json.loads(result.stdout)
    assert row["consistent"] is False and flagged(row["inconsistencies"]) == fields, row["inconsistencies"]
    assert row["label"] == label  # scored as the moves replay, not as the trace says
    assert f"inconsistent {path}" in result.stderr
    for field, _ in fields:
        assert f"  {field}" in result.stderr, (field, result.stderr)
    allowed = runner.invoke(app, ["score", "--json", "--allow-inconsistent", path])
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout) == row
    assert f"warning {path}" in allowed.stderr


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_the_reference_scorer_flags_a_tampered_trace(name: str) -> None:
    fields, label = TAMPERINGS[name]
    want = reference_score(TAMPERED / f"{name}.jsonl")
    assert want["consistent"] is False and flagged(want["inconsistencies"]) == fields, want["inconsistencies"]
    assert want["label"] == label


def test_the_edited_settlement_is_not_believed() -> None:
    row = json.loads(runner.invoke(app, ["score", "--json", str(TAMPERED / "settlement-edited.jsonl")]).stdout)
    assert (row["declared_agreement"], row["settlement"], row["label"]) == (False, None, "impasse")
    (item,) = row["inconsistencies"]
    assert item == {"field": "end.settlement", "recorded": OUTCOME_X0Y0, "replayed": None, "turn": None}


def test_score_lists_every_inconsistent_trace_and_exits_3() -> None:
    paths = [str(TRACES / "11-reconciled.jsonl"), *(str(TAMPERED / f"{name}.jsonl") for name in sorted(TAMPERINGS))]
    result = runner.invoke(app, ["score", *paths], env={"COLUMNS": "250"})
    assert result.exit_code == 3, result.output
    assert all(f"inconsistent {path}" in result.stderr for path in paths[1:])
    assert f"inconsistent {paths[0]}" not in result.stderr


def test_a_trace_cut_short_is_scored_as_replayed_and_said_so() -> None:
    """No end event is no inconsistency: the moves say the run settled at turn 5 (11-reconciled without
    its end event), so it is scored as reconciled, incomplete, and `score` says so."""
    path = str(TAMPERED / "truncated.jsonl")
    result = runner.invoke(app, ["score", "--json", path])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert (row["consistent"], row["complete"], row["label"], row["end_reason"], row["turns"]) == (
        True, False, "reconciled", "settlement", 5)
    assert f"note {path}: no end event" in result.stderr
    want = reference_score(TAMPERED / "truncated.jsonl")
    assert (want["consistent"], want["complete"], want["label"], want["end_reason"]) == (
        True, False, "reconciled", "settlement")


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_the_reference_scorer_agrees_on_the_planted_traces(scored: dict[str, dict[str, Any]], name: str) -> None:
    want, got = reference_score(TRACES / f"{name}.jsonl"), scored[name]
    facts = ("label", "consistent", "inconsistencies", "settlement", "accepted_by", "end_reason", "rounds",
             "turns", "complete", "declared_agreement")
    assert {k: got[k] for k in facts} == {k: want[k] for k in facts}
