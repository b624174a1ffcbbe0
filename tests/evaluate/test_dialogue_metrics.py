"""The dialogue metrics on hand-worked runs of the tiny game of test_evaluate_cases (utility table
there): concessions and unreciprocated ones, time to settle, view diversity, candidate spread."""

from __future__ import annotations

from typing import Any

from dialectic.evaluate import evaluate
from tests.evaluate.evaluate_support import Dialogue, assert_close, make_game
from tests.evaluate.test_evaluate_cases import GAME, OPENING_VIEWS, dialogue, o, tiny

FIVE_SIXTHS = 2.5 / 3


def metrics_of(trace: Any, game: Any = GAME) -> dict[str, Any]:
    return evaluate(game, trace).metrics


def test_concessions_by_view_and_by_proposal_and_who_reciprocated() -> None:
    trace = (
        dialogue()
        .say("b", o("x2y1"))  # view 1 -> .75: concession; answers only the opening: unreciprocated
        .say("c", o("x1y2"), proposal=o("x1y2"))  # first proposal = its view (u_c 1): selfish
        .say("a", o("x0y0"), proposal=o("x0y1"))  # below its opening proposal x0y0 (1 -> .75): answers b's
        .say("b", o("x2y1"), proposal=o("x2y1"), round=2)  # first proposal = its current view: no
        .say("c", o("x1y1"), round=2)  # 1 -> .75, answers a's concession (t3): reciprocated
        .say("a", o("x0y0"), proposal=o("x0y1"), accepts=False, round=2)  # its own last proposal again: no
        .say("b", o("x2y1"), accepts=False, round=3)  # silent (a no is not a concession)
        .say("c", o("x1y1"), round=3)  # silent
        .say("a", o("x1y0"), round=3)  # 1 -> .75 answering only silent moves: unreciprocated
        .end(None, rounds=3)
    )
    extra = metrics_of(trace)
    assert extra["concession_moves"] == {"a": 2, "b": 1, "c": 1}
    assert extra["unreciprocated_concessions"] == {"a": 1, "b": 1, "c": 0}


def test_a_mediator_move_is_nobodys_concession() -> None:
    trace = (
        dialogue(mediator=True)
        .say("mediator", o("x1y1"), proposal=o("x1y1"))
        .say("b", o("x2y1"))  # concedes answering the opening and the mediator only: unreciprocated
        .say("c", o("x1y1"))  # concedes answering b's concession: reciprocated
        .end(None)
    )
    extra = metrics_of(trace)
    assert extra["unreciprocated_concessions"] == {"a": 0, "b": 1, "c": 0}
    assert extra["concession_moves"] == {"a": 0, "b": 1, "c": 1}


def test_settlement_reached_when_it_last_started_to_hold() -> None:
    # Under mutual tolerance nobody tolerates anything here, so the run goes on to the round limit (2
    # rounds), where the passing x1y1 on the table is the settlement.
    game = make_game(tiny(rounds=2))
    trace = (
        Dialogue(game, "a", o("x0y0"), OPENING_VIEWS, mutual_tolerance=True)
        .say("b", o("x2y2"), proposal=o("x1y1"), accepts=False)
        .say("c", o("x1y2"), accepts=True)  # x1y1 passes (b, c) ...
        .say("a", o("x0y0"), proposal=o("x0y2"), accepts=False)  # ... until a tables x0y2: stances reset
        .say("b", o("x2y2"), proposal=o("x1y1"))  # x1y1 again, only b
        .say("c", o("x1y2"), accepts=True)  # passes at turn 5 and holds
        .say("a", o("x0y0"), accepts=False)
        .end(o("x1y1"), ["b", "c"], reason="round_limit")
    )
    evaluation = evaluate(game, trace)
    assert evaluation.consistent, evaluation.inconsistencies
    extra = evaluation.metrics
    assert (extra["rounds_to_settlement"], extra["turns_to_settlement"]) == (2, 5)


def test_a_settlement_the_moves_never_pass_is_no_settlement() -> None:
    """The end event names x1y1, but only b accepts it: the replay has no settlement (and says why)."""
    trace = dialogue().say("b", o("x2y2"), proposal=o("x1y1")).end(o("x1y1"), ["b"], rounds=1)
    evaluation = evaluate(GAME, trace)
    assert (evaluation.label, evaluation.settlement, evaluation.end_reason) == ("impasse", None, "deadlock")
    extra = evaluation.metrics
    assert (extra["rounds_to_settlement"], extra["turns_to_settlement"]) == (None, None)
    assert not evaluation.consistent
    assert {i.field for i in evaluation.inconsistencies} == {"end.reason", "end.settlement"}


def test_an_opening_proposal_that_passes_at_once_settles_at_round_0() -> None:
    game = make_game(tiny(agreement={"rule": "quorum", "min_accept": 1}))
    trace = Dialogue(game, "a", o("x0y0"), OPENING_VIEWS).say("b", o("x2y2"), accepts=False).end(o("x0y0"), ["a"])
    extra = metrics_of(trace, game)
    assert (extra["rounds_to_settlement"], extra["turns_to_settlement"]) == (0, 0)
    assert metrics_of(dialogue().say("b", o("x2y2")).end(None))["rounds_to_settlement"] is None


def test_view_diversity_follows_the_replayed_rounds() -> None:
    """Rounds are the engine's numbering of the moves, not the trace's: c's move recorded in round 3
    is turn 2, round 1 (and the trace is flagged)."""
    trace = dialogue().say("b", o("x1y2"), round=1).say("c", o("x2y2"), round=3).end(None, rounds=3)
    # r0: D(a,b) 1, D(a,c) 1, D(b,c) .5; r1 (b to x1y2, c to x2y2): 1, 1, .5.
    evaluation = evaluate(GAME, trace)
    assert_close(evaluation.metrics["view_diversity"], [FIVE_SIXTHS, FIVE_SIXTHS])
    assert {(i.field, i.turn) for i in evaluation.inconsistencies} >= {("round", 2), ("end.rounds", None)}
    assert_close(metrics_of(dialogue().end(None))["view_diversity"], [FIVE_SIXTHS])


def test_candidate_spread_without_variety() -> None:
    flat = {"candidates": 1, "std": {"a": 0.0, "b": 0.0, "c": 0.0}, "range": {"a": 0.0, "b": 0.0, "c": 0.0},
            "weight": {"a": None, "b": None, "c": None}}
    assert metrics_of(dialogue().say("b", o("x2y2"), accepts=False).end(None))["candidate_spread"] == flat
    # A trace whose opening names no proposal: the scenario's opening proposal x0y0 was on the table
    # all the same (and the trace is flagged).
    empty = evaluate(GAME, Dialogue(GAME, "a", None, OPENING_VIEWS).say("b", o("x2y2")).end(None))
    assert empty.metrics["candidate_spread"] == flat
    assert "opening.proposal" in [i.field for i in empty.inconsistencies]
