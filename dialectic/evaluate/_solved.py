"""The oracles of a Game, solved once per Game object and shared by every evaluation of its runs.

An oracle's answer depends on the game alone (utilities, reservations, shares, rule), never on a
run, so a benchmark sweep or `dialectic score` over many traces of one scenario solves each oracle
once. Pareto dominance depends on the settlement too and is kept per (game, settlement). Results
are held weakly by Game: a game that is dropped takes its results with it. Methods are chosen by
dialectic.oracles ("auto": a game that holds its utility matrix is enumerated, exactly).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from dialectic.game import Game
from dialectic.space import Outcome

if TYPE_CHECKING:
    from dialectic.oracles import OracleResult

#: What `OracleProblem.from_game` builds for the game's space (an OracleProblem on discrete spaces).
Problem = Any

#: Dominance of a settlement is cached under this key with the settlement.
PARETO = "pareto_improvement"

_problems: WeakKeyDictionary[Game, Problem] = WeakKeyDictionary()
_results: WeakKeyDictionary[Game, dict[tuple[str, Outcome | None], OracleResult]] = WeakKeyDictionary()
_lock = threading.Lock()


def problem_for(game: Game) -> Problem:
    """The game's oracle problem (on a discrete space: its exact utility matrix), built once."""
    with _lock:
        problem = _problems.get(game)
    if problem is None:
        from dialectic.oracles import OracleProblem

        problem = OracleProblem.from_game(game)
        with _lock:
            problem = _problems.setdefault(game, problem)
    return problem


def _cached(game: Game, key: tuple[str, Outcome | None]) -> OracleResult | None:
    with _lock:
        return _results.get(game, {}).get(key)


def _keep(game: Game, key: tuple[str, Outcome | None], result: OracleResult) -> OracleResult:
    with _lock:
        return _results.setdefault(game, {}).setdefault(key, result)


def solved(game: Game, objective: str) -> OracleResult:
    """The oracle `objective` (one of dialectic.oracles.OBJECTIVES but "pareto_improvement") on
    `game`, solved on the first call for this Game object."""
    key = (objective, None)
    result = _cached(game, key)
    if result is None:
        from dialectic import oracles

        result = _keep(game, key, oracles.solve(problem_for(game), objective))
    return result


def dominance(game: Game, settlement: Outcome) -> OracleResult:
    """`dialectic.oracles.is_pareto_dominated` for this settlement, solved once per (game, settlement).

    A generated statement is not a point of the oracles' problem (the reference pool): its utility vector
    (each group's reward normalised over the pool and clipped, as the game scores it) is compared with
    every pool outcome's, the same search with that vector as the reference. Within one Game an outcome
    index names one statement (generated statements are numbered in the order first admitted), so the
    cache key holds."""
    key = (PARETO, settlement)
    result = _cached(game, key)
    if result is None:
        from dialectic import oracles

        problem = problem_for(game)
        if game.space.is_generated(settlement):
            reference = [game.utilities[g](settlement) for g in problem.group_ids]
            found = oracles.solve(problem, "pareto_improvement", reference=reference)
            found.info["dominated"] = found.outcome is not None
        else:
            found = oracles.is_pareto_dominated(problem, settlement)
        result = _keep(game, key, found)
    return result
