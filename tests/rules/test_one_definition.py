"""One source of truth for the rules that decide verdicts (issue 8, item 4): on random rules, shares,
vetoes and stances, every form of the agreement rule agrees (the engine's per-turn question, the game's
vectorised mask, the oracles' problem, the oracles' block-wise enumeration, the continuous oracles), and
every place that asks for an honest acceptance gives the same answer at and around the tolerance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dialectic.game import AgreementRule
from dialectic.oracles import OracleProblem
from dialectic.oracles._enumerate import blocks
from dialectic.rules import ACCEPT_TOL, accepts, accepts_array
from dialectic.scenario import Agreement


def _random_rule(rng: np.random.Generator, n: int) -> tuple[Agreement, list[str], list[float], list[str]]:
    kind = str(rng.choice(["unanimous", "quorum", "majority"]))
    agreement = Agreement(rule=kind, min_accept=int(rng.integers(1, n + 1)) if kind == "quorum" else None,
                          threshold=float(rng.choice([0.5, 0.6, 2 / 3, 0.75, float(rng.uniform(0, 0.99))]))
                          if kind == "majority" else None)
    ids = [f"g{k}" for k in range(n)]
    shares = rng.dirichlet(np.ones(n)) if rng.random() < 0.7 else np.full(n, 1 / n)
    vetoes = [g for g in ids if rng.random() < 0.2]
    return agreement, ids, [float(s) for s in shares], vetoes


def _by_hand(agreement: Agreement, ids: list[str], shares: list[float], vetoes: list[str], accepting: set[str]) -> bool:
    """The rule as DESIGN.md words it, written out without any of the package's code."""
    if any(v not in accepting for v in vetoes):
        return False
    if agreement.rule == "unanimous":
        return len(accepting) == len(ids)
    if agreement.rule == "quorum":
        return len(accepting) >= (agreement.min_accept or 0)
    return sum(s for g, s in zip(ids, shares, strict=True) if g in accepting) > agreement.majority_threshold + 1e-12


def test_every_form_of_the_agreement_rule_agrees() -> None:
    rng = np.random.default_rng(8)
    for _ in range(300):
        n = int(rng.integers(1, 7))
        agreement, ids, shares, vetoes = _random_rule(rng, n)
        game_rule = AgreementRule(agreement, ids, shares, vetoes)
        stances = np.array(list(itertools.product([False, True], repeat=n)), dtype=bool).T  # (groups, 2^n)
        expected = np.array([_by_hand(agreement, ids, shares, vetoes, {ids[g] for g in np.flatnonzero(col)})
                             for col in stances.T])
        engine = np.array([game_rule.passes([ids[g] for g in np.flatnonzero(col)]) for col in stances.T])
        assert np.array_equal(engine, expected)
        assert np.array_equal(game_rule.passes_mask(stances), expected)
        assert np.array_equal(game_rule.rule.passes(stances, np.array(shares)), expected)


def test_oracles_pass_what_the_engine_passes_under_honest_acceptance() -> None:
    """Random additive games: the oracle problem's dense check, its block-wise enumeration (head x tail
    sums, counted without a (groups, n) matrix) and the engine's rule on each outcome's honest acceptors
    agree on every outcome."""
    rng = np.random.default_rng(9)
    for _ in range(120):
        n = int(rng.integers(1, 6))
        agreement, ids, shares, vetoes = _random_rule(rng, n)
        game_rule = AgreementRule(agreement, ids, shares, vetoes)
        radix = [int(r) for r in rng.integers(2, 5, size=int(rng.integers(2, 4)))]
        points = [rng.integers(0, 4, size=(n, r)).astype(float) for r in radix]  # integer points: exact ties
        points[0][:, 0], points[0][:, 1] = 0.0, 1.0  # every group's rewards differ somewhere
        problem = OracleProblem.additive(points, rng.uniform(0.0, 1.0, n), shares=np.array(shares),
                                         rule=game_rule.rule, normalised_reservations=True)
        outcomes = np.array(list(itertools.product(*[range(r) for r in radix])))
        utilities = problem.utilities_many(outcomes)  # (groups, N)
        honest = accepts_array(utilities, problem.reservations)
        engine = np.array([game_rule.passes([ids[g] for g in np.flatnonzero(col)]) for col in honest.T])
        assert np.array_equal(problem.passes(utilities), engine)
        blockwise = np.concatenate([b.passes(problem) for b in blocks(problem, columns=3)])
        assert np.array_equal(blockwise, engine)


@pytest.mark.parametrize("offset", [-1e-9, -2 * ACCEPT_TOL, -ACCEPT_TOL / 2, 0.0, ACCEPT_TOL / 2, 1e-9])
def test_honest_acceptance_is_one_comparison(offset: float) -> None:
    from dialectic.game import Game
    from dialectic.scenario import load_scenario
    from tests.conftest import SCENARIOS

    game = Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))
    expected = offset >= -ACCEPT_TOL
    assert accepts(0.5 + offset, 0.5) is expected
    assert bool(accepts_array(np.array([0.5 + offset]), 0.5)[0]) is expected
    # Every reader of acceptance on a real game: the group's mask, the game's matrix, the oracle problem.
    problem = OracleProblem.from_game(game)
    for k, group in enumerate(game.group_ids):
        utility = game.utilities[group]
        mask = accepts_array(utility.values, utility.reservation)
        assert np.array_equal(utility.acceptable, mask)
        assert np.array_equal(game.honest_accepts[k], mask)
        assert np.array_equal(problem.accepts(game.utility_matrix)[k], mask)
        at = int(np.argmin(np.abs(utility.values - utility.reservation)))
        assert utility.accepts(game.space.at(at)) is bool(mask[at])
