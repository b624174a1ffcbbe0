"""The agreement rule over group indices, defined once (DESIGN.md, "The dialogue model").

unanimous: every group accepts; quorum: at least ``min_accept`` groups accept; majority: the accepting
groups' shares sum above ``threshold`` (by more than MAJORITY_TOL, so float noise in a sum never passes a
proposal); groups in ``vetoes`` must accept under every rule.

:meth:`Rule.verdict` is the definition: it reads three tallies (do all vetoes accept, how many accept, what
share accepts). :meth:`Rule.passes` (stances of many outcomes at once), :meth:`Rule.passes_one` (one set of
accepting groups, the engine's per-turn question) and the oracles' block-wise enumeration only count.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

RuleKind = Literal["unanimous", "quorum", "majority"]
#: A share-majority passes iff the accepting shares sum above threshold + MAJORITY_TOL.
MAJORITY_TOL = 1e-12

Tally = TypeVar("Tally", bool, np.ndarray)


@dataclass(frozen=True)
class Rule:
    kind: RuleKind = "unanimous"
    min_accept: int = 0
    threshold: float = 0.5
    vetoes: tuple[int, ...] = ()

    def verdict(self, vetoes_accept: Tally, count: Tally | int, share: Tally | float, n_groups: int) -> Tally:
        """The rule itself, on tallies (bools and numbers, or arrays of them, one entry per outcome), for a
        game of ``n_groups`` groups."""
        if self.kind == "unanimous":
            ok = count >= n_groups
        elif self.kind == "quorum":
            ok = count >= self.min_accept
        else:
            ok = share > self.threshold + MAJORITY_TOL
        return vetoes_accept & ok  # type: ignore[operator, no-any-return]

    def passes(self, accepts: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """accepts: (groups, n) bool; returns (n,) bool: does the rule pass with these acceptances?"""
        accepts = np.asarray(accepts, dtype=bool)
        vetoes = accepts[list(self.vetoes)].all(axis=0) if self.vetoes else np.ones(accepts.shape[1:], dtype=bool)
        count = np.count_nonzero(accepts, axis=0)
        share = np.asarray(shares, dtype=np.float64) @ accepts if self.kind == "majority" else 0.0
        return np.asarray(self.verdict(vetoes, count, share, accepts.shape[0]), dtype=bool)

    def passes_one(self, accepting: Collection[int], shares: Sequence[float]) -> bool:
        """One set of accepting group indices (each counted once); ``shares`` of every group, in index order."""
        accepted = set(accepting)
        share = sum(shares[g] for g in accepted) if self.kind == "majority" else 0.0
        return bool(self.verdict(all(v in accepted for v in self.vetoes), len(accepted), share, len(shares)))

    def describe(self, group_ids: Sequence[str]) -> str:
        text = {
            "unanimous": "every group accepts",
            "quorum": f"at least {self.min_accept} of {len(group_ids)} groups accept",
            "majority": f"accepting shares sum above {self.threshold:g}",
        }[self.kind]
        if self.vetoes:
            text += ", including " + ", ".join(group_ids[v] for v in self.vetoes)
        return text
