"""The DVAO-weighted mediator: contested issues weigh more, by how far apart the groups' stated positions are.

DVAO (arXiv:2605.25604) weights several objectives by their spread instead of fixed constants. The paper was not
available to this implementation; this is the idea as issue 13 states it, with the rule spelled out here:

1. Positions: every group's view on the table when the mediator first speaks (public: what each group has
   stated as its own; before anyone speaks, its opening view).
2. Spread of issue i: the share-weighted mean disagreement between two groups drawn by population share,
   s_i = sum_{g,h} w_g w_h d_i(v_g, v_h), where d_i is 1 when the two positions name different options of a
   categorical issue, and |a - b| / (issue range) on a numeric (continuous) issue. For categorical issues this is
   the Gini-Simpson diversity of the stated options.
3. Weights: lambda_i = s_i / sum_j s_j (uniform when nobody disagrees anywhere).
4. Score of a candidate x: the weighted, share-weighted agreement of the groups with it, issue by issue,
   sum_i lambda_i sum_g w_g (1 - d_i(x_i, v_g,i)).
5. It proposes the outcome with the highest score among the outcomes that pass the rule honestly (reward models
   enter through that set, as for every mediator); ties go to the higher share-weighted mean utility, then to
   the run's seeded generator. It decides once, at its first turn.

So issues everyone states alike weigh nothing (nothing to mediate there) and the contested ones decide; on a
statement pool (one issue) the score is the population share whose view is the candidate itself.
"""

from __future__ import annotations

import numpy as np

from dialectic.dialogue import MediatorObservation
from dialectic.game import Game
from dialectic.space import ContinuousSpace, Outcome
from dialectic.strategies._base import Params, choose, mediator, top
from dialectic.strategies.mediators._chosen import Choice, ChosenMediator, passing, shares


def _coordinates(game: Game, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per issue, the positions as numbers and whether the issue is numeric (continuous: value / range)."""
    space = game.space
    numeric = np.zeros(space.n_issues, dtype=bool)
    values = outcomes.astype(np.float64)
    if isinstance(space, ContinuousSpace):
        for i, grid in enumerate(space.grid):
            span = float(grid.max() - grid.min())
            numeric[i] = True
            values[:, i] = (grid[outcomes[:, i]] - grid.min()) / span if span > 0 else 0.0
    return values, numeric


def _disagreement(a: np.ndarray, b: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """d_i between positions a (..., issues) and b (..., issues), broadcast."""
    return np.where(numeric, np.abs(a - b), (a != b).astype(np.float64))


def issue_weights(game: Game, views: list[Outcome]) -> np.ndarray:
    """lambda_i from the spread of the stated positions (module docstring, steps 2-3)."""
    positions, numeric = _coordinates(game, np.asarray(views, dtype=np.int64))
    w = shares(game)
    pair = _disagreement(positions[:, None, :], positions[None, :, :], numeric)  # g, h, issue
    spread = np.einsum("g,h,ghi->i", w, w, pair)
    total = float(spread.sum())
    return spread / total if total > 0 else np.full(len(spread), 1.0 / len(spread))


def dvao_scores(game: Game, views: list[Outcome], candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's score (step 4) and the issue weights."""
    weights = issue_weights(game, views)
    positions, numeric = _coordinates(game, np.asarray(views, dtype=np.int64))
    points, _ = _coordinates(game, np.asarray(game.space.outcomes[candidates], dtype=np.int64))
    agree = 1.0 - _disagreement(points[:, None, :], positions[None, :, :], numeric)  # candidate, g, issue
    return np.einsum("cgi,g,i->c", agree, shares(game), weights), weights


class DvaoMediator(ChosenMediator):
    name = "dvao"

    def choose(self, obs: MediatorObservation) -> Choice | None:
        candidates = passing(self.game)
        if len(candidates) == 0:
            return None
        views = [obs.table.views[g] for g in self.game.group_ids]
        scores, weights = dvao_scores(self.game, views, candidates)
        full = np.full(self.game.space.size, -np.inf)
        full[candidates] = np.round(scores, 12)
        best_scores = top(full, candidates)
        mean = np.zeros(self.game.space.size)
        mean[best_scores] = shares(self.game) @ self.game.utility_matrix[:, best_scores]
        best = choose(obs.rng, top(mean, best_scores))
        issues = ", ".join(f"{i} {w:.2f}" for i, w in zip(self.game.space.issue_ids, weights, strict=True))
        return Choice(
            self.game.space.at(best),
            f"weighting each issue by how far apart the groups' stated positions are ({issues}), it agrees best "
            f"with the groups' positions ({float(full[best]):.3f}) of the settlements the rule can pass.",
            f"issue weights: {issues}",
        )


@mediator("dvao", "Mediator weighting issues by the spread of the groups' stated positions (DVAO) and proposing the "
          "passing settlement that agrees best with the positions on the contested issues.")
def dvao(params: Params, game: Game) -> DvaoMediator:
    return DvaoMediator(game)
