"""A settlement that is a statement generated during the run (`views: free`): the evaluator judges it by its
utility vector (each group's reward normalised over the reference pool and clipped to [0, 1]) against every
pool statement, instead of asking the oracles for a point outside the pool (which crashed every such run).

The reward models are real text reward models of the simplest kind, served through a reward backend written
here: group a's reward of a text is the number of times it says "park", group b's the number of times it says
"harbour". So every number below is worked out by counting words:

    pool statement             park  harbour   u_a   u_b     (both rewards range 0..2 over the pool)
    P1 "park park"              2     0        1     0
    P2 "harbour harbour"        0     2        0     1
    P3 "park harbour"           1     1        .5    .5
    P4 "park park harbour"      2     1        1     .5

    generated settlement             raw     u (clipped)   dominated by (largest total gain)
    "park park park, no boats"       3, 0    1, 0          P4 (1, .5), gain .5 (P1 is only equal; unclipped
                                                           (1.5, 0) would be dominated by nothing)
    "harbour"                        0, 1    0, .5         P2 (gain .5), P3 (gain .5), P4 (gain 1): P4
    "park harbour harbour harbour"   1, 3    .5, 1         nothing (only P2 is worth 1 to b, and 0 to a)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from dialectic.evaluate import Context, compute_metrics, evaluate
from dialectic.game import Game
from dialectic.scenario import Scenario
from dialectic.space._statements import generated_id
from dialectic.trace import StatementEvent, Trace
from tests.evaluate.evaluate_support import Dialogue, generated_view_run, with_statements
from tests.evaluate.test_pareto_dominance import brute_dominators

POOL = {"P1": "park park", "P2": "harbour harbour", "P3": "park harbour", "P4": "park park harbour"}


def count(keyword: str, text: str) -> float:
    return float(sum(w == keyword for w in re.findall(r"\w+", text.lower())))


class KeywordBackend:
    """A reward backend whose adapter NAME scores a text by how many times it says NAME."""

    async def score(self, name: str, texts: Sequence[str]) -> list[float]:
        return [count(name, t) for t in texts]

    def score_sync(self, name: str, texts: Sequence[str]) -> list[float]:
        return [count(name, t) for t in texts]

    async def score_outputs(self, name: str, texts: Sequence[str]) -> list[list[float]]:
        raise AssertionError("adapters only")

    def score_outputs_sync(self, name: str, texts: Sequence[str]) -> list[list[float]]:
        raise AssertionError("adapters only")

    def output_index(self, name: str, output: str | int) -> int:
        raise AssertionError("adapters only")


def keyword_game() -> Game:
    scenario = Scenario.model_validate({
        "name": "keywords", "description": "",
        "space": {"kind": "statements", "statements": [{"id": k, "text": v} for k, v in POOL.items()]},
        "groups": [
            {"id": "a", "share": 0.5, "reservation": 0.5, "reward": {"kind": "served", "adapter": "park"}},
            {"id": "b", "share": 0.5, "reservation": 0.25, "reward": {"kind": "served", "adapter": "harbour"}},
        ],
        "agreement": {"rule": "unanimous"}, "rounds": 2,
        "opening": {"speaker": "a", "proposal": "P1"},
    })
    return Game(scenario, reward_backend=KeywordBackend())


def generated_settlement(game: Game, text: str) -> Trace:
    """b states `text` as its view and tables it; a takes it as its view and accepts: settled on `text`, both
    final views generated. The statement event records every group's reward as the engine would."""
    sid = generated_id(text)
    said = {"statement": sid}
    dialogue = Dialogue(game, "a", {"statement": "P1"}, {"a": {"statement": "P1"}, "b": {"statement": "P2"}})
    trace = dialogue.say("b", said, proposal=said, accepts=False).say("a", said, accepts=True).end(said, ["a", "b"])
    event = StatementEvent(id=sid, text=text, turn=1, rewards={"a": count("park", text), "b": count("harbour", text)})
    return with_statements(game, trace, [event])


CASES = [
    # text, clipped utilities, dominated, by, its utilities, total gain
    ("park park park, no boats", (1.0, 0.0), True, "P4", (1.0, 0.5), 0.5),
    ("harbour", (0.0, 0.5), True, "P4", (1.0, 0.5), 1.0),
    ("park harbour harbour harbour", (0.5, 1.0), False, None, None, 0.0),
]


@pytest.mark.parametrize(("text", "utilities", "dominated", "by", "by_utilities", "gain"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_generated_settlement_is_judged_by_its_clipped_utilities_against_the_pool(
        text: str, utilities: tuple[float, float], dominated: bool, by: str | None,
        by_utilities: tuple[float, float] | None, gain: float) -> None:
    game = keyword_game()
    np.testing.assert_allclose(game.utility_matrix, [[1, 0, 0.5, 1], [0, 1, 0.5, 0.5]])  # the table above
    trace = generated_settlement(game, text)
    evaluation = evaluate(game, trace)
    assert evaluation.consistent, evaluation.inconsistencies
    sid = generated_id(text)
    assert evaluation.settlement == {"statement": sid}
    assert evaluation.final_views == {"a": {"statement": sid}, "b": {"statement": sid}}
    assert evaluation.utility == pytest.approx(dict(zip("ab", utilities, strict=True)))
    produced: dict[str, Any] = evaluation.metrics["generated_statements"]
    assert produced["settlement_generated"] and produced["final_views_generated"] == ["a", "b"]
    assert produced["rescored"]

    pareto = compute_metrics(Context(game, trace), ["settlement_pareto_dominated"])["settlement_pareto_dominated"]
    assert pareto == evaluation.metrics["settlement_pareto_dominated"]
    assert pareto["dominated"] is dominated
    assert pareto["by"] == (None if by is None else {"statement": by})
    assert pareto["utilities"] == (None if by_utilities is None else pytest.approx(dict(zip("ab", by_utilities,
                                                                                             strict=True))))
    assert pareto["total_gain"] == pytest.approx(gain) and pareto["status"] == "exact"

    # Independently: the settlement's column beside the pool's, every pair compared (test_pareto_dominance).
    columns = np.column_stack([game.utility_matrix, utilities])
    found = brute_dominators(columns, columns.shape[1] - 1)
    assert bool(found.size) is dominated
    if dominated:
        gains = columns[:, found].sum(axis=0) - sum(utilities)
        assert list(POOL)[int(found[np.argmax(gains)])] == by and gains.max() == pytest.approx(gain)


def test_a_pool_settlement_of_a_run_with_generated_views_is_still_the_oracles_point() -> None:
    """The same run settling on a pool statement (P3 tabled and accepted) while b's view is generated: P3 is
    dominated by P4 (gain .5) as the oracles say for a pool point."""
    game = keyword_game()
    trace = generated_view_run(game, ("P1", "P2"), "harbour harbour harbour", "P3", {"a": 0.0, "b": 3.0})
    evaluation = evaluate(game, trace)
    assert evaluation.consistent, evaluation.inconsistencies
    pareto = evaluation.metrics["settlement_pareto_dominated"]
    assert (pareto["dominated"], pareto["by"], pareto["total_gain"]) == (True, {"statement": "P4"}, pytest.approx(0.5))
    assert evaluation.metrics["generated_statements"]["final_views_generated"] == ["b"]
