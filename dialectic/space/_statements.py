"""Statement pools: positions are statements from the scenario's reference list.

The pool is a discrete space of one issue whose options are the statements, so every strategy and
oracle that works on discrete spaces works here. The space is public: what it measures is read from the
statements' text alone, so an agent may use it. Its distance is the pool's ``agent_distance``: lexical
(word-set Jaccard, dialectic.space._lexical) by default, or the embedding distance (1 - cos) / 2
(extra `embed`, dialectic.space._embedding). The evaluator's D on a pool is the reward-profile
distance mean_g |u_g(s) - u_g(t)| (DESIGN.md), which needs every group's rewards: it lives with the
Game (`Game.measure`, dialectic.game._measure), never in the space an agent is handed.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from dialectic.space._discrete import DiscreteSpace, Outcome
from dialectic.space._lexical import lexical_distances

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.scenario import StatementPoolSpec


class StatementSpace(DiscreteSpace):
    def __init__(self, spec: StatementPoolSpec):
        super().__init__(spec)
        self.texts: dict[str, str] = {s.id: s.text for s in spec.statements}
        self.agent_distance = spec.agent_distance

    @cached_property
    def _pairwise(self) -> np.ndarray:
        """The public distance between every two statements, in option order (computed once)."""
        if self.agent_distance == "embedding":
            from dialectic.space._embedding import pool_distances

            return pool_distances(self)
        distances = lexical_distances(self.statement_texts())
        distances.setflags(write=False)
        return distances

    def distance(self, a: Outcome, b: Outcome) -> float:
        return float(self._pairwise[a[0], b[0]])

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        row = self._pairwise[outcome[0]]
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
