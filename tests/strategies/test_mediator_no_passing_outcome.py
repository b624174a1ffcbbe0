"""A mediator that finds no outcome passing the rule honestly says so (DESIGN.md, "Mediators choose
among the outcomes that pass the rule honestly ... none pass: they propose nothing and say so"): its
move is on record with an utterance naming the rule and no proposal, and the run ends in deadlock;
the evaluator, `dialectic score` and the reference scorer read the trace as an impasse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.dialogue import MEDIATOR, MediatorObservation, Table
from dialectic.evaluate import evaluate
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario
from dialectic.strategies import mediators
from dialectic.trace import MoveEvent, Trace
from tests.evaluate.evaluate_reference import Reference, score

CARDS = ["max-min", "average-reward", "nash"]
runner = CliRunner()


def no_deal(rule: dict[str, Any] | None = None) -> dict[str, Any]:
    """Two groups that each accept only outcomes with their own end of issue P: whatever the rule needs
    both of them, nothing passes when each accepts exactly what its reward model puts at or above its
    reservation."""
    spec: dict[str, Any] = {
        "name": "no-deal",
        "space": {"issues": [{"id": "P", "options": ["P1", "P2", "P3"]}, {"id": "Q", "options": ["Q1", "Q2"]}]},
        "groups": [
            {"id": "a", "share": 0.5, "reward": {"kind": "additive", "points": {"P": [10, 5, 0], "Q": [2, 0]}},
             "reservation": 9},
            {"id": "b", "share": 0.5, "reward": {"kind": "additive", "points": {"P": [0, 5, 10], "Q": [0, 2]}},
             "reservation": 9},
        ],
        "rounds": 4,
        "opening": {"speaker": "a", "proposal": {"P": "P1", "Q": "Q1"}},
    }
    if rule is not None:
        spec["agreement"] = rule
    return spec


def write(spec: dict[str, Any], folder: Path) -> Path:
    path = folder / "no-deal.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_the_scenario_has_no_honestly_passing_outcome() -> None:
    game = Game(Scenario.model_validate(no_deal()))
    assert not game.honest_pass.any()


@pytest.mark.parametrize("card", CARDS)
def test_the_mediator_says_so_and_the_run_ends_in_deadlock(card: str, tmp_path: Path) -> None:
    spec = no_deal()
    result = run_dialogue(write(spec, tmp_path), card, seed=0, out=tmp_path / "runs")
    trace = result.trace
    assert [m.speaker for m in trace.moves] == [MEDIATOR]  # the mediator's move is on record, and the last
    move = trace.moves[0]
    assert move.proposal is None
    assert "No outcome passes the agreement rule (unanimous: every group accepts)" in move.utterance
    assert "every group accepts exactly what its reward model puts at or above its reservation" in move.utterance
    assert "propose nothing" in move.utterance
    end = trace.end
    assert end is not None and (end.reason, end.settlement, end.turns, end.rounds) == ("deadlock", None, 1, 1)
    evaluation = result.evaluation
    assert evaluation is not None
    assert (evaluation.label, evaluation.end_reason, evaluation.settlement) == ("impasse", "deadlock", None)
    assert evaluation.consistent and evaluation.complete and not evaluation.declared_agreement
    assert "mediator" not in evaluation.pull  # it stated no position of its own

    # written to disk as recorded, and `dialectic score` agrees with the evaluation made at run time
    on_disk = [json.loads(line) for line in trace.path.read_text(encoding="utf-8").splitlines()]
    assert [e["type"] for e in on_disk] == ["header", "opening", "move", "end", "evaluation"]
    assert on_disk[2]["proposal"] is None and on_disk[2]["utterance"] == move.utterance
    scored = runner.invoke(app, ["score", str(trace.path), "--json"])
    assert scored.exit_code == 0, scored.output
    row = json.loads(scored.output)
    row.pop("trace")
    assert (row["label"], row["end_reason"], row["consistent"]) == ("impasse", "deadlock", True)
    assert trace.evaluation is not None and row == trace.evaluation.evaluation

    # and so does the independent reference scorer
    want = score(Reference(spec), trace)
    assert (want["label"], want["end_reason"], want["turns"], want["inconsistencies"]) == (
        "impasse", "deadlock", 1, [])


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"rule": "quorum", "min_accept": 2}, "quorum: at least 2 of 2 groups accept"),
        ({"rule": "majority"}, "majority: accepting shares sum above 0.5"),
    ],
)
def test_the_utterance_names_the_rule(rule: dict[str, Any], named: str) -> None:
    game = Game(Scenario.model_validate(no_deal(rule)))
    table = Table.opening({g: game.opening_view(g) for g in game.group_ids}, game.opening.speaker,
                          game.opening.proposal)
    for card in CARDS:
        spec = mediators.get(card)
        mediator = spec.build(spec.params.model_validate({}), game)
        move = mediator.act(MediatorObservation(game, table, [], 1, 1, np.random.default_rng(0)))
        assert move is not None and move.speaker == MEDIATOR and move.proposal is None, card
        assert f"No outcome passes the agreement rule ({named})" in move.utterance, (card, move.utterance)


def test_a_move_recorded_after_the_mediator_said_so_is_flagged(tmp_path: Path) -> None:
    """The run ends on the mediator's move with no proposal, by the referee's rule: the replay and the
    reference scorer both end it there and flag a move recorded after it."""
    spec = no_deal()
    result = run_dialogue(write(spec, tmp_path), "max-min", seed=0, out=tmp_path / "runs", evaluate=False)
    trace, game = result.trace, Game(Scenario.model_validate(spec))
    assert trace.end is not None
    opening_b = trace.opening.views["b"]
    extra = MoveEvent(turn=2, round=1, speaker="b", view=opening_b, answers=trace.moves[0].answers, accepts=False)
    end = trace.end.model_copy(update={"reason": "round_limit", "turns": 2})
    tampered = Trace(trace.path, trace.header, trace.opening, [*trace.moves, extra], end)
    evaluation = evaluate(game, tampered)
    fields = {i.field for i in evaluation.inconsistencies}
    assert {"moves", "end.reason", "end.turns"} <= fields, fields
    assert (evaluation.label, evaluation.end_reason, evaluation.turns) == ("impasse", "deadlock", 1)
    want = score(Reference(spec), tampered)
    assert {"moves", "end.reason", "end.turns"} <= {i["field"] for i in want["inconsistencies"]}
    assert (want["label"], want["end_reason"], want["turns"]) == ("impasse", "deadlock", 1)
