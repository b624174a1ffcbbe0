"""The Borda count against published worked examples, its tie rule and weights, and the claim it is used for: a
Bradley-Terry model fitted to everyone's pooled comparisons ranks the candidates as Borda does (Siththaranjan et
al. 2023)."""

from __future__ import annotations

import numpy as np
import pytest

from dialectic.social_choice import borda, borda_points, schulze
from tests.social_choice.test_schulze import WIKIPEDIA, profile

# Wikipedia, "Borda count", example (Tennessee's capital), per 100 voters: 42 % Memphis > Nashville > Chattanooga >
# Knoxville; 26 % Nashville > Chattanooga > Knoxville > Memphis; 15 % Chattanooga > Knoxville > Nashville > Memphis;
# 17 % Knoxville > Chattanooga > Nashville > Memphis. Published totals (n - 1 points for a first choice):
# Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107.
CITIES = "MNCK"
TENNESSEE = [(42, "MNCK"), (26, "NCKM"), (15, "CKNM"), (17, "KCNM")]
TENNESSEE_TOTALS = {"M": 126, "N": 194, "C": 173, "K": 107}


def test_tennessee_published_totals() -> None:
    ballots, weights = profile(TENNESSEE, CITIES)
    result = borda(ballots, weights)
    assert {c: result.totals[i] for i, c in enumerate(CITIES)} == TENNESSEE_TOTALS
    assert CITIES[result.winner] == "N" and result.winners == [1]
    assert "".join(CITIES[i] for i in result.ranking) == "NCMK"


def test_shares_give_the_same_winner_as_counts() -> None:
    ballots, weights = profile(TENNESSEE, CITIES)
    shares = np.asarray(weights) / 100
    by_share = borda(ballots, shares)
    np.testing.assert_allclose(by_share.totals, np.array([126, 194, 173, 107]) / 100)
    assert by_share.ranking == borda(ballots, weights).ranking


def test_wikipedia_schulze_profile_totals_are_the_rows_of_d() -> None:
    # On strict ballots a candidate's Borda total is the sum of its row of the pairwise matrix d (Schulze's
    # d published for this profile: rows sum to 98, 92, 89, 69, 102): E wins both methods here.
    ballots, weights = profile(WIKIPEDIA, "ABCDE")
    result = borda(ballots, weights)
    np.testing.assert_array_equal(result.totals, [98, 92, 89, 69, 102])
    np.testing.assert_array_equal(result.totals, schulze(ballots, weights).d.sum(axis=1))
    assert result.winner == 4


def test_borda_is_not_condorcet_consistent() -> None:
    # 3 voters A > B > C, 2 voters B > C > A: A beats both others head to head (Schulze: A), Borda: B 7, A 6, C 2.
    ballots, weights = profile([(3, "ABC"), (2, "BCA")], "ABC")
    assert borda(ballots, weights).totals.tolist() == [6, 7, 2]
    assert borda(ballots, weights).winner == 1 and schulze(ballots, weights).winner == 0


def test_ties_share_the_points_and_the_tie_break_orders_winners() -> None:
    # one voter indifferent between its top two: each gets 1.5 of the 3 points a strict ballot would give 2 + 1
    assert borda_points([[5, 5, 1]]).tolist() == [[1.5, 1.5, 0.0]]
    assert borda_points([[2, 2, 2]]).tolist() == [[1.0, 1.0, 1.0]]
    result = borda([[1, 0], [0, 1]])
    assert result.winners == [0, 1] and result.winner == 0
    flipped = borda([[1, 0], [0, 1]], tie_break=[1, 0])
    assert flipped.winners == [1, 0] and flipped.winner == 1 and flipped.ranking == [1, 0]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="permutation"):
        borda([[1, 2]], tie_break=[0, 0])
    with pytest.raises(ValueError, match="one entry per voter"):
        borda([[1, 2]], weights=[1, 2])
    with pytest.raises(ValueError, match="NaN"):
        borda([[np.nan, 1]])


def _pooled_bradley_terry(ballots: np.ndarray, weights: np.ndarray, steps: int = 4000) -> np.ndarray:
    """Rewards of a Bradley-Terry model fitted by gradient ascent to the voters' pooled pairwise comparisons
    (the expected data, infinitely many annotators drawn by weight): who the annotator was is hidden."""
    n = ballots.shape[1]
    wins = np.einsum("v,vxy->xy", weights, (ballots[:, :, None] > ballots[:, None, :]).astype(float))
    r = np.zeros(n)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(r[:, None] - r[None, :])))
        grad = (wins * (1 - p)).sum(axis=1) - (wins.T * p).sum(axis=1)
        r += 0.5 * grad / weights.sum()
        r -= r.mean()
    return r


@pytest.mark.parametrize("example", ["tennessee", "wikipedia"])
def test_a_pooled_bradley_terry_model_ranks_as_borda(example: str) -> None:
    ballots, weights = (profile(TENNESSEE, CITIES) if example == "tennessee" else profile(WIKIPEDIA, "ABCDE"))
    b, w = np.asarray(ballots, float), np.asarray(weights, float)
    rewards = _pooled_bradley_terry(b, w)
    assert list(np.argsort(-rewards)) == borda(b, w).ranking
