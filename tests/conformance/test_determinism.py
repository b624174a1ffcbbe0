"""Every registered strategy passes the conformance check (determinism and the boundary); a new card runs
it on itself. Peeking policies: tests/conformance/test_boundary.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialectic.conformance import check_determinism, check_strategy
from dialectic.strategies import card_names, load_card, policies
from tests.conftest import SCENARIOS

CARDS = [name for name in card_names() if not load_card(name).needs_chat]  # LLM cards: tests/llm


def test_all_required_cards_exist() -> None:
    required = {"hardliner", "boulware", "linear", "conceder", "dialectical", "capitulator", "declarer",
                "persuader", "average-reward", "max-min", "nash"}
    assert required <= set(CARDS)


@pytest.mark.parametrize("card", CARDS)
def test_every_card_is_deterministic(card: str) -> None:
    check_determinism(card, SCENARIOS / "harbour-sport-park.yaml", seeds=(0, 1))


@pytest.mark.parametrize("name", [n for n, spec in policies.items() if not n.startswith("test-") and n != "probe" and not spec.needs_chat])
def test_every_policy_conforms_in_a_mixed_cast(name: str) -> None:
    check_strategy("linear", SCENARIOS / "island-airport.yaml", seeds=(3,), agents={"bank": name})


def test_a_new_card_runs_the_check_on_itself(tmp_path: Path) -> None:
    card = tmp_path / "mixed.yaml"
    card.write_text(
        "name: mixed\ndescription: boulware SportCo among conceders\nprotocol: round-robin\n"
        "cast:\n  default: {policy: conceder, params: {exponent: 3.0}}\n  groups:\n    SportCo: boulware\n"
    )
    check_strategy(str(card), SCENARIOS / "harbour-sport-park.yaml", seeds=(0,))


@pytest.mark.parametrize("card", CARDS)
def test_every_card_is_deterministic_on_a_statement_pool(card: str) -> None:
    check_determinism(card, SCENARIOS / "polis-15-per-hour-seattle.yaml", seeds=(0,))
