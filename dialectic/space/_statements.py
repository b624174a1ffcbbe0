"""Statement pools: positions are statements from the scenario's reference list.

The pool is a discrete space of one issue whose options are the statements, so every strategy and
oracle that works on discrete spaces works here. Only the distance differs: D(s, t) is the
reward-profile distance mean_g |u_g(s) - u_g(t)| (DESIGN.md), since sentence embeddings measure topic
more than stance; it needs the groups' utilities, which the Game hands over once it has built them.
The embedding distance (1 - cos) / 2 is the optional second measure (`embedding_distance`, extra
`embed`; see dialectic.space._embedding).
"""

from __future__ import annotations

import numpy as np

from dialectic.scenario import StatementPoolSpec
from dialectic.space._discrete import DiscreteSpace, Outcome


class StatementSpace(DiscreteSpace):
    def __init__(self, spec: StatementPoolSpec):
        super().__init__(spec)
        self.texts: dict[str, str] = {s.id: s.text for s in spec.statements}
        self._profile: np.ndarray | None = None

    def set_profiles(self, utilities: np.ndarray) -> None:
        """utilities: (groups, statements) normalised utilities, clipped to [0, 1]."""
        self._profile = np.clip(np.asarray(utilities, dtype=np.float64), 0.0, 1.0)
        self._pairwise = np.abs(self._profile[:, :, None] - self._profile[:, None, :]).mean(axis=0)

    def _distances(self) -> np.ndarray:
        if self._profile is None:
            raise ValueError("a statement pool's distance needs the groups' reward profiles (build a Game)")
        return self._pairwise

    def distance(self, a: Outcome, b: Outcome) -> float:
        return float(self._distances()[a[0], b[0]])

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        row = self._distances()[outcome[0]]
        return row if among is None else row[among]

    def text(self, outcome: Outcome) -> str:
        return self.texts[self.options[0][outcome[0]]]

    def statement_texts(self) -> list[str]:
        """Every statement's text in option order (outcome (k,) is text k)."""
        return [self.texts[statement] for statement in self.options[0]]

    def embedding_distance(self, a: Outcome, b: Outcome) -> float:
        """(1 - cos) / 2 between the two statements' sentence embeddings, in [0, 1]; needs the extra
        `embed` (raises ImportError without it)."""
        from dialectic.space._embedding import pool_distances

        return float(pool_distances(self)[a[0], b[0]])
