"""Statement pools: positions are statements from the scenario's reference list, or statements generated
during a run.

The pool is a discrete space of one issue whose options are the statements, so every strategy and
oracle that works on discrete spaces works here. The space is public: what it measures is read from the
statements' text alone, so an agent may use it. Its distance is the pool's ``agent_distance``: lexical
(word-set Jaccard, dialectic.space._lexical) by default, or the embedding distance (1 - cos) / 2
(extra `embed`, dialectic.space._embedding). The evaluator's D on a pool is the reward-profile
distance mean_g |u_g(s) - u_g(t)| (DESIGN.md), which needs every group's rewards: it lives with the
Game (`Game.measure`, dialectic.game._measure), never in the space an agent is handed.

Generated statements (an LLM agent's own words, `views: free`, docs/llm.md) join the space as outcomes
beyond the reference pool: the text's outcome is ``(k,)`` with ``k >= size``, numbered in the order the
space first saw each text, and its id is ``gen-`` and the first 12 hex digits of the SHA-256 of the text
(whitespace collapsed), so the same text has the same id in every run, trace and process. The reference
pool is unchanged by them: ``size``, ``options`` and ``outcomes`` (what oracles enumerate and utilities
are normalised over) are the pool's alone. A text equal to a pool statement's is that statement. The
space holds only texts, never a reward.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from dialectic.space._discrete import DiscreteSpace, Outcome
from dialectic.space._lexical import lexical_distance, lexical_distances

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.scenario import StatementPoolSpec

#: Prefix of a generated statement's id; the rest is the first GENERATED_DIGITS hex digits of its SHA-256.
GENERATED_PREFIX = "gen-"
GENERATED_DIGITS = 12


def normalise_text(text: str) -> str:
    """A statement's text as the space keeps it: runs of whitespace collapsed to one space, ends stripped."""
    return " ".join(str(text).split())


def generated_id(text: str) -> str:
    """The id of a generated statement: ``gen-`` + the first 12 hex digits of SHA-256(normalised text)."""
    digest = hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
    return GENERATED_PREFIX + digest[:GENERATED_DIGITS]


class StatementSpace(DiscreteSpace):
    def __init__(self, spec: StatementPoolSpec):
        super().__init__(spec)
        self.texts: dict[str, str] = {s.id: s.text for s in spec.statements}
        self.agent_distance = spec.agent_distance
        self._pool_by_text: dict[str, int] = {}
        for k, text in enumerate(self.statement_texts()):
            self._pool_by_text.setdefault(normalise_text(text), k)
        #: Generated statements' ids in the order first seen; generated statement j is outcome (size + j,).
        self._generated: list[str] = []
        self._generated_at: dict[str, int] = {}
        self._rows: dict[tuple[int, str], np.ndarray] = {}
        self._lock = threading.Lock()

    # -- generated statements --------------------------------------------------------------------------
    def admit(self, text: str) -> Outcome:
        """The outcome of a statement's text: the pool statement with this text, else the generated
        statement with it (registered on first sight). Raises ValueError for an empty text."""
        clean = normalise_text(text)
        if not clean:
            raise ValueError("a statement needs some words, found an empty text")
        pooled = self._pool_by_text.get(clean)
        if pooled is not None:
            return (pooled,)
        sid = generated_id(clean)
        with self._lock:
            known = self._generated_at.get(sid)
            if known is not None:
                if self.texts[sid] != clean:  # 48 bits of SHA-256: never seen, but never silently merged
                    raise ValueError(f"generated statement id {sid} names two texts: {self.texts[sid]!r} and {clean!r}")
                return (known,)
            if sid in self._option_index[0]:
                raise ValueError(f"generated statement id {sid} is a statement id of the reference pool")
            index = self.size + len(self._generated)
            self._generated.append(sid)
            self._generated_at[sid] = index
            self.texts[sid] = clean
            return (index,)

    def is_generated(self, outcome: Outcome) -> bool:
        return len(outcome) == 1 and outcome[0] >= self.size

    def generated(self) -> list[tuple[str, str]]:
        """(id, text) of every generated statement this space holds, in the order first seen."""
        with self._lock:
            return [(sid, self.texts[sid]) for sid in self._generated]

    def adopt(self, other: StatementSpace) -> None:
        """Admit another space's generated statements in their order (a space built afresh for the same
        run, e.g. a counterfactual game, then numbers them as the run did)."""
        for _, text in other.generated():
            self.admit(text)

    def statement_id(self, k: int) -> str:
        """The id of outcome (k,): a pool statement's, or a generated statement's ``gen-...``."""
        if k < self.size:
            return self.options[0][k]
        try:
            return self._generated[k - self.size]
        except IndexError:
            raise IndexError(f"outcome ({k},) is neither a statement of the pool nor a generated one") from None

    # -- the space's interface, over pool and generated statements ------------------------------------
    def names(self, outcome: Outcome) -> dict[str, str]:
        return {self.issue_ids[0]: self.statement_id(outcome[0])}

    def label(self, outcome: Outcome) -> str:
        return self.statement_id(outcome[0])

    def parse(self, named: Mapping[str, object]) -> Outcome:
        value = named.get(self.issue_ids[0]) if len(named) == 1 else None
        if len(named) == 1 and self.issue_ids[0] in named and not isinstance(value, str):
            raise ValueError(f"issue {self.issue_ids[0]}: expected a statement id, found {value!r}")
        if isinstance(value, str) and value.startswith(GENERATED_PREFIX) and value not in self._option_index[0]:
            with self._lock:
                index = self._generated_at.get(value)
            if index is None:
                raise ValueError(f"issue {self.issue_ids[0]}: {value!r} is no generated statement this run has "
                                 "stated (its text is recorded in the trace's statement events)")
            return (index,)
        return super().parse(named)

    def is_valid(self, outcome: Sequence[int]) -> bool:
        return len(outcome) == 1 and isinstance(outcome[0], int) and 0 <= outcome[0] < self.size + len(self._generated)

    def at(self, flat_index: int) -> Outcome:
        return (int(flat_index),)

    def text(self, outcome: Outcome) -> str:
        return self.texts[self.statement_id(outcome[0])]

    def statement_texts(self) -> list[str]:
        """Every pool statement's text in option order (outcome (k,) is text k); generated ones are not here."""
        return [self.texts[statement] for statement in self.options[0]]

    # -- the public distance ---------------------------------------------------------------------------
    @cached_property
    def _pairwise(self) -> np.ndarray:
        """The public distance between every two statements of the pool, in option order (computed once)."""
        if self.agent_distance == "embedding":
            from dialectic.space._embedding import pool_distances

            return pool_distances(self)
        distances = lexical_distances(self.statement_texts())
        distances.setflags(write=False)
        return distances

    def _row(self, k: int) -> np.ndarray:
        """The public distance from statement k (pool or generated) to every pool statement."""
        return self._pairwise[k] if k < self.size else self._generated_row(k, self.agent_distance)

    def _generated_row(self, k: int, measure: str) -> np.ndarray:
        """The distance (lexical or embedding) from generated statement k to every pool statement, in option
        order; computed once per statement and measure (the pool's embeddings are the ones its pairwise
        distances were computed from, dialectic.space._embedding.pool_vectors)."""
        row = self._rows.get((k, measure))
        if row is None:
            text = self.text((k,))
            if measure == "embedding":
                from dialectic.space._embedding import encoder, pool_vectors

                row = np.clip((1.0 - pool_vectors(self) @ encoder().encode([text])[0]) / 2.0, 0.0, 1.0)
            else:
                row = lexical_distances([text, *self.statement_texts()])[0, 1:]
            row.setflags(write=False)
            self._rows[(k, measure)] = row
        return row

    def distance(self, a: Outcome, b: Outcome) -> float:
        if a[0] < self.size and b[0] < self.size:
            return float(self._pairwise[a[0], b[0]])
        return self._distance(a, b, self.agent_distance)

    def _distance(self, a: Outcome, b: Outcome, measure: str) -> float:
        """The distance between two statements, at least one of them generated."""
        if a[0] == b[0]:
            return 0.0
        if a[0] >= self.size and b[0] >= self.size:  # two generated statements: measured on their texts
            if measure == "embedding":
                from dialectic.space._embedding import embedding_distance

                return embedding_distance(self.text(a), self.text(b))
            return lexical_distance(self.text(a), self.text(b))
        generated, pooled = (a, b) if a[0] >= self.size else (b, a)
        return float(self._generated_row(generated[0], measure)[pooled[0]])

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        """The public distance from ``outcome`` (pool or generated) to every pool statement, or to the pool
        statements at ``among``."""
        row = self._row(outcome[0])
        return row if among is None else row[among]

    def embedding_distance(self, a: Outcome, b: Outcome) -> float:
        """(1 - cos) / 2 between the two statements' sentence embeddings, in [0, 1]; needs the extra
        `embed` (raises ImportError without it)."""
        if a[0] < self.size and b[0] < self.size:
            from dialectic.space._embedding import pool_distances

            return float(pool_distances(self)[a[0], b[0]])
        return self._distance(a, b, "embedding")
