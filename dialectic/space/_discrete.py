"""Discrete multi-issue outcome space: an outcome picks one option per issue.

Internally an outcome is a tuple of option indices (`Outcome`), and every outcome of an enumerable
space has a flat index in mixed radix, so per-group utilities can be precomputed as one vector and
looked up in O(issues).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.scenario import DiscreteSpaceSpec, StatementPoolSpec

Outcome = tuple[int, ...]

#: Largest space enumerated as a dense array (outcomes x issues); larger ones need the solvers.
ENUMERATION_LIMIT = 5_000_000

#: How many outcomes' flat indices `DiscreteSpace.index` remembers (a run looks up the same few often).
INDEX_MEMO_LIMIT = 100_000


class DiscreteSpace:
    def __init__(self, spec: DiscreteSpaceSpec | StatementPoolSpec):
        self.spec = spec
        self.issue_ids: list[str] = [issue.id for issue in spec.issues]
        self.options: list[list[str]] = [list(issue.options) for issue in spec.issues]
        self.radix = np.array([len(o) for o in self.options], dtype=np.int64)
        self.size = int(np.prod(self.radix))
        strides = np.ones(len(self.radix), dtype=np.int64)
        for i in range(len(self.radix) - 2, -1, -1):
            strides[i] = strides[i + 1] * self.radix[i + 1]
        self.strides = strides
        self._strides_list = [int(s) for s in strides]
        self._radix_list = [len(o) for o in self.options]
        self._option_index = [{name: k for k, name in enumerate(opts)} for opts in self.options]
        self._index_memo: dict[Outcome, int] = {}

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    @cached_property
    def outcomes(self) -> np.ndarray:
        """All outcomes as an (N, issues) int array in flat-index order (first issue slowest)."""
        if self.size > ENUMERATION_LIMIT:
            raise ValueError(f"space of {self.size} outcomes is too large to enumerate")
        flat = np.arange(self.size, dtype=np.int64)
        return ((flat[:, None] // self.strides[None, :]) % self.radix[None, :]).astype(np.int16)

    def index(self, outcome: Outcome) -> int:
        """Flat index of an outcome; memoised, since a dialogue looks up the same outcomes every turn."""
        try:
            return self._index_memo[outcome]
        except KeyError:
            flat = self._flat_index(outcome)
            if len(self._index_memo) < INDEX_MEMO_LIMIT:
                self._index_memo[outcome] = flat
            return flat
        except TypeError:  # an unhashable sequence (a list): compute, do not memoise
            return self._flat_index(outcome)

    def _flat_index(self, outcome: Sequence[int]) -> int:
        return sum(o * s for o, s in zip(outcome, self._strides_list, strict=True))

    def index_many(self, outcomes: np.ndarray) -> np.ndarray:
        return np.asarray(outcomes, dtype=np.int64) @ self.strides

    def at(self, flat_index: int) -> Outcome:
        return tuple(self.outcomes[flat_index].tolist())

    def parse(self, named: Mapping[str, object]) -> Outcome:
        """Outcome from {issue id: option id}; raises KeyError/ValueError naming the bad part."""
        missing = [i for i in self.issue_ids if i not in named]
        unknown = [i for i in named if i not in self._option_index_by_issue]
        if missing or unknown:
            raise ValueError(f"outcome must name every issue ({self.issue_ids}); missing {missing}, unknown {unknown}")
        picked = []
        for issue_id, lookup in zip(self.issue_ids, self._option_index, strict=True):
            option = named[issue_id]
            if option not in lookup or not isinstance(option, str):
                raise ValueError(f"issue {issue_id}: expected one of {list(lookup)}, found {option!r}")
            picked.append(lookup[option])
        return tuple(picked)

    @cached_property
    def _option_index_by_issue(self) -> dict[str, dict[str, int]]:
        return dict(zip(self.issue_ids, self._option_index, strict=True))

    def names(self, outcome: Outcome) -> dict[str, str]:
        return {issue: opts[k] for issue, opts, k in zip(self.issue_ids, self.options, outcome, strict=True)}

    def label(self, outcome: Outcome) -> str:
        return ",".join(opts[k] for opts, k in zip(self.options, outcome, strict=True))

    def text(self, outcome: Outcome) -> str:
        """The outcome in words, one "issue: option" per issue (what a text reward model reads)."""
        parts = []
        for issue, k in zip(self.spec.issues, outcome, strict=True):
            names = getattr(issue, "option_names", None)
            option = names[k] if names else issue.options[k]
            parts.append(f"{issue.name or issue.id}: {option}")
        return "; ".join(parts)

    def is_generated(self, outcome: Outcome) -> bool:
        """Is ``outcome`` a statement generated during a run, beyond the enumerated space? Only a statement
        pool holds such outcomes (StatementSpace.admit); here, never."""
        return False

    def is_valid(self, outcome: Sequence[int]) -> bool:
        return len(outcome) == self.n_issues and all(
            isinstance(k, int) and 0 <= k < r for k, r in zip(outcome, self._radix_list, strict=False)
        )

    def distance(self, a: Outcome, b: Outcome) -> float:
        """Share of issues on which the two outcomes differ (D in [0, 1])."""
        return sum(x != y for x, y in zip(a, b, strict=True)) / self.n_issues

    def distances_to(self, outcome: Outcome, among: np.ndarray | None = None) -> np.ndarray:
        """D from `outcome` to every outcome in flat-index order, or to the outcomes at the flat
        indices `among` (in that order)."""
        differ = (self._columns != np.asarray(outcome, dtype=np.int16)[:, None]).sum(axis=0)
        distance = differ / self.n_issues
        return distance if among is None else distance[among]

    @cached_property
    def _columns(self) -> np.ndarray:
        """`outcomes` issue by issue (issues, N), contiguous: comparisons run along the long axis."""
        return np.ascontiguousarray(self.outcomes.T)

    def diff(self, a: Outcome, b: Outcome) -> list[int]:
        """Indices of the issues where a and b differ."""
        return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
