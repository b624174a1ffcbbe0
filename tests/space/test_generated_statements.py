"""Generated statements in a statement pool: ids, numbering, the public distances, and the utilities and
reward-profile distance built on them, against hand computations (hashlib, Python sets, the formulas of
DESIGN.md written out here).

The reward model here is a real text reward model of the simplest kind, written for the test: a statement's
reward is the number of times it names a keyword, so every expected value is worked out by counting words.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence

import numpy as np
import pytest

from dialectic.game import Game, ProfileDistance
from dialectic.rewards import GroupUtility, TextNotScorable, TextRewardModel
from dialectic.scenario import Scenario, StatementPoolSpec
from dialectic.space import StatementSpace
from dialectic.space._statements import generated_id

POOL = {
    "S1": "We want the park by the water, open to everyone.",
    "S2": "The harbour should grow, with room for more boats and jobs.",
    "S3": "Half park and half harbour: green space beside the working docks.",
    "S4": "A market on the plot, and no park.",
}


class KeywordReward:
    """r(text) = how many times the text names the keyword (word-wise, case-insensitive)."""

    def __init__(self, keyword: str, space: StatementSpace):
        self.keyword, self.space = keyword, space
        self.asked: list[str] = []

    def count(self, text: str) -> float:
        return float(sum(w == self.keyword for w in re.findall(r"\w+", text.lower())))

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        texts = [self.space.text(tuple(int(k) for k in row)) for row in np.atleast_2d(outcomes)]
        self.asked += texts
        return np.array([self.count(t) for t in texts])

    async def ascore_texts(self, texts: Sequence[str]) -> list[float]:
        self.asked += list(texts)
        return [self.count(t) for t in texts]


def pool_spec(**extra: object) -> StatementPoolSpec:
    scenario = Scenario.model_validate({
        "name": "pool", "description": "",
        "space": {"kind": "statements", "statements": [{"id": k, "text": v} for k, v in POOL.items()], **extra},
        "groups": [{"id": "a", "share": 0.5, "reward": {"kind": "statements", "scores": {"S1": 1, "S2": 0, "S3": 2,
                                                                                         "S4": 0}},
                    "reservation": 0.5},
                   {"id": "b", "share": 0.5, "reward": {"kind": "statements", "scores": {"S1": 0, "S2": 1, "S3": 1,
                                                                                         "S4": 3}},
                    "reservation": 0.0}],
        "agreement": {"rule": "unanimous"}, "rounds": 2,
    })
    assert isinstance(scenario.space, StatementPoolSpec)
    return scenario.space


def jaccard(a: str, b: str) -> float:
    x, y = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return 1.0 - len(x & y) / len(x | y)


def test_a_text_gets_a_content_id_and_an_outcome_beyond_the_pool() -> None:
    space = StatementSpace(pool_spec())
    text = "  A park   by the harbour,\n for everyone. "
    outcome = space.admit(text)
    clean = "A park by the harbour, for everyone."
    assert outcome == (4,) and space.is_generated(outcome) and space.is_valid(outcome)
    assert space.label(outcome) == "gen-" + hashlib.sha256(clean.encode()).hexdigest()[:12] == generated_id(text)
    assert space.names(outcome) == {"statement": space.label(outcome)} and space.text(outcome) == clean
    assert space.parse(space.names(outcome)) == outcome and space.admit(clean) == outcome  # same text, same one
    assert space.admit("Another one") == (5,) and space.generated() == [(space.label(outcome), clean),
                                                                         (generated_id("Another one"), "Another one")]
    # the reference pool is untouched: what oracles enumerate and utilities normalise over
    assert space.size == 4 and space.options == [list(POOL)] and space.outcomes.shape == (4, 1)
    assert space.statement_texts() == list(POOL.values())
    # a pool statement's own text (whitespace aside) is that statement; an empty text is none
    assert space.admit(" We want the park by the water,  open to everyone. ") == (0,)
    with pytest.raises(ValueError, match="empty"):
        space.admit(" \n ")
    assert not space.is_valid((6,)) and not space.is_valid((-1,))
    with pytest.raises(ValueError, match="no generated statement"):
        space.parse({"statement": "gen-000000000000"})


def test_adopt_numbers_the_statements_as_the_other_space_did() -> None:
    first, second = StatementSpace(pool_spec()), StatementSpace(pool_spec())
    texts = ["one park", "two harbours", "three markets"]
    outcomes = [first.admit(t) for t in texts]
    second.adopt(first)
    assert [second.admit(t) for t in texts] == outcomes and second.generated() == first.generated()


def test_the_lexical_distance_reaches_generated_statements() -> None:
    space = StatementSpace(pool_spec())
    a, b = space.admit("The park and the harbour, for everyone"), space.admit("No park, no harbour")
    row = space.distances_to(a)
    assert row.shape == (4,)
    for k, text in enumerate(POOL.values()):
        assert row[k] == pytest.approx(jaccard("The park and the harbour, for everyone", text))
        assert space.distance((k,), a) == space.distance(a, (k,)) == pytest.approx(row[k])
    assert space.distance(a, b) == pytest.approx(jaccard("The park and the harbour, for everyone",
                                                         "No park, no harbour"))
    assert space.distance(a, a) == 0.0
    np.testing.assert_array_equal(space.distances_to(a, np.array([3, 1])), row[[3, 1]])
    # the pool's own distances are as before
    assert space.distance((0,), (2,)) == pytest.approx(jaccard(POOL["S1"], POOL["S3"]))


def test_the_embedding_distance_reaches_generated_statements() -> None:
    from dialectic.space import _embedding

    if (reason := _embedding.unavailable_reason()) is not None:
        pytest.skip(reason)
    space = StatementSpace(pool_spec(agent_distance="embedding"))
    text = "A green park beside the water for all"
    a = space.admit(text)
    vectors = _embedding.encoder().encode([text, *POOL.values()])
    expected = np.clip((1.0 - vectors[1:] @ vectors[0]) / 2.0, 0.0, 1.0)
    np.testing.assert_allclose(space.distances_to(a), expected, atol=1e-6)
    assert space.embedding_distance(a, (2,)) == pytest.approx(expected[2], abs=1e-6)
    other = space.admit("The harbour must grow")
    pair = _embedding.encoder().encode([text, "The harbour must grow"])
    assert space.distance(a, other) == pytest.approx((1.0 - pair[0] @ pair[1]) / 2.0, abs=1e-6)


def test_utilities_of_generated_statements_are_normalised_over_the_pool_and_clipped() -> None:
    space = StatementSpace(pool_spec())
    model = KeywordReward("park", space)
    utility = GroupUtility("a", model, space, reservation=1.0)
    # pool rewards 1, 0, 1, 1 (S1, S2, S3, S4 name the park once, never, once, once): low 0, high 1
    assert (utility.low, utility.high) == (0.0, 1.0) and utility.reservation == 1.0
    twice = space.admit("A park, a park and nothing else")  # reward 2: above the pool's best, clipped to 1
    none = space.admit("Boats")  # reward 0
    assert asyncio.run(utility.ascore([twice, none, (1,)])) == [1.0, 0.0, 0.0]
    assert utility.reward(twice) == 2.0 and utility.reward_at(twice[0]) == 2.0
    assert utility.accepts(twice) and not utility.accepts(none)
    asked = len(model.asked)
    assert utility(twice) == 1.0 and len(model.asked) == asked  # scored once, remembered
    late = space.admit("The park")  # scored synchronously on first use (outside any event loop)
    assert utility(late) == 1.0 and model.asked[-1] == "The park"
    assert isinstance(model, TextRewardModel) and utility.scores_text


def test_a_model_that_scores_no_text_is_refused_clearly() -> None:
    game = Game(Scenario.model_validate({
        "name": "pool", "description": "", "space": pool_spec().model_dump(mode="json"),
        "groups": [{"id": "a", "share": 0.5, "reward": {"kind": "statements",
                                                        "scores": {"S1": 1, "S2": 0, "S3": 2, "S4": 0}},
                    "reservation": 0.5},
                   {"id": "b", "share": 0.5, "reward": {"kind": "statements",
                                                        "scores": {"S1": 0, "S2": 1, "S3": 1, "S4": 3}},
                    "reservation": 0.0}],
        "agreement": {"rule": "unanimous"}, "rounds": 2,
    }))
    outcome = game.space.admit("A brand new statement")  # type: ignore[attr-defined]
    utility = game.utilities["a"]
    assert not utility.scores_text
    with pytest.raises(TextNotScorable, match="cannot|scores only the reference pool"):
        utility(outcome)
    with pytest.raises(TextNotScorable, match="group 'a'"):
        asyncio.run(utility.ascore([outcome]))
    utility.remember(outcome, 1.5)  # the evaluator's fallback: a reward taken from the trace's record
    assert utility.reward(outcome) == 1.5 and utility(outcome) == 0.75


def test_the_reward_profile_distance_reaches_generated_statements() -> None:
    """Game.measure's distance, mean_g |u_g(s) - u_g(t)|, with u_g of a generated statement clipped, by hand."""
    space = StatementSpace(pool_spec())
    ua = GroupUtility("a", KeywordReward("park", space), space, 0.0)
    ub = GroupUtility("b", KeywordReward("harbour", space), space, 0.0)
    measure = ProfileDistance(np.stack([ua.values, ub.values]), [ua, ub])
    g = space.admit("park park harbour")  # park 2 -> 1 (clipped), harbour 1 -> 1
    # pool: park counts 1, 0, 1, 1 -> u_a 1, 0, 1, 1; harbour counts 0, 1, 1, 0 -> u_b 0, 1, 1, 0
    u_a, u_b = [1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]
    for k in range(4):
        expected = (abs(1.0 - u_a[k]) + abs(1.0 - u_b[k])) / 2
        assert measure.distance(g, (k,)) == pytest.approx(expected)
        assert measure.distances_to(g)[k] == pytest.approx(expected)
    h = space.admit("nothing at all")  # 0, 0
    assert measure.distance(g, h) == pytest.approx(1.0) and measure.distance(h, h) == 0.0
    assert measure.distance((0,), (1,)) == pytest.approx((1.0 + 1.0) / 2)
