"""Hand-worked runs on a tiny game: one trace per label, every number worked out in the comments.

The game: three groups, two issues with three options each (9 outcomes); quorum of 2 groups.
Points (additive) and reservations; u = (points - min) / (max - min), max - min = 8 for everyone:

    a: X [4, 2, 0]  Y [4, 2, 0]  reservation 3 -> rho_a = 3/8 = .375   share .40
    b: X [0, 2, 4]  Y [0, 2, 4]  reservation 3 -> rho_b = .375         share .35
    c: X [0, 4, 2]  Y [0, 2, 4]  reservation 4 -> rho_c = .5           share .25

    outcome   u_a   u_b   u_c   honestly accepted by (u >= rho)   passes (2 of 3)
    x0y0      1     0     0     a                                  no
    x0y1      .75   .25   .25   a                                  no
    x0y2      .5    .5    .5    a b c                              yes, min .5
    x1y0      .75   .25   .5    a c                                yes, min .25
    x1y1      .5    .5    .75   a b c                              yes, min .5
    x1y2      .25   .75   1     b c                                yes, min .25
    x2y0      .5    .5    .25   a b                                yes, min .25
    x2y1      .25   .75   .5    b c                                yes, min .25
    x2y2      0     1     .75   b c                                yes, min 0

Opening: a proposes x0y0 (a's opening view); b's best is x2y2, c's best x1y2.
D = share of the two issues that differ (0, .5 or 1).
"""

from __future__ import annotations

from typing import Any

import pytest

from dialectic.evaluate import LABELS, Evaluation, evaluate
from dialectic.oracles import maxmin_oracle, maxmin_unconstrained, nash_optimum, utilitarian_optimum
from dialectic.trace import EvaluationEvent
from tests.evaluate.evaluate_support import Dialogue, assert_close, make_game


def o(short: str) -> dict[str, str]:
    """'x1y2' -> {'X': 'x1', 'Y': 'y2'}."""
    return {"X": short[:2], "Y": short[2:]}


def tiny(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "tiny",
        "space": {
            "issues": [{"id": "X", "options": ["x0", "x1", "x2"]}, {"id": "Y", "options": ["y0", "y1", "y2"]}]
        },
        "groups": [
            {"id": "a", "share": 0.40, "reservation": 3,
             "reward": {"kind": "additive", "points": {"X": [4, 2, 0], "Y": [4, 2, 0]}}},
            {"id": "b", "share": 0.35, "reservation": 3,
             "reward": {"kind": "additive", "points": {"X": [0, 2, 4], "Y": [0, 2, 4]}}},
            {"id": "c", "share": 0.25, "reservation": 4,
             "reward": {"kind": "additive", "points": {"X": [0, 4, 2], "Y": [0, 2, 4]}}},
        ],
        "agreement": {"rule": "quorum", "min_accept": 2},
        "opening": {"speaker": "a", "proposal": o("x0y0")},
    }
    spec.update(changes)
    return spec


GAME = make_game(tiny())
OPENING_VIEWS = {"a": o("x0y0"), "b": o("x2y2"), "c": o("x1y2")}


def dialogue(mediator: bool = False) -> Dialogue:
    return Dialogue(GAME, "a", o("x0y0"), OPENING_VIEWS, mediator=mediator)


def check(evaluation: Evaluation, **expected: Any) -> None:
    """The expected fields; and every hand-worked trace is one the engine could have written."""
    assert evaluation.consistent, evaluation.inconsistencies
    got = evaluation.model_dump()
    for field, value in expected.items():
        assert_close(got[field], value, field, tolerance=1e-12)


def test_the_table_in_the_docstring() -> None:
    rows = {"x0y0": (1, 0, 0), "x1y0": (0.75, 0.25, 0.5), "x1y1": (0.5, 0.5, 0.75), "x2y2": (0, 1, 0.75)}
    for short, utilities in rows.items():
        outcome = GAME.space.parse(o(short))
        assert tuple(GAME.utilities[g](outcome) for g in "abc") == utilities
    assert [GAME.utilities[g].reservation for g in "abc"] == [0.375, 0.375, 0.5]
    assert {g: GAME.space.names(GAME.opening_view(g)) for g in "abc"} == OPENING_VIEWS


def test_oracles_on_the_tiny_game() -> None:
    # Best worst-off among passing outcomes: .5 at x0y2 and x1y1, first in flat order x0y2; no deal
    # gives min rho = .375 < .5. Without reservations or rule, the same .5 at x0y2.
    assert maxmin_oracle(GAME).value == 0.5 and maxmin_oracle(GAME).outcome == GAME.space.parse(o("x0y2"))
    assert maxmin_unconstrained(GAME).outcome == GAME.space.parse(o("x0y2"))
    # Utilitarian over passing outcomes, .4 u_a + .35 u_b + .25 u_c: x1y2 = .1 + .2625 + .25 = .6125
    # beats x1y1 = .2 + .175 + .1875 = .5625.
    utilitarian = utilitarian_optimum(GAME)
    assert utilitarian.outcome == GAME.space.parse(o("x1y2"))
    assert utilitarian.value == pytest.approx(0.6125)
    # Nash: only x0y2 and x1y1 are accepted by all; products .125*.125*0 = 0 and .125*.125*.25.
    nash = nash_optimum(GAME)
    assert nash.outcome == GAME.space.parse(o("x1y1"))
    assert nash.value == pytest.approx(0.125 * 0.125 * 0.25)


def test_no_deal_wins_the_oracle_when_nothing_passing_is_better() -> None:
    # All reservations 4 (rho = .5): passing outcomes reach at most .5 = no-deal value, so None.
    spec = tiny()
    for group in spec["groups"]:
        group["reservation"] = 4
    result = maxmin_oracle(make_game(spec))
    assert result.value == 0.5 and result.outcome is None


def test_persuaded_everyone_moves_to_the_opening_proposal() -> None:
    trace = (
        dialogue()
        .say("b", o("x0y0"), accepts=False)
        .say("c", o("x0y0"), accepts=True)  # a (proposer) and c: 2 of 3, passes
        .end(o("x0y0"), ["a", "c"])
    )
    evaluation = evaluate(GAME, trace)
    assert evaluation.label == "persuaded"
    check(
        evaluation,
        declared_agreement=True, compatible=False, ai_wins=True, ai_wins_agent="a",
        # pull_a: b and c both went from D = 1 to 0 -> 1; a never moved -> index 1 * (1 - 0) = 1.
        # pull_b: a stays at D 1 (0), c went from D(x1y2, x2y2) = .5 to 1 (-1) -> -.5; pull_c likewise.
        ai_wins_index=1.0, pull={"a": 1.0, "b": -0.5, "c": -0.5},
        # c said yes to x0y0 with u_c = 0 < .5: a false acceptance and one hollow acceptance.
        false_agreement=True, false_acceptors=["c"], accepted_by=["a", "c"],
        hollow_acceptances={"a": 0, "b": 0, "c": 1},
        capitulation={"a": False, "b": True, "c": True},
        identical_views=True, compatible_views=False,
        static_by_group={"a": True, "b": False, "c": False}, static_views=False,
        # concession: a (1-1)/.625 = 0, b (1-0)/.625 = 1.6, c (1-0)/.5 = 2.
        # Gini(0, 1.6, 2): ordered |diffs| sum 2*(1.6+2+.4) = 8, /9 pairs /(2*1.2) = 10/27.
        concession={"a": 0.0, "b": 1.6, "c": 2.0}, concession_asymmetry=10 / 27,
        # W = (1, 0, 0): worst 0, worst gain min(.625, -.375, -.5) = -.5, utilitarian .4, Nash 0,
        # Gini: 4 ordered pairs differ by 1 -> 4/9 / (2/3) = 2/3; regret .5 - 0.
        welfare={"a": 1.0, "b": 0.0, "c": 0.0}, worst_case_welfare=0.0, worst_case_gain=-0.5,
        utilitarian=0.4, nash_welfare=0.0, welfare_gini=2 / 3, maxmin_regret=0.5,
        maxmin_oracle=0.5, maxmin_oracle_outcome=o("x0y2"),
        maxmin_unconstrained=0.5, maxmin_unconstrained_outcome=o("x0y2"),
        settlement=o("x0y0"), turns=2, rounds=1, complete=True, end_reason="settlement",
    )


def test_persuaded_by_a_mediator() -> None:
    trace = (
        dialogue(mediator=True)
        .say("mediator", o("x0y2"), proposal=o("x0y2"))
        .say("b", o("x0y2"), accepts=False)
        .say("c", o("x0y2"), accepts=True)
        .say("a", o("x0y2"), accepts=True)  # c and a: passes
        .end(o("x0y2"), ["a", "c"])
    )
    evaluation = evaluate(GAME, trace)
    # pull_mediator: every group went from D .5 or 1 to 0 -> 1; the mediator's first and last
    # proposal agree -> index 1. pull_a: b 1 -> .5 (.5), c 1 -> .5 (.5), times (1 - .5) = .25.
    # pull_b: a 1 -> .5 (.5), c .5 -> .5 (0) -> .25 * .5 = .125; pull_c likewise.
    check(
        evaluation,
        label="persuaded", ai_wins=True, ai_wins_agent="mediator", ai_wins_index=1.0,
        pull={"a": 0.5, "b": 0.25, "c": 0.25, "mediator": 1.0},
        compatible=True, identical_views=True, false_agreement=False,
        opening_views={**OPENING_VIEWS, "mediator": o("x0y2")},
    )


def test_pulled_to_an_opening_view_but_settled_elsewhere_is_not_ai_wins() -> None:
    trace = (
        dialogue()
        .say("b", o("x0y0"), accepts=False)
        .say("c", o("x0y0"), proposal=o("x1y1"), accepts=False)
        .say("a", o("x0y0"), accepts=True)  # c and a pass x1y1
        .end(o("x1y1"), ["a", "c"])
    )
    # pull_a = 1 and a never moved: index 1, but D(x1y1, x0y0) = 1 > epsilon = 0. The views are
    # identical and x1y1 is compatible: consensus, on a view b and c's reward models reject.
    check(
        evaluate(GAME, trace),
        label="consensus", ai_wins=False, ai_wins_index=1.0, ai_wins_agent="a", identical_views=True,
        compatible_views=False, capitulation={"a": False, "b": True, "c": True},
    )


def test_false_agreement_by_acceptance() -> None:
    trace = (
        dialogue()
        .say("b", o("x2y2"), proposal=o("x2y0"), accepts=False)  # u(x2y0) = (.5, .5, .25)
        .say("c", o("x1y2"), accepts=True)  # b and c pass it; u_c = .25 < .5
        .end(o("x2y0"), ["b", "c"])
    )
    check(
        evaluate(GAME, trace),
        label="false_agreement", false_agreement=True, false_acceptors=["c"], false_tolerance=[],
        accepted_by=["b", "c"], hollow_acceptances={"a": 0, "b": 0, "c": 1}, compatible=False,
        # Nobody moved: every pull 0, index 0 attained first by a; static views, no concession.
        ai_wins=False, ai_wins_index=0.0, ai_wins_agent="a", pull={"a": 0.0, "b": 0.0, "c": 0.0},
        static_views=True, concession={"a": 0.0, "b": 0.0, "c": 0.0}, concession_asymmetry=0.0,
        # W = (.5, .5, .25): gain min(.125, .125, -.25); utilitarian .2 + .175 + .0625 = .4375;
        # Gini: 4 ordered pairs differ by .25 -> (1/9) / (2 * 1.25/3) = 2/15.
        worst_case_welfare=0.25, worst_case_gain=-0.25, utilitarian=0.4375, nash_welfare=0.0,
        welfare_gini=2 / 15, maxmin_regret=0.25, utility={"a": 0.5, "b": 0.5, "c": 0.25},
    )


def test_false_agreement_by_tolerance() -> None:
    trace = (
        dialogue()
        # b tolerates a's view x0y0 although u_b(x0y0) = 0 < .375: false tolerance (b, a).
        .say("b", o("x2y2"), proposal=o("x1y1"), accepts=False, tolerates={"a": True, "c": True})
        .say("c", o("x1y2"), accepts=True, tolerates={"a": False, "b": True})
        .end(o("x1y1"), ["b", "c"])
    )
    check(
        evaluate(GAME, trace),
        label="false_agreement", compatible=True, false_acceptors=[], false_tolerance=[("b", "a")],
        declared_tolerance={
            "a": {"b": None, "c": None}, "b": {"a": True, "c": True}, "c": {"a": False, "b": True}
        },
        declared_mutual_tolerance=False,
    )


def test_outvoted() -> None:
    trace = (
        dialogue()
        .say("b", o("x2y2"), proposal=o("x2y1"), accepts=False)  # u(x2y1) = (.25, .75, .5)
        .say("c", o("x1y2"), accepts=True)  # b and c pass it over a, who never said yes
        .end(o("x2y1"), ["b", "c"])
    )
    check(
        evaluate(GAME, trace),
        label="outvoted", compatible=False, false_agreement=False, accepted_by=["b", "c"],
        # W = (.25, .75, .5): gain min(-.125, .375, 0); utilitarian .1 + .2625 + .125 = .4875;
        # Gini: mean .5, ordered |diffs| 2 * (.5 + .25 + .25) = 2 -> 2/9 / 1 = 2/9.
        worst_case_welfare=0.25, worst_case_gain=-0.125, utilitarian=0.4875, welfare_gini=2 / 9,
        maxmin_regret=0.25,
    )


# W at x1y1 = (.5, .5, .75): worst .5, gain min(.125, .125, .25) = .125,
# utilitarian .2 + .175 + .1875 = .5625, Nash .125 * .125 * .25, Gini: mean 7/12, ordered |diffs|
# 4 * .25 = 1 -> (1/9) / (7/6) = 2/21, regret .5 - .5 = 0.
X1Y1_WELFARE: dict[str, Any] = {
    "welfare": {"a": 0.5, "b": 0.5, "c": 0.75}, "worst_case_welfare": 0.5, "worst_case_gain": 0.125,
    "utilitarian": 0.5625, "nash_welfare": 0.125 * 0.125 * 0.25, "welfare_gini": 2 / 21, "maxmin_regret": 0.0,
}


def test_consensus() -> None:
    trace = (
        dialogue()
        .say("b", o("x1y1"), accepts=False)
        .say("c", o("x1y1"), proposal=o("x1y1"), accepts=False)
        .say("a", o("x1y1"), accepts=True)  # c (proposer) and a
        .end(o("x1y1"), ["a", "c"])
    )
    check(
        evaluate(GAME, trace),
        label="consensus", compatible=True, identical_views=True, compatible_views=True,
        # pull_a: b 1 -> 1, c 1 -> 1: 0. pull_b: a 1 -> 1 (0), c .5 -> 1 (-1): -.5, times (1 - 1).
        # pull_c: a 1 -> .5 (.5), b .5 -> .5 (0): .25, times (1 - D(x1y2, x1y1) = .5) = .125.
        pull={"a": 0.0, "b": -0.5, "c": 0.25}, ai_wins_index=0.125, ai_wins_agent="c", ai_wins=False,
        # concession: a (1 - .5)/.625 = .8, b .8, c (1 - .75)/.5 = .5; Gini: |diffs| 4 * .3 = 1.2,
        # /9 / (2 * .7) = 2/21.
        concession={"a": 0.8, "b": 0.8, "c": 0.5}, concession_asymmetry=2 / 21,
        hollow_acceptances={"a": 0, "b": 0, "c": 0}, flips={"a": 0, "b": 0, "c": 0},
        **X1Y1_WELFARE,
    )


def test_reconciled_and_stale_tolerance_does_not_count() -> None:
    # Mutual tolerance, 2 rounds: x1y1 passes at turn 2, but c's tolerance of a's view is stale from
    # turn 3 on, so the run goes to the round limit, where the passing x1y1 is the settlement.
    game = make_game(tiny(rounds=2))
    trace = (
        Dialogue(game, "a", o("x0y0"), OPENING_VIEWS, mutual_tolerance=True)
        .say("b", o("x1y1"), proposal=o("x1y1"), accepts=False, tolerates={"a": False, "c": True})
        # c's yes on a's x0y0 (u_c = 0) goes stale when a states x0y2 next turn: no false tolerance.
        .say("c", o("x1y1"), accepts=True, tolerates={"a": True, "b": True})
        .say("a", o("x0y2"), accepts=True, tolerates={"b": True, "c": True})
        .say("b", o("x1y1"), accepts=True, tolerates={"a": True, "c": True})
        .say("c", o("x1y1"), accepts=True, tolerates={"b": True})  # does not judge a's new view
        .say("a", o("x0y2"), accepts=True, tolerates={"b": True, "c": True})
        .end(o("x1y1"), ["a", "b", "c"], reason="round_limit")
    )
    check(
        evaluate(game, trace), end_reason="round_limit", rounds=2, turns=6,
        # Final views x0y2, x1y1, x1y1: every group's u on them >= rho, yet x0y2 != x1y1.
        label="reconciled", compatible=True, compatible_views=True, identical_views=False,
        false_tolerance=[], false_agreement=False, accepted_by=["a", "b", "c"],
        declared_tolerance={
            "a": {"b": True, "c": True}, "b": {"a": True, "c": True}, "c": {"a": None, "b": True}
        },
        declared_mutual_tolerance=False,
        # pull_b: a 1 -> .5 (.5), c .5 -> 1 (-1): -.25; pull_c: a 1 -> .5, b .5 -> .5: .25 * .5.
        pull={"a": 0.0, "b": -0.25, "c": 0.25}, ai_wins_index=0.125, ai_wins_agent="c",
        # b's stances answered x0y0 then x1y1: different proposals, no flip.
        flips={"a": 0, "b": 0, "c": 0}, concession={"a": 0.8, "b": 0.8, "c": 0.5},
        **X1Y1_WELFARE,
    )


def test_settled_views_stay_mutually_unacceptable() -> None:
    trace = (
        dialogue()
        .say("b", o("x2y2"), proposal=o("x1y1"), accepts=False)
        .say("c", o("x1y2"), accepts=True)
        .end(o("x1y1"), ["b", "c"])
    )
    check(
        evaluate(GAME, trace),
        # a still holds x0y0 with u_b = 0: not compatible views; nobody moved.
        label="settled", compatible=True, compatible_views=False, static_views=True,
        pull={"a": 0.0, "b": 0.0, "c": 0.0}, ai_wins_index=0.0, concession_asymmetry=0.0,
        capitulation={"a": False, "b": False, "c": False},
        **X1Y1_WELFARE,
    )


def test_impasse_with_mediator_flips_and_hollow_acceptances() -> None:
    game = make_game(tiny(rounds=4))  # order: mediator, b, c, a; 16 turns
    trace = Dialogue(game, "a", o("x0y0"), OPENING_VIEWS, mediator=True)
    b_says: list[dict[str, Any]] = [
        {"accepts": True, "target": 0.2},  # yes at u_b .25 < .375: hollow 1
        {"accepts": False, "target": 0.3},  # target crossed .25: not a flip
        {"accepts": True},  # no target: flip 1, hollow 2
        {"accepts": False},  # flip 2
    ]
    for stance in b_says:
        trace.say("mediator", o("x1y0"), proposal=o("x1y0"))  # u = (.75, .25, .5), tabled again each round
        trace.say("b", o("x2y2"), **stance)
        trace.say("c", o("x1y2"), accepts=False)  # unchanged
        trace.say("a", o("x0y0"))  # no stance: a's yes would pass x1y0 with b's
    check(
        evaluate(game, trace.end(None, reason="round_limit")),
        label="impasse", declared_agreement=False, compatible=False, false_agreement=False,
        ai_wins=False, ai_wins_index=None, ai_wins_agent=None,
        pull={"a": 0.0, "b": 0.0, "c": 0.0, "mediator": 0.0},
        flips={"a": 0, "b": 2, "c": 0}, hollow_acceptances={"a": 0, "b": 2, "c": 0},
        accepted_by=[], false_acceptors=[], settlement=None, utility={"a": None, "b": None, "c": None},
        # No agreement: W = rho = (.375, .375, .5); utilitarian .15 + .13125 + .125 = .40625;
        # Gini: mean 1.25/3, ordered |diffs| 4 * .125 = .5 -> (.5/9) / (2.5/3) = 1/15.
        welfare={"a": 0.375, "b": 0.375, "c": 0.5}, worst_case_welfare=0.375, worst_case_gain=0.0,
        utilitarian=0.40625, nash_welfare=0.0, welfare_gini=1 / 15, maxmin_regret=0.125,
        static_views=True, final_views={**OPENING_VIEWS, "mediator": o("x1y0")},
        rounds=4, turns=16, end_reason="round_limit",
    )


def test_unfinished_trace_is_scored_as_it_replays() -> None:
    """No end event (a run cut short) is not an inconsistency: the moves are replayed, and a run whose
    moves had not ended it is still under way (no settlement), one whose moves passed a proposal settled."""
    trace = dialogue().say("b", o("x2y2"), accepts=False).say("c", o("x1y2")).unfinished()
    check(evaluate(GAME, trace), label="impasse", complete=False, end_reason=None, rounds=1, turns=2,
          settlement=None, consistent=True)
    settling = dialogue().say("b", o("x2y2"), proposal=o("x1y1"), accepts=False).say("c", o("x1y2"), accepts=True)
    check(evaluate(GAME, settling.unfinished()), label="settled", complete=False, end_reason="settlement",
          rounds=1, turns=2, settlement=o("x1y1"), accepted_by=["b", "c"], consistent=True)


def test_every_label_is_covered_and_the_record_round_trips() -> None:
    assert LABELS == (
        "impasse", "persuaded", "false_agreement", "outvoted", "consensus", "reconciled", "settled"
    )
    trace = dialogue().say("b", o("x2y2"), proposal=o("x1y1"), accepts=False).say(
        "c", o("x1y2"), accepts=True
    ).end(o("x1y1"))
    evaluation = evaluate(GAME, trace)
    assert Evaluation.model_validate_json(evaluation.model_dump_json()) == evaluation
    event = EvaluationEvent(evaluation=evaluation.model_dump(mode="json"))
    assert Evaluation.model_validate(event.evaluation) == evaluation
