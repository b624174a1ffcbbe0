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
    trace = (
        dialogue()
        .say("b", o("x2y2"), proposal=o("x1y1"), accepts=False)
        .say("c", o("x1y2"), accepts=True)  # x1y1 passes (b, c) ...
        .say("a", o("x0y0"), proposal=o("x0y2"), accepts=False)  # ... until a tables x0y2: stances reset
        .say("b", o("x2y2"), proposal=o("x1y1"), round=2)  # x1y1 again, only b
        .say("c", o("x1y2"), accepts=True, round=2)  # passes at turn 5 and holds
        .say("a", o("x0y0"), accepts=False, round=2)
        .end(o("x1y1"), ["b", "c"], rounds=2)
    )
    extra = metrics_of(trace)
    assert (extra["rounds_to_settlement"], extra["turns_to_settlement"]) == (2, 5)


def test_settlement_the_replay_never_sees_passing_falls_back_to_the_end_event() -> None:
    trace = dialogue().say("b", o("x2y2"), proposal=o("x1y1")).end(o("x1y1"), ["b"], rounds=1)
    extra = metrics_of(trace)
    assert (extra["rounds_to_settlement"], extra["turns_to_settlement"]) == (1, 1)


def test_an_opening_proposal_that_passes_at_once_settles_at_round_0() -> None:
    game = make_game(tiny(agreement={"rule": "quorum", "min_accept": 1}))
    trace = Dialogue(game, "a", o("x0y0"), OPENING_VIEWS).say("b", o("x2y2"), accepts=False).end(o("x0y0"), ["a"])
    extra = metrics_of(trace, game)
    assert (extra["rounds_to_settlement"], extra["turns_to_settlement"]) == (0, 0)
    assert metrics_of(dialogue().say("b", o("x2y2")).end(None))["rounds_to_settlement"] is None


def test_view_diversity_carries_views_over_a_round_without_moves() -> None:
    trace = dialogue().say("b", o("x1y2"), round=1).say("c", o("x2y2"), round=3).end(None, rounds=3)
    # r0: D(a,b) 1, D(a,c) 1, D(b,c) .5; r1: b joins c at x1y2: 1, 1, 0; r2: no moves; r3: 1, 1, .5.
    assert_close(metrics_of(trace)["view_diversity"], [FIVE_SIXTHS, 2 / 3, 2 / 3, FIVE_SIXTHS])
    assert_close(metrics_of(dialogue().end(None))["view_diversity"], [FIVE_SIXTHS])


def test_candidate_spread_without_variety() -> None:
    flat = {"candidates": 1, "std": {"a": 0.0, "b": 0.0, "c": 0.0}, "range": {"a": 0.0, "b": 0.0, "c": 0.0},
            "weight": {"a": None, "b": None, "c": None}}
    assert metrics_of(dialogue().say("b", o("x2y2"), accepts=False).end(None))["candidate_spread"] == flat
    empty = Dialogue(GAME, "a", None, OPENING_VIEWS).say("b", o("x2y2")).end(None)
    assert metrics_of(empty)["candidate_spread"] == {**flat, "candidates": 0}
