"""The scenario's agreement rule over group ids: the one definition in dialectic.rules, with names."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dialectic.rules import Rule
from dialectic.scenario import Agreement


class AgreementRule:
    def __init__(self, agreement: Agreement, group_ids: list[str], shares: list[float], vetoes: list[str]):
        self.agreement = agreement
        self.group_ids = group_ids
        self.shares = dict(zip(group_ids, shares, strict=True))
        self.vetoes = list(vetoes)
        self._index = {g: k for k, g in enumerate(group_ids)}
        self._share_list = [float(s) for s in shares]
        self._share_vector = np.asarray(shares, dtype=np.float64)
        self.rule = Rule(
            kind=agreement.rule,
            min_accept=int(agreement.min_accept or 0),
            threshold=float(agreement.majority_threshold),
            vetoes=tuple(self._index[v] for v in vetoes),
        )

    def passes(self, accepting: Iterable[str]) -> bool:
        """Do these accepting groups (ids; others ignored) settle the proposal?"""
        indices = {self._index[g] for g in accepting if g in self._index}
        return self.rule.passes_one(indices, self._share_list)

    def passes_mask(self, accepts: np.ndarray) -> np.ndarray:
        """Vectorised `passes`: accepts is (groups, outcomes) bool; returns (outcomes,) bool."""
        return self.rule.passes(accepts, self._share_vector)

    def describe(self) -> str:
        return self.rule.describe(self.group_ids)
