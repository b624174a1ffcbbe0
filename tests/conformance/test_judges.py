"""Held-out judges are never visible to agents: changing every judge at random changes no move of any card,
the behavioural boundary check perturbs judges too (its own group's included) and catches a policy that reads
its judge, and the public game an agent is handed has no judge anywhere."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dialectic.conformance import ConformanceError, check_boundary, perturb_others
from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.game import Game
from dialectic.rewards import GroupUtility, build_reward
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario, load_scenario
from dialectic.strategies import card_names, load_card, policy
from tests.conftest import SCENARIOS

CARDS = [name for name in card_names() if not load_card(name).needs_chat]
LEAK = "depends on information the agent may not have"


def _random_judge(scenario: Scenario, rng: np.random.Generator) -> dict[str, Any]:
    space = scenario.space
    if space.kind == "statements":
        return {"kind": "statements", "scores": {s.id: float(rng.uniform(-1, 1)) for s in space.statements}}
    return {"kind": "additive",
            "points": {i.id: [float(p) for p in rng.uniform(0, 10, len(i.options))] for i in space.issues}}


def with_judges(scenario: Scenario, seed: int) -> Scenario:
    """Every group given a random judge (and, for odd seeds, a judge reservation in its range)."""
    rng = np.random.default_rng(seed)
    data = scenario.model_dump(mode="python")
    for group in data["groups"]:
        group["judge"] = _random_judge(scenario, rng)
        if seed % 2:
            values = [v for vs in group["judge"].get("points", {}).values() for v in vs] or list(
                group["judge"].get("scores", {}).values())
            group["judge_reservation"] = float(np.quantile(values, 0.3))
    return Scenario.model_validate(data)


def moves_of(scenario: Scenario, card: str, tmp: Path) -> tuple[list[Any], Any, dict[str, Any]]:
    result = run_dialogue(scenario, card, seed=3, out=tmp)
    assert result.evaluation is not None
    return ([m.model_dump() for m in result.trace.moves], result.trace.end,
            result.evaluation.model_dump(mode="json", exclude={"judged"}))


#: Every rational card on a discrete game; on a statement pool (whose runs embed the pool for the evaluator's
#: embedding metrics, slower) a concession card, the dialectical one and a mediator.
MATRIX = [("harbour-sport-park.yaml", CARDS), ("polis-brexit-consensus.yaml", ["boulware", "dialectical", "max-min"])]


@pytest.mark.parametrize(("name", "cards"), MATRIX)
def test_perturbed_judges_never_change_a_move(name: str, cards: list[str], tmp_path: Path) -> None:
    plain = load_scenario(SCENARIOS / name)
    judged = [with_judges(plain, seed) for seed in (1, 2)]
    assert judged[0].groups[0].judge != judged[1].groups[0].judge
    for card in cards:
        base = moves_of(plain, card, tmp_path / card / "plain")
        for k, scenario in enumerate(judged):
            # Moves, the end and the models' verdict are those of the run without judges.
            assert moves_of(scenario, card, tmp_path / card / str(k)) == base, (card, k)


def test_the_public_game_and_the_observation_hold_no_judge() -> None:
    game = Game(with_judges(load_scenario(SCENARIOS / "harbour-sport-park.yaml"), 1))
    public = PublicGame.of(game)
    assert not any("judge" in f.name for f in dataclasses.fields(PublicGame))
    assert not any("judge" in f.name for f in dataclasses.fields(Observation))
    assert all(not hasattr(v, "judge") for v in vars(game.utilities[game.group_ids[0]]).values())
    assert public.group_ids == tuple(game.group_ids)


def test_the_counterfactuals_replace_every_judge_the_kept_groups_too() -> None:
    scenario = with_judges(load_scenario(SCENARIOS / "polis-brexit-consensus.yaml"), 1)
    changed = perturb_others(scenario, "group-1", seed=0)
    kept, original = changed.group("group-1"), scenario.group("group-1")
    assert (kept.reward, kept.reservation) == (original.reward, original.reservation)
    assert kept.judge != original.judge and kept.judge_reservation != original.judge_reservation
    assert changed.group("group-0").judge != scenario.group("group-0").judge
    # Without judges the counterfactuals are drawn exactly as before (judges are drawn after the rewards).
    plain = load_scenario(SCENARIOS / "polis-brexit-consensus.yaml")
    assert perturb_others(plain, "group-1", seed=0).group("group-0").reward == changed.group("group-0").reward


class _JudgePeeker:
    """Finds a Game among the interpreter's live objects and proposes its own group's judge's favourite."""

    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me, self.utility, self.public = me, utility, public

    def act(self, obs: Observation) -> Move:
        games = [o for o in gc.get_objects() if isinstance(o, Game) and o.utilities.get(self.me) is self.utility]
        judge = games[-1].scenario.group(self.me).judge if games else None
        proposal = None
        if judge is not None:
            scores = build_reward(judge, self.public.space).score(self.public.space.outcomes)
            proposal = self.public.space.at(int(np.argmax(scores)))
        return Move(speaker=self.me, view=obs.my_view, proposal=proposal,
                    accepts=None if obs.table.proposal is None else False)


policy("test-peek-judge", "Test fixture: reads its own group's held-out judge through the garbage collector.")(
    lambda params, me, utility, public: _JudgePeeker(me, utility, public))


def test_a_policy_reading_its_own_judge_is_caught() -> None:
    scenario = with_judges(load_scenario(SCENARIOS / "harbour-sport-park.yaml"), 2)
    group = scenario.group_ids[1]
    with pytest.raises(ConformanceError, match=LEAK):
        check_boundary("linear", scenario, agents={group: "test-peek-judge"}, groups=[group])


@pytest.mark.parametrize("card", ["dialectical", "boulware"])
def test_cards_keep_the_boundary_with_judges(card: str) -> None:
    scenario = with_judges(load_scenario(SCENARIOS / "polis-brexit-consensus.yaml"), 1)
    report = check_boundary(card, scenario, seed=0, perturbations=2)
    assert set(report.moves) == set(scenario.group_ids)
