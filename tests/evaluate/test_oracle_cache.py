"""The evaluator solves each oracle once per Game object: evaluating a second trace of the same game
runs no enumeration at all (counted by wrapping the enumeration's block iterator, through which
every enumeration oracle walks the space), and the results are the same as solving afresh."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

import dialectic.oracles._enumerate as enumeration
from dialectic.evaluate import Rescorer, evaluate, solved
from dialectic.evaluate import _solved as cache
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.evaluate.test_pareto_dominance import settled_on

SCENARIO = SCENARIOS / "harbour-sport-park.yaml"


class Counting:
    """Counts how often the enumeration walks a space (calls of `blocks`), calling the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls = 0
        self.original = enumeration.blocks
        monkeypatch.setattr(enumeration, "blocks", self)

    def __call__(self, *args: object, **kwargs: object) -> Iterator[enumeration.Block]:
        self.calls += 1
        return self.original(*args, **kwargs)  # type: ignore[arg-type]


def test_a_second_evaluation_of_the_same_game_solves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting(monkeypatch)
    game = Game(load_scenario(SCENARIO))
    trace = settled_on(game, game.space.at(0))
    first = evaluate(game, trace)
    # maxmin, unconstrained, utilitarian, Nash, Kalai-Smorodinsky (ideal point + scan), dominance
    assert counting.calls >= 7
    before = counting.calls
    again = evaluate(game, trace)
    assert counting.calls == before
    assert again == first
    # Another trace of the same game, settled elsewhere: only the new settlement's dominance is solved.
    other = evaluate(game, settled_on(game, game.space.at(1)))
    assert counting.calls == before + 1
    assert other.maxmin_oracle == first.maxmin_oracle
    assert other.metrics["nash_optimum"] == first.metrics["nash_optimum"]


def test_cached_results_equal_a_fresh_solve() -> None:
    game, fresh = Game(load_scenario(SCENARIO)), Game(load_scenario(SCENARIO))
    trace = settled_on(game, game.space.at(5))
    cached_once = evaluate(game, trace)
    assert evaluate(game, trace) == cached_once == evaluate(fresh, settled_on(fresh, fresh.space.at(5)))
    for objective in ("maxmin", "maxmin_unconstrained", "utilitarian", "nash", "kalai_smorodinsky"):
        assert solved(game, objective) is solved(game, objective)
        mine, theirs = solved(game, objective), solved(fresh, objective)
        assert (mine.value, mine.outcome, mine.status, mine.utilities) == (
            theirs.value, theirs.outcome, theirs.status, theirs.utilities
        )


def test_the_cache_lets_a_dropped_game_go() -> None:
    game = Game(load_scenario(SCENARIO))
    solved(game, "maxmin")
    assert game in cache._results
    gone = weakref.ref(game)
    del game
    gc.collect()
    # the cache holds no strong reference: the game is freed (counting entries would also count other
    # tests' games that this collection happens to free)
    assert gone() is None


def test_rescoring_many_traces_of_one_scenario_solves_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paths = [
        run_dialogue(SCENARIO, "conceder", seed=seed, out=tmp_path, evaluate=False).trace_path for seed in range(3)
    ]
    counting = Counting(monkeypatch)
    rescorer = Rescorer()
    first = rescorer.score(paths[0])[1]
    solves_for_first = counting.calls
    assert solves_for_first >= 6
    rest = [rescorer.score(path)[1] for path in paths[1:]]
    # The later traces solve at most their settlements' dominance (a settlement not seen before).
    settlements = {str(e.settlement) for e in rest if e.settlement is not None} - {str(first.settlement)}
    assert counting.calls - solves_for_first <= len(settlements)
    assert {e.maxmin_oracle for e in rest} == {first.maxmin_oracle}
