"""The Schulze method against published examples, properties that can fail, and pref-voting's answers
(recorded in tests/fixtures/schulze_pref_voting.json by make_pref_voting_fixture.py; live where installed)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from dialectic.social_choice import pairwise_preferences, schulze, strongest_paths
from tests.social_choice.make_pref_voting_fixture import (
    FIXTURE,
    PROFILES,
    SEED,
    pref_voting_winners,
    random_profiles,
)

ROOT = Path(__file__).resolve().parents[2]


def profile(groups: list[tuple[int, str]], candidates: str) -> tuple[list[list[int]], list[int]]:
    """Ballots (scores) and weights from ``(count, "ACBED")`` orders, best first."""
    ballots = [[len(order) - order.index(c) for c in candidates] for _, order in groups]
    return ballots, [count for count, _ in groups]


def names(indices: list[int], candidates: str) -> str:
    return "".join(candidates[i] for i in indices)


# Wikipedia, "Schulze method", Example (also Schulze 2011, section 3.1): 45 voters, 5 candidates.
WIKIPEDIA = [(5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"), (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"),
             (8, "EBADC")]
WIKIPEDIA_D = [[0, 20, 26, 30, 22], [25, 0, 16, 33, 18], [19, 29, 0, 17, 24], [15, 12, 28, 0, 14],
               [23, 27, 21, 31, 0]]
WIKIPEDIA_P = [[0, 28, 28, 30, 24], [25, 0, 28, 33, 24], [25, 29, 0, 29, 24], [25, 28, 28, 0, 24],
               [25, 28, 28, 31, 0]]
# Schulze 2011, section 3.2 (Example 2): 30 voters, 4 candidates; D wins.
PAPER_2 = [(5, "ACBD"), (2, "ACDB"), (3, "ADCB"), (4, "BACD"), (3, "CBDA"), (3, "CDBA"), (1, "DACB"), (5, "DBAC"),
           (4, "DCBA")]
PAPER_2_D = [[0, 11, 20, 14], [19, 0, 9, 12], [10, 21, 0, 17], [16, 18, 13, 0]]
PAPER_2_P = [[0, 20, 20, 17], [19, 0, 19, 17], [19, 21, 0, 17], [18, 18, 18, 0]]
# Schulze 2011, section 3.4 (Example 4): 9 voters, 4 candidates; B and D are both potential winners.
PAPER_4 = [(3, "ABCD"), (2, "DABC"), (2, "DBCA"), (2, "CBDA")]
PAPER_4_D = [[0, 5, 5, 3], [4, 0, 7, 5], [4, 2, 0, 5], [6, 4, 4, 0]]
PAPER_4_P = [[0, 5, 5, 5], [5, 0, 7, 5], [5, 5, 0, 5], [6, 5, 5, 0]]


def test_wikipedia_example() -> None:
    ballots, weights = profile(WIKIPEDIA, "ABCDE")
    result = schulze(ballots, weights)
    np.testing.assert_array_equal(result.d, WIKIPEDIA_D)
    np.testing.assert_array_equal(result.p, WIKIPEDIA_P)
    assert names([result.winner], "ABCDE") == "E" and result.winners == [4]
    assert names(result.ranking, "ABCDE") == "EACBD"


def test_wikipedia_example_one_row_per_voter() -> None:
    ballots, weights = profile(WIKIPEDIA, "ABCDE")
    expanded = [b for b, w in zip(ballots, weights, strict=True) for _ in range(w)]
    assert len(expanded) == 45
    result = schulze(expanded)
    np.testing.assert_array_equal(result.d, WIKIPEDIA_D)
    assert names(result.ranking, "ABCDE") == "EACBD"


def test_paper_example_2() -> None:
    result = schulze(*profile(PAPER_2, "ABCD"))
    np.testing.assert_array_equal(result.d, PAPER_2_D)
    np.testing.assert_array_equal(result.p, PAPER_2_P)
    assert names(result.winners, "ABCD") == "D"
    assert names(result.ranking, "ABCD") == "DACB"


def test_paper_example_4_two_potential_winners_and_the_tie_break() -> None:
    ballots, weights = profile(PAPER_4, "ABCD")
    result = schulze(ballots, weights)
    np.testing.assert_array_equal(result.d, PAPER_4_D)
    np.testing.assert_array_equal(result.p, PAPER_4_P)
    assert names(result.winners, "ABCD") == "BD"
    assert result.winner == 1  # default tie-break: the lower index
    assert result.better(1, 2) and result.better(3, 0) and not result.better(1, 3) and not result.better(3, 1)
    assert names(result.ranking, "ABCD") == "BCDA"
    flipped = schulze(ballots, weights, tie_break=[3, 2, 1, 0])
    assert flipped.winner == 3 and names(flipped.winners, "ABCD") == "DB"
    assert names(flipped.ranking, "ABCD") == "DBCA"
    np.testing.assert_array_equal(flipped.p, result.p)


def _condorcet_winner(ballots: np.ndarray, weights: np.ndarray) -> int | None:
    """Brute force: the candidate that beats every other head to head by weight, if any."""
    n = ballots.shape[1]
    for x in range(n):
        if all(weights[ballots[:, x] > ballots[:, y]].sum() > weights[ballots[:, y] > ballots[:, x]].sum()
               for y in range(n) if y != x):
            return x
    return None


def _random_profile(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    voters, candidates = int(rng.integers(1, 12)), int(rng.integers(1, 7))
    ballots = rng.integers(0, 4, size=(voters, candidates)).astype(float)  # coarse scores: many ties
    return ballots, rng.integers(1, 5, size=voters).astype(float)


def test_condorcet_winner_always_wins_on_random_profiles() -> None:
    rng = np.random.default_rng(0)
    found = 0
    for _ in range(600):
        ballots, weights = _random_profile(rng)
        cw = _condorcet_winner(ballots, weights)
        result = schulze(ballots, weights, strength="winning")
        margin = schulze(ballots, weights, strength="margin")
        if cw is not None:
            found += 1
            assert result.winners == [cw] and margin.winners == [cw]
    assert found > 100


def test_potential_winners_and_ranking_follow_the_definitions() -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        ballots, weights = _random_profile(rng)
        n = ballots.shape[1]
        result = schulze(ballots, weights, tie_break=list(rng.permutation(n)))
        p = result.p
        unbeaten = {x for x in range(n) if all(p[x, y] >= p[y, x] for y in range(n) if y != x)}
        assert set(result.winners) == unbeaten and result.winner in unbeaten
        assert sorted(result.ranking) == list(range(n)) and result.ranking[0] == result.winner
        for i, j in itertools.combinations(range(n), 2):  # nobody is ranked above a candidate better than it
            assert not result.better(result.ranking[j], result.ranking[i])


def test_weights_equal_duplicated_voters() -> None:
    rng = np.random.default_rng(2)
    for _ in range(200):
        ballots, weights = _random_profile(rng)
        duplicated = np.repeat(ballots, weights.astype(int), axis=0)
        a, b = schulze(ballots, weights), schulze(duplicated)
        np.testing.assert_array_equal(a.d, b.d)
        np.testing.assert_array_equal(a.p, b.p)
        assert a.winners == b.winners and a.ranking == b.ranking
        scaled = schulze(ballots, weights / weights.sum())  # population shares: the same election
        assert scaled.winners == a.winners and scaled.ranking == a.ranking


def test_float_shares_that_tie_exactly_are_a_tie() -> None:
    # 0.1 + 0.2 != 0.3 in floating point; the two sides of A-B must still tie
    result = schulze([[1, 0], [1, 0], [0, 1]], [0.1, 0.2, 0.3])
    assert result.d[0, 1] == result.d[1, 0]
    assert result.winners == [0, 1]


def test_reversal_symmetry() -> None:
    """Schulze 2011: a unique winner is never the unique winner when every ballot is reversed."""
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(400):
        ballots, weights = _random_profile(rng)
        if ballots.shape[1] < 2:
            continue
        forward = schulze(ballots, weights)
        if len(forward.winners) == 1:
            checked += 1
            assert schulze(-ballots, weights).winners != forward.winners
    assert checked > 100


def test_margin_and_winning_votes_agree_on_complete_strict_ballots() -> None:
    rng = np.random.default_rng(4)
    for _ in range(200):
        voters, n = int(rng.integers(1, 15)), int(rng.integers(2, 7))
        ballots = np.array([rng.permutation(n) for _ in range(voters)], dtype=float)
        assert schulze(ballots, strength="winning").winners == schulze(ballots, strength="margin").winners


def test_small_and_degenerate_elections() -> None:
    assert schulze([[3.0]]).ranking == [0]
    empty = schulze(np.zeros((0, 3)))  # no voters: everyone ties
    assert empty.winners == [0, 1, 2] and empty.winner == 0 and not empty.p.any()
    indifferent = schulze([[1, 1, 1], [2, 2, 2]])
    assert indifferent.winners == [0, 1, 2]
    zero_weight = schulze([[0, 1], [1, 0]], [0, 1])
    assert zero_weight.winners == [0]
    assert schulze([[0, 1], [1, 0]], [0, 1]).to_dict()["d"] == [[0.0, 1.0], [0.0, 0.0]]


def test_matrix_helpers() -> None:
    ballots, weights = profile(WIKIPEDIA, "ABCDE")
    d = pairwise_preferences(ballots, weights)
    np.testing.assert_array_equal(strongest_paths(d), WIKIPEDIA_P)
    margins = strongest_paths(d, "margin")
    assert margins[4, 3] == 31 - 14  # E-(31)-D is the direct link; its margin is 17


@pytest.mark.parametrize(
    ("ballots", "kwargs", "message"),
    [
        ([1, 2, 3], {}, "voters x candidates"),
        ([[1.0, float("nan")]], {}, "NaN"),
        ([[1, 2], [2, 1]], {"weights": [1]}, "one entry per voter"),
        ([[1, 2]], {"weights": [-1]}, "non-negative"),
        ([[1, 2]], {"tie_break": [0, 0]}, "permutation"),
        ([[1, 2]], {"strength": "borda"}, "strength"),
        (np.zeros((2, 0)), {}, "at least one candidate"),
    ],
)
def test_bad_input_is_refused(ballots: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        schulze(ballots, **kwargs)  # type: ignore[arg-type]


def _fixture() -> dict:
    return json.loads(FIXTURE.read_text())


def test_agrees_with_pref_voting_on_the_recorded_profiles() -> None:
    """Cross-check against pref-voting's Beat Path (Schulze) on 300 random profiles with ties, by the
    answers make_pref_voting_fixture.py recorded (pref-voting is in no extra; this runs every time)."""
    fixture = _fixture()
    assert fixture["script"] == "tests/social_choice/make_pref_voting_fixture.py"
    assert (ROOT / fixture["script"]).is_file() and fixture["pref_voting"]
    assert fixture["parameters"]["seed"] == SEED and fixture["parameters"]["profiles"] == PROFILES == 300
    records = fixture["profiles"]
    # the fixture holds exactly the profiles the script generates from its seed
    assert [(r["ballots"], r["weights"]) for r in records] == random_profiles()
    compared = ties = 0
    for record in records:
        ballots, weights = np.array(record["ballots"]), np.array(record["weights"])
        for strength in ("margin", "winning"):
            ours = schulze(ballots, weights, strength=strength).winners
            assert sorted(ours) == record["winners"][strength], (record, strength)
            compared += 1
            ties += len(ours) > 1
    assert compared == 600 and ties > 50  # the profiles exercise ties among the winners


def test_agrees_with_pref_voting_live() -> None:
    """The same comparison against the installed pref-voting, where it is importable (optional: not
    in any extra), and the fixture still matches what it answers."""
    pytest.importorskip("pref_voting")
    for record in _fixture()["profiles"]:
        theirs = pref_voting_winners(record["ballots"], record["weights"])
        for strength, winners in theirs.items():
            ours = schulze(np.array(record["ballots"]), np.array(record["weights"]), strength=strength).winners
            assert sorted(ours) == winners == record["winners"][strength], (record, strength)
