"""The literature's mediators (issue 13, item 4): Schulze and Borda elections, the Kalai-Smorodinsky point, the
DVAO-weighted mediator and the dialectical mediator, each with its card.

- Schulze and Borda mediators elect as the published methods do (the methods themselves: tests/social_choice), and
  tell apart on a profile where they disagree, weighted by population shares;
- the Kalai-Smorodinsky mediator proposes the oracle's own KS point (dialectic.oracles.kalai_smorodinsky) and a
  brute-force one over the space;
- the dialectical mediator reaches `reconciled` with max-min regret <= 0.01 on the shipped discrete games, its
  suggestions are public and readable, and a receptive agent refuses a suggestion its reward model rejects;
- every new card gives a verdict on harbour-sport-park.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dialectic.dialogue import MEDIATOR, Move, Observation, PublicGame, Said, Table
from dialectic.game import Game
from dialectic.oracles import OracleProblem, kalai_smorodinsky
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario, load_scenario
from dialectic.social_choice import borda, schulze
from dialectic.strategies import load_card, mediators, policies
from dialectic.strategies._suggestions import read_suggestions, write_suggestions
from dialectic.strategies.mediators._chosen import ballots, passing, shares, shortlist
from dialectic.strategies.mediators.dvao import issue_weights
from dialectic.strategies.mediators.kalai_smorodinsky import ks_scores
from tests.conftest import IMPORTED_GAMES, SCENARIOS

NEW_CARDS = ["schulze", "borda", "kalai-smorodinsky", "dvao-mediator", "dialectical-mediator"]


def _run(scenario: str | Scenario, card: str, tmp_path: Path, seed: int = 0) -> Any:
    path = SCENARIOS / f"{scenario}.yaml" if isinstance(scenario, str) else scenario
    return run_dialogue(path, card, seed=seed, out=tmp_path)


def test_the_cards_and_registrations_exist() -> None:
    for name in ("schulze", "borda", "kalai-smorodinsky", "dvao", "dialectical"):
        assert name in mediators
    assert "receptive" in policies
    for card in NEW_CARDS:
        loaded = load_card(card)
        assert loaded.protocol == "mediated" and loaded.mediator is not None and not loaded.needs_chat
    assert load_card("dialectical-mediator").mutual_tolerance


@pytest.mark.parametrize("card", NEW_CARDS)
def test_every_new_card_gives_a_verdict_on_harbour_sport_park(card: str, tmp_path: Path) -> None:
    result = _run("harbour-sport-park", card, tmp_path)
    evaluation = result.evaluation
    assert evaluation is not None
    # mediators choose among outcomes that pass the rule honestly: a settlement, never a false agreement
    assert evaluation.label in {"reconciled", "settled", "outvoted"}, evaluation.label
    assert not evaluation.false_agreement
    assert evaluation.maxmin_regret >= -1e-9


# -- elections -----------------------------------------------------------------------------------------------


def _three_options(majority_share: float = 0.6) -> Scenario:
    """One issue with three options; the majority ranks A > B > C, the minority B > C > A; every outcome passes.
    Head to head A beats B (Schulze: A); Borda: A 2 * 0.6 = 1.2, B 0.6 + 2 * 0.4 = 1.4 (Borda: B)."""
    return Scenario.model_validate({
        "name": "three-options",
        "space": {"issues": [{"id": "P", "options": ["A", "B", "C"]}]},
        "groups": [
            {"id": "majority", "share": majority_share, "reward": {"kind": "additive", "points": {"P": [2, 1, 0]}},
             "reservation": 0},
            {"id": "minority", "share": round(1 - majority_share, 6),
             "reward": {"kind": "additive", "points": {"P": [0, 2, 1]}}, "reservation": 0},
        ],
        "rounds": 4,
        "opening": {"speaker": "majority", "proposal": {"P": "C"}},
    })


def test_schulze_and_borda_mediators_elect_as_their_methods(tmp_path: Path) -> None:
    scenario = _three_options()
    schulze_result = _run(scenario, "schulze", tmp_path)
    borda_result = _run(scenario, "borda", tmp_path)
    assert schulze_result.trace.end.settlement == {"P": "A"}  # A: the Condorcet winner
    assert borda_result.trace.end.settlement == {"P": "B"}  # B: the Borda winner
    # the population shares are the weights: with a minority of 0.2, Borda too elects A (2 * .8 > .8 + .4)
    assert _run(_three_options(0.8), "borda", tmp_path).trace.end.settlement == {"P": "A"}


@pytest.mark.parametrize("game", IMPORTED_GAMES)
@pytest.mark.parametrize("card", ["schulze", "borda"])
def test_the_settlement_is_a_winner_of_the_election_over_the_shortlist(game: str, card: str, tmp_path: Path) -> None:
    scenario = SCENARIOS / f"{game}.yaml"
    built = Game(load_scenario(scenario))
    candidates = shortlist(built, passing(built), 64)
    method = schulze if card == "schulze" else borda
    result = method(ballots(built, candidates), shares(built))
    winners = {built.space.at(int(candidates[w])) for w in result.winners}
    settlement = built.space.parse(_run(game, card, tmp_path).trace.end.settlement)
    assert settlement in winners
    assert built.honest_pass[built.space.index(settlement)]


def test_the_shortlist_keeps_every_groups_favourites() -> None:
    built = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    candidates = passing(built)
    assert len(candidates) > 12
    short = shortlist(built, candidates, 12)
    assert len(short) <= 12 and set(short) <= set(candidates.tolist())
    for row in built.utility_matrix:
        assert row[short].max() == pytest.approx(row[candidates].max())
    assert shortlist(built, candidates, len(candidates)) is candidates


# -- Kalai-Smorodinsky -------------------------------------------------------------------------------------------

KS_GAMES = [*IMPORTED_GAMES, "river-basin-three", "seven-party", "majority-51-49"]


@pytest.mark.parametrize("game", KS_GAMES)
def test_kalai_smorodinsky_proposes_the_oracles_ks_point(game: str, tmp_path: Path) -> None:
    built = Game(load_scenario(SCENARIOS / f"{game}.yaml"))
    oracle = kalai_smorodinsky(OracleProblem.from_game(built))
    assert oracle.outcome is not None and oracle.status == "exact"
    settlement = built.space.parse(_run(game, "kalai-smorodinsky", tmp_path).trace.end.settlement)
    # brute force over the whole space: the set every group accepts, its ideal point, the max-min ratio
    everyone = np.flatnonzero(built.honest_accepts.all(axis=0))
    u, rho = built.utility_matrix, built.reservations
    ideal = u[:, everyone].max(axis=1)
    rows = ideal - rho > 1e-9
    ratio = ((u[rows][:, everyone] - rho[rows, None]) / (ideal[rows] - rho[rows])[:, None]).min(axis=0)
    k = built.space.index(settlement)
    mine = ks_scores(u[:, everyone], rho)[0][list(everyone).index(k)]
    assert mine == pytest.approx(oracle.value, abs=1e-9)
    assert mine == pytest.approx(ratio.max(), abs=1e-9)
    np.testing.assert_allclose(oracle.info["ideal"], ideal, atol=1e-9)
    assert settlement == oracle.outcome or mine == pytest.approx(oracle.value)


# -- DVAO --------------------------------------------------------------------------------------------------------


def test_dvao_weights_issues_by_the_spread_of_stated_positions() -> None:
    built = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    n = built.space.n_issues
    same = [built.space.at(0)] * len(built.group_ids)
    np.testing.assert_allclose(issue_weights(built, same), np.full(n, 1 / n))  # nobody disagrees: uniform
    # positions that differ on the first issue only: it carries all the weight
    views = [(k % int(built.space.radix[0]), *built.space.at(0)[1:]) for k in range(len(built.group_ids))]
    weights = issue_weights(built, views)
    assert weights[0] == pytest.approx(1.0) and np.allclose(weights[1:], 0)
    opening = [built.opening_view(g) for g in built.group_ids]
    weights = issue_weights(built, opening)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()


# -- the dialectical mediator --------------------------------------------------------------------------------------


@pytest.mark.parametrize("game", IMPORTED_GAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dialectical_mediator_reconciles_at_the_oracle(game: str, seed: int, tmp_path: Path) -> None:
    evaluation = _run(game, "dialectical-mediator", tmp_path, seed).evaluation
    assert evaluation is not None
    assert evaluation.label == "reconciled", evaluation.label
    assert evaluation.maxmin_regret <= 0.01
    assert evaluation.compatible_views and not evaluation.false_agreement
    assert len({tuple(v.values()) for v in evaluation.final_views.values()}) > 1  # views not identical


@pytest.mark.parametrize("scenario", ["harbour-sport-park", "budget-split", "polis-brexit-consensus"])
def test_suggestions_read_back_from_the_utterance(scenario: str) -> None:
    built = Game(load_scenario(SCENARIOS / f"{scenario}.yaml"))
    picks = {g: built.space.at(int(k)) for g, k in zip(built.group_ids, [0, built.space.size - 1, 1], strict=False)}
    text = "Some words first. " + write_suggestions(built.space, picks)
    assert read_suggestions(built.space, text) == picks
    assert read_suggestions(built.space, "no suggestion here") == {}
    assert read_suggestions(built.space, "Suggested views: {not json") == {}
    assert write_suggestions(built.space, {}) == ""


def test_the_mediators_first_move_suggests_views_every_group_tolerates(tmp_path: Path) -> None:
    result = _run("harbour-sport-park", "dialectical-mediator", tmp_path)
    built = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    first = result.trace.moves[0]
    assert first.speaker == MEDIATOR
    suggested = read_suggestions(built.space, first.utterance)
    assert suggested
    for group, view in suggested.items():
        assert built.honest_accepts[:, built.space.index(view)].all()
        row = built.group_ids.index(group)
        everyone = built.honest_accepts.all(axis=0)
        assert built.utility_matrix[row, built.space.index(view)] == pytest.approx(built.utility_matrix[row, everyone].max())


def test_a_receptive_agent_refuses_a_suggestion_its_reward_model_rejects() -> None:
    built = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    public = PublicGame.of(built)
    me = built.group_ids[0]
    utility = built.utilities[me]
    values = utility.values
    bad = built.space.at(int(np.argmin(values)))
    good = built.space.at(int(np.flatnonzero(utility.acceptable)[-1]))
    assert not utility.accepts(bad) and utility.accepts(good)
    views = {g: built.opening_view(g) for g in built.group_ids}
    table = Table.opening(views, built.opening.speaker, built.opening.proposal)

    def answer(agent: Any, suggestion: tuple[int, ...], turn: int, record: list[Said]) -> Move:
        words = write_suggestions(built.space, {me: suggestion})
        record.append(Said(turn, 1, Move(speaker=MEDIATOR, view=built.opening.proposal, utterance=words), None))
        obs = Observation(me, utility, public, table, tuple(record), turn + 1, 1, np.random.default_rng(0))
        move = agent.act(obs)
        assert isinstance(move, Move)
        return move

    agent = policies.get("receptive").build(None, me, utility, public)
    record: list[Said] = []
    refused = answer(agent, bad, 1, record)
    assert refused.view == views[me] and "decline" in refused.utterance
    taken = answer(agent, good, 3, record)
    assert taken.view == good and "take up" in taken.utterance


@pytest.mark.parametrize("card", NEW_CARDS)
def test_with_no_passing_outcome_the_mediator_says_so_and_the_run_is_an_impasse(card: str, tmp_path: Path) -> None:
    from tests.strategies.test_mediator_no_passing_outcome import no_deal

    result = _run(Scenario.model_validate(no_deal()), card, tmp_path)
    assert [m.speaker for m in result.trace.moves] == [MEDIATOR]
    assert result.trace.moves[0].proposal is None and "propose nothing" in result.trace.moves[0].utterance
    assert result.evaluation is not None and result.evaluation.label == "impasse"
