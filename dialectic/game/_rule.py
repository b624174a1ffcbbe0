"""Agreement rules: does a set of accepting groups settle the proposal?"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dialectic.scenario import Agreement


class AgreementRule:
    def __init__(self, agreement: Agreement, group_ids: list[str], shares: list[float], vetoes: list[str]):
        self.agreement = agreement
        self.group_ids = group_ids
        self.shares = dict(zip(group_ids, shares, strict=True))
        self.vetoes = list(vetoes)
        self._share_vector = np.asarray(shares, dtype=np.float64)
        self._veto_rows = [group_ids.index(v) for v in vetoes]

    def passes(self, accepting: Iterable[str]) -> bool:
        accepted = set(accepting).intersection(self.group_ids)
        if any(v not in accepted for v in self.vetoes):
            return False
        rule = self.agreement.rule
        if rule == "unanimous":
            return len(accepted) == len(self.group_ids)
        if rule == "quorum":
            return len(accepted) >= (self.agreement.min_accept or 0)
        return sum(self.shares[g] for g in accepted) > self.agreement.majority_threshold + 1e-12

    def passes_mask(self, accepts: np.ndarray) -> np.ndarray:
        """Vectorised `passes`: accepts is (groups, outcomes) bool; returns (outcomes,) bool."""
        rule = self.agreement.rule
        if rule == "unanimous":
            ok = accepts.all(axis=0)
        elif rule == "quorum":
            ok = accepts.sum(axis=0) >= (self.agreement.min_accept or 0)
        else:
            ok = self._share_vector @ accepts > self.agreement.majority_threshold + 1e-12
        for row in self._veto_rows:
            ok = ok & accepts[row]
        return np.asarray(ok, dtype=bool)

    def describe(self) -> str:
        rule = self.agreement
        text = {
            "unanimous": "every group accepts",
            "quorum": f"at least {rule.min_accept} of {len(self.group_ids)} groups accept",
            "majority": f"accepting shares sum above {rule.majority_threshold:g}",
        }[rule.rule]
        if self.vetoes:
            text += f", including {', '.join(self.vetoes)}"
        return text
