"""The literature's concession policies (issue 13, item 3): tit-for-tat mirrors the others' concessions in its
own utility, Zeuthen's agent concedes exactly when its willingness to risk conflict is the lower one, DVAO
weighs issues by the spread of public positions; every card runs on the shipped games and keeps the boundary."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from dialectic.conformance import check_strategy
from dialectic.dialogue import Move, Observation, PublicGame, Said, Table
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario, load_scenario
from dialectic.space import Outcome
from dialectic.strategies import load_card, policies
from dialectic.strategies.rational.literature import (
    DVAO,
    TitForTat,
    TitForTatParams,
    Zeuthen,
    issue_importance,
    public_spread,
)
from tests.conftest import SCENARIOS

HARBOUR = SCENARIOS / "harbour-sport-park.yaml"
CARDS = ["tit-for-tat", "zeuthen", "dvao"]
LABELS = {"impasse", "persuaded", "false_agreement", "outvoted", "consensus", "reconciled", "settled"}


class Dialogue:
    """A hand-built public record for one agent of a game: moves are appended as others would make them."""

    def __init__(self, game: Game, me: str):
        self.game, self.me = game, me
        self.public = PublicGame.of(game)
        opening = self.public.opening
        self.table = Table.opening(self.public.opening_views, opening.speaker, opening.proposal)
        self.record: list[Said] = []

    def say(self, speaker: str, proposal: Outcome | None = None) -> None:
        """`speaker` restates its view and, optionally, tables a proposal (no stance: answers nothing)."""
        turn = len(self.record) + 1
        move = Move(speaker=speaker, view=self.table.views[speaker], proposal=proposal)
        self.record.append(Said(turn, self.round(turn), move, self.table.proposal))
        self.table = self.table.apply(move, turn)

    def round(self, turn: int) -> int:
        return (turn - 1) // len(self.public.group_ids) + 1

    def observe(self) -> Observation:
        turn = len(self.record) + 1
        return Observation(self.me, self.game.utilities[self.me], self.public, self.table, tuple(self.record), turn,
                           self.round(turn), np.random.default_rng(0))


# -- tit-for-tat ---------------------------------------------------------------------------------------------


def _tft(game: Game, me: str, backstop: float | None = None) -> TitForTat:
    spec = policies.get("tit-for-tat")
    agent = spec.build(TitForTatParams(backstop_exponent=backstop), me, game.utilities[me], PublicGame.of(game))
    assert isinstance(agent, TitForTat)
    return agent


def test_tit_for_tat_concedes_nothing_while_the_others_hold_and_mirrors_a_concession() -> None:
    game = Game(load_scenario(HARBOUR))
    me, u = "mayor", game.utilities["mayor"]
    agent, talk = _tft(game, me), Dialogue(game, me)
    others = [g for g in game.group_ids if g != me]
    for _ in range(3):  # three rounds in which every other group only restates its position
        for g in others:
            talk.say(g)
        move = agent.act(talk.observe())
        assert move.target == pytest.approx(1.0)
        assert move.accepts is False  # SportCo's opening proposal (0.76 to the mayor) is below its target
        talk.say(me)
    # other_cities now tables a deal better for the mayor than its view (its best): the mayor mirrors 1/5 of it.
    view = talk.table.views["other_cities"]
    offer = game.space.parse({"A": "A1", "B": "B1", "C": "C1", "D": "D1", "E": "E5"})
    moved = u(offer) - u(view)
    assert moved > 0.5
    talk.say("other_cities", offer)
    move = agent.act(talk.observe())
    assert move.target == pytest.approx(1.0 - moved / len(others))
    assert move.accepts is True  # the offer is the mayor's best
    # A retraction (back to its view) is not mirrored: the target stays.
    talk.say(me)
    talk.say("other_cities", view)
    assert agent.act(talk.observe()).target == pytest.approx(1.0 - moved / len(others))


def test_tit_for_tat_backstop_concedes_near_the_deadline_when_nobody_moves() -> None:
    game = Game(load_scenario(HARBOUR))
    me = "union"
    agent, talk = _tft(game, me, backstop=0.2), Dialogue(game, me)
    rho = game.utilities[me].reservation
    targets: list[float] = []
    for _ in range(game.rounds):
        for g in game.group_ids:
            if g != me:
                talk.say(g)
        move = agent.act(talk.observe())
        assert move.target is not None
        targets.append(move.target)
        talk.say(me)
    assert targets[0] == pytest.approx(1.0) and targets[-1] == pytest.approx(rho)
    k = 18  # the boulware floor in round k + 1: max - (max - rho) t^5, t = k / (rounds - 1)
    t = k / (game.rounds - 1)
    assert targets[k] == pytest.approx(1.0 - (1.0 - rho) * t**5, abs=1e-9)
    assert all(a >= b for a, b in itertools.pairwise(targets))


# -- Zeuthen -------------------------------------------------------------------------------------------------

#: Two groups with opposed utilities on one issue (u_b = 1 - u_a after normalisation): Zeuthen's estimate of the
#: other's risk is then exact, so the policy must follow Zeuthen's rule itself.
A_POINTS = [10, 9, 8, 6, 3, 1, 0]


def _two_party() -> Scenario:
    options = [f"o{k}" for k in range(len(A_POINTS))]
    group = {"share": 0.5, "reservation": 1, "persona": ""}
    return Scenario.model_validate({
        "name": "two-party-opposed", "description": "Two groups with opposed utilities on one issue.",
        "space": {"kind": "discrete", "issues": [{"id": "x", "name": "X", "options": options}]},
        "groups": [{**group, "id": "a", "name": "A", "reward": {"kind": "additive", "points": {"x": A_POINTS}}},
                   {**group, "id": "b", "name": "B",
                    "reward": {"kind": "additive", "points": {"x": [10 - p for p in A_POINTS]}}}],
        "rounds": 12, "opening": {"speaker": "a", "proposal": {"x": "o0"}},
    })


def test_zeuthen_the_party_with_the_lower_risk_concedes(tmp_path: Path) -> None:
    scenario = _two_party()
    game = Game(scenario)
    u = game.utilities
    assert np.allclose(u["a"].values + u["b"].values, 1.0)
    result = run_dialogue(scenario, "zeuthen", seed=0, out=tmp_path, game=game)
    level = {"a": 1.0, "b": 1.0}
    offer = {"a": game.space.parse({"x": "o0"}), "b": game.space.parse({"x": f"o{len(A_POINTS) - 1}"})}
    conceded = {"a": 0, "b": 0}
    for move in result.trace.moves:
        me = move.speaker
        other = "b" if me == "a" else "a"
        mine = (level[me] - u[me](offer[other])) / level[me]  # true risks, both utilities known to the test
        theirs = (level[other] - u[other](offer[me])) / level[other]
        assert move.target is not None
        concedes = move.target < level[me] - 1e-9
        assert concedes == (0 < mine <= theirs + 1e-9), (move.turn, me, mine, theirs)
        if concedes:  # by one step of its own ranking
            assert move.target == pytest.approx(max(v for v in u[me].values if v < level[me] - 1e-9))
            conceded[me] += 1
        level[me] = move.target
        if move.proposal is not None:
            proposal = game.space.parse(move.proposal)
            assert u[me](proposal) == pytest.approx(level[me])  # it offers exactly its demand
            offer[me] = proposal
    assert conceded["a"] and conceded["b"]
    assert result.evaluation is not None and result.evaluation.declared_agreement


def test_zeuthen_risk_is_measured_against_the_worst_public_offer_in_its_own_utility() -> None:
    game = Game(load_scenario(HARBOUR))
    me = "mayor"
    agent = policies.get("zeuthen").build(policies.get("zeuthen").params(), me, game.utilities[me], PublicGame.of(game))
    assert isinstance(agent, Zeuthen)
    talk = Dialogue(game, me)
    risks = agent.risks(talk.observe())
    assert risks is not None
    u = game.utilities[me]
    worst = min(u(talk.table.views[g]) if g != "SportCo" else u(game.opening.proposal)
                for g in game.group_ids if g != me)
    b, own, estimated = risks
    assert b == pytest.approx(worst)
    assert own == pytest.approx((1.0 - worst) / 1.0) and estimated == pytest.approx((1.0 - worst) / (1.0 - worst))


# -- DVAO ----------------------------------------------------------------------------------------------------


def test_dvao_public_spread_and_own_importance_by_hand() -> None:
    game = Game(load_scenario(HARBOUR))
    space = game.space
    positions = [(0, 0, 0, 0, 0), (0, 1, 0, 0, 0), (2, 1, 0, 3, 4)]
    # pairs (1,2) (1,3) (2,3): A differs in 2 of 3, B in 2, C in none, D in 2, E in 2
    assert public_spread(space, positions) == pytest.approx([2 / 3, 2 / 3, 0, 2 / 3, 2 / 3])
    assert public_spread(space, positions[:1]) == pytest.approx([0, 0, 0, 0, 0])
    # additive points: the importance is each issue's range over the sum of ranges
    assert issue_importance(game.utilities["mayor"]) == pytest.approx([0.14, 0.12, 0.24, 0.40, 0.10])
    assert issue_importance(game.utilities["enviroment"]) == pytest.approx([0.45, 0.55, 0, 0, 0])
    budget = Game(load_scenario(SCENARIOS / "budget-split.yaml")).space
    a = budget.parse({"parks": 0.05, "transit": 0.2, "housing": 0.65, "safety": 0.1})
    b = budget.parse({"parks": 0.5, "transit": 0.1, "housing": 0.25, "safety": 0.15})
    assert public_spread(budget, [a, b]) == pytest.approx([0.45, 0.1, 0.4, 0.05])


def test_dvao_weights_come_from_the_public_record_and_its_own_importance() -> None:
    game = Game(load_scenario(HARBOUR))
    me = "enviroment"
    spec = policies.get("dvao")
    agent = spec.build(spec.params(), me, game.utilities[me], PublicGame.of(game))
    assert isinstance(agent, DVAO)
    talk = Dialogue(game, me)
    stated = [talk.table.views[g] for g in game.group_ids]  # SportCo's view is its opening proposal
    assert talk.table.views["SportCo"] == game.opening.proposal
    expected = public_spread(game.space, stated) * (1 - np.array([0.45, 0.55, 0, 0, 0]))
    assert agent.weights(talk.observe()) == pytest.approx(expected)
    # A new public proposal changes the spread, and so the weights.
    talk.say("union", game.space.parse({"A": "A3", "B": "B3", "C": "C4", "D": "D4", "E": "E1"}))
    assert not np.allclose(agent.weights(talk.observe()), expected)


def test_dvao_concedes_on_a_contested_issue_that_costs_it_little() -> None:
    """The environmental league cares only for A and B: once its target drops below its best, what it offers
    keeps A3 and B3 and moves C, D and E (free for it) toward the other groups' stated positions."""
    game = Game(load_scenario(HARBOUR))
    me = "enviroment"
    spec = policies.get("dvao")
    agent = spec.build(spec.params(), me, game.utilities[me], PublicGame.of(game))
    talk = Dialogue(game, me)
    for g in game.group_ids:
        if g != me:
            talk.say(g)
    move = agent.act(talk.observe())
    assert move.proposal is not None
    proposal = move.proposal
    assert proposal[:2] == (2, 2)  # A3, B3: its best on the issues it cares about
    others = [talk.table.views[g] for g in game.group_ids if g != me] + [game.opening.proposal]
    for issue in (2, 3, 4):  # each free issue at an option some other group holds in public
        assert proposal[issue] in {p[issue] for p in others}


# -- every card ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["harbour-sport-park.yaml", "budget-split.yaml"])
@pytest.mark.parametrize("card", CARDS)
def test_every_card_runs_and_gets_a_verdict(card: str, scenario: str, tmp_path: Path) -> None:
    assert not load_card(card).needs_chat
    result = run_dialogue(SCENARIOS / scenario, card, seed=0, out=tmp_path)
    assert result.evaluation is not None and result.evaluation.label in LABELS
    assert result.evaluation.worst_case_welfare is not None


@pytest.mark.parametrize("card", CARDS)
def test_every_card_passes_the_conformance_check(card: str) -> None:
    # (every shipped scenario, statement pools included: tests/conformance/test_boundary.py's matrix)
    for scenario in ("harbour-sport-park.yaml", "budget-split.yaml"):
        reports = check_strategy(card, SCENARIOS / scenario, seeds=(0,))
        assert reports and all(r.moves for r in reports)
