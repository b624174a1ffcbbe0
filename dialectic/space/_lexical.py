"""The lexical distance between statements: the public distance agents use on statement pools by default.

D_lex(s, t) = 1 - |W(s) & W(t)| / |W(s) | W(t)|, the Jaccard distance between the statements' sets of
words, where W(s) is the set of lower-cased word tokens (Unicode ``\\w+`` runs) of s; two statements with
no words at all are at distance 0 from each other and 1 from any other. It reads nothing but the texts,
so it is public: every agent may compute it (DESIGN.md, "What an agent knows"), unlike the evaluator's
reward-profile distance, which is built from every group's rewards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> frozenset[str]:
    return frozenset(token.lower() for token in _WORD.findall(text))


def lexical_distances(texts: Sequence[str]) -> np.ndarray:
    """(n, n) matrix of D_lex between the texts, in [0, 1], exactly 0 on the diagonal."""
    sets = [words(text) for text in texts]
    vocabulary = {w: k for k, w in enumerate(sorted(set().union(*sets)))}
    incidence = np.zeros((len(sets), max(len(vocabulary), 1)))
    for row, bag in enumerate(sets):
        incidence[row, [vocabulary[w] for w in bag]] = 1.0
    common = incidence @ incidence.T
    sizes = incidence.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - common
    with np.errstate(invalid="ignore", divide="ignore"):
        distances = np.where(union > 0, 1.0 - common / np.where(union > 0, union, 1.0), 0.0)
    empty = sizes == 0
    distances[np.logical_xor(empty[:, None], empty[None, :])] = 1.0
    np.fill_diagonal(distances, 0.0)
    return distances


def lexical_distance(a: str, b: str) -> float:
    return float(lexical_distances([a, b])[0, 1])
