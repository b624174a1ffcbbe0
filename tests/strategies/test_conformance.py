"""Every registered strategy passes the conformance check; a new card runs it on itself; a policy
that reads another group's reward model is caught."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.strategies import Params, card_names, load_card, policies, policy
from dialectic.strategies.conformance import ConformanceError, check_strategy
from tests.conftest import SCENARIOS

CARDS = [name for name in card_names() if not load_card(name).needs_chat]  # LLM cards: tests/llm


def test_all_required_cards_exist() -> None:
    required = {"hardliner", "boulware", "linear", "conceder", "dialectical", "capitulator", "declarer",
                "persuader", "average-reward", "max-min", "nash"}
    assert required <= set(CARDS)


@pytest.mark.parametrize("card", CARDS)
def test_every_card_conforms(card: str) -> None:
    check_strategy(card, SCENARIOS / "harbour-sport-park.yaml", seeds=(0, 1))


@pytest.mark.parametrize("name", [n for n, spec in policies.items() if not n.startswith("test-") and not spec.needs_chat])
def test_every_policy_conforms_in_a_mixed_cast(name: str) -> None:
    check_strategy("linear", SCENARIOS / "island-airport.yaml", seeds=(3,), agents={"bank": name})


def test_a_new_card_runs_the_check_on_itself(tmp_path: Path) -> None:
    card = tmp_path / "mixed.yaml"
    card.write_text(
        "name: mixed\ndescription: boulware SportCo among conceders\nprotocol: round-robin\n"
        "cast:\n  default: {policy: conceder, params: {exponent: 3.0}}\n  groups:\n    SportCo: boulware\n"
    )
    check_strategy(str(card), SCENARIOS / "harbour-sport-park.yaml", seeds=(0,))


class _Peeker:
    """A cheating policy: it climbs the call stack to the engine's session and reads the reward
    model of another group."""

    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me, self.utility, self.public = me, utility, public

    def act(self, obs: Observation) -> Move:
        for frame in inspect.stack():
            session = frame.frame.f_locals.get("self")
            if session is not None and hasattr(session, "game"):
                other = next(g for g in obs.others())
                session.game.utilities[other](obs.my_view)
                break
        return Move(speaker=self.me, view=obs.my_view, accepts=None if obs.table.proposal is None else False)


@policy("test-peeker", "Test fixture: reads another group's reward model (must fail conformance).")
def _peeker(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> _Peeker:
    return _Peeker(me, utility, public)


def test_a_policy_reading_another_groups_reward_model_fails() -> None:
    with pytest.raises(ConformanceError, match="touched other groups"):
        check_strategy("linear", SCENARIOS / "harbour-sport-park.yaml", seeds=(0,), agents={"union": "test-peeker"})


@pytest.mark.parametrize("card", CARDS)
def test_every_card_conforms_on_a_statement_pool(card: str) -> None:
    check_strategy(card, SCENARIOS / "polis-15-per-hour-seattle.yaml", seeds=(0,))
