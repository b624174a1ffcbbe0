"""Pairwise comparisons as arrays: what fitting reads.

A data set is a list of items (statement texts, or outcomes of a scenario's discrete space written as a
canonical JSON key), a list of annotators with their known true group (or None), and three int64 arrays
over comparisons: the chosen item, the rejected item, the annotator. Subsets keep the item and annotator
lists whole, so indices mean the same in a training set and its held-out parts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from dialectic.preferences._comparison import Comparison
from dialectic.preferences._error import PreferenceError

ItemKind = Literal["text", "outcome"]


def outcome_key(outcome: Mapping[str, str]) -> str:
    """The canonical item key of an outcome {issue_id: option_id}: compact JSON with sorted keys."""
    return json.dumps(dict(outcome), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _index_array(values: object) -> np.ndarray:
    array = np.array(values, dtype=np.int64, copy=True).reshape(-1)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PreferenceData:
    """Comparisons `chosen[i]` over `rejected[i]` by `annotators[annotator[i]]` (indices into `items`).

    `groups[a]` is annotator a's known true group (None where unknown): evaluation truth, never read by
    fitting. `contexts`/`context` hold the optional per-comparison context (index into `contexts`, -1 for
    none; `context` is None when no comparison has one). Arrays are int64 and read-only.
    """

    items: tuple[str, ...]
    item_kind: ItemKind
    annotators: tuple[str, ...]
    chosen: np.ndarray
    rejected: np.ndarray
    annotator: np.ndarray
    groups: tuple[str | None, ...]
    source: str
    contexts: tuple[str, ...] = ()
    context: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        for name in ("chosen", "rejected", "annotator"):
            object.__setattr__(self, name, _index_array(getattr(self, name)))
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "annotators", tuple(self.annotators))
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "contexts", tuple(self.contexts))
        if self.context is not None:
            context = _index_array(self.context)
            object.__setattr__(self, "context", None if (context < 0).all() else context)
        self._check()

    def _check(self) -> None:
        """Invariants; a violation is a PreferenceError naming the source (a bug in a reader, or bad arrays)."""
        def fail(what: str, expected: str, found: object) -> None:
            raise PreferenceError(self.source, None, what, expected, found)

        n = len(self.chosen)
        if self.item_kind not in ("text", "outcome"):
            fail("item_kind", "'text' or 'outcome'", self.item_kind)
        if len(self.rejected) != n or len(self.annotator) != n:
            fail("arrays", "chosen, rejected and annotator of one length",
                 f"{n}, {len(self.rejected)}, {len(self.annotator)}")
        if len(set(self.items)) != len(self.items):
            fail("items", "distinct item keys", "a repeated item")
        if len(set(self.annotators)) != len(self.annotators):
            fail("annotators", "distinct annotator ids", "a repeated annotator")
        if len(self.groups) != len(self.annotators):
            fail("groups", f"one group (or None) per annotator ({len(self.annotators)})", len(self.groups))
        for name, array, size in (("chosen", self.chosen, len(self.items)), ("rejected", self.rejected,
                                  len(self.items)), ("annotator", self.annotator, len(self.annotators))):
            if n and (array.min() < 0 or array.max() >= size):
                fail(name, f"indices in [0, {size})", f"[{array.min()}, {array.max()}]")
        if n and (self.chosen == self.rejected).any():
            i = int(np.flatnonzero(self.chosen == self.rejected)[0])
            fail("rejected", "an item other than the chosen one", f"comparison {i}: {self.items[self.chosen[i]]}")
        if self.context is not None:
            if len(self.context) != n:
                fail("context", f"one context index per comparison ({n})", len(self.context))
            if self.context.max() >= len(self.contexts):
                fail("context", f"indices in [-1, {len(self.contexts)})", int(self.context.max()))

    # -- sizes -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.chosen)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_annotators(self) -> int:
        return len(self.annotators)

    @cached_property
    def per_annotator(self) -> np.ndarray:
        """(n_annotators,) number of comparisons each annotator made in this data set."""
        return np.bincount(self.annotator, minlength=self.n_annotators)

    # -- truth -------------------------------------------------------------------------------------------
    @cached_property
    def group_names(self) -> tuple[str, ...]:
        """The known true groups, sorted."""
        return tuple(sorted({g for g in self.groups if g is not None}))

    @cached_property
    def true_group(self) -> np.ndarray:
        """(n_annotators,) int64 index of each annotator's true group in `group_names`, -1 where unknown."""
        lookup = {g: k for k, g in enumerate(self.group_names)}
        return np.array([lookup[g] if g is not None else -1 for g in self.groups], dtype=np.int64)

    @property
    def has_groups(self) -> bool:
        """Every annotator's true group is known."""
        return all(g is not None for g in self.groups)

    # -- items -------------------------------------------------------------------------------------------
    def item(self, i: int) -> str | dict[str, str]:
        """Item i as a Comparison holds it: the text, or the outcome {issue: option}."""
        return self.outcome(i) if self.item_kind == "outcome" else self.items[i]

    def outcome(self, i: int) -> dict[str, str]:
        """Item i as an outcome {issue_id: option_id} (outcome data only)."""
        if self.item_kind != "outcome":
            raise ValueError(f"{self.source}: items are statement texts, not outcomes")
        parsed: dict[str, str] = json.loads(self.items[i])
        return parsed

    # -- identity ----------------------------------------------------------------------------------------
    def sha256(self) -> str:
        """Content hash of the comparisons, in order: for each, the annotator's id, the chosen and rejected
        item keys and the context, with the item kind. Independent of how items and annotators happen to be
        numbered (a written and re-read file hashes the same) and of items or annotators no comparison
        uses; not covering the true groups (truth does not change what a fit sees) nor the source path."""
        digest = hashlib.sha256()
        parts: dict[str, tuple[str, ...]] = {"item_kind": (self.item_kind,)}
        arrays: list[np.ndarray] = []
        for name, keys, columns in (("items", self.items, (self.chosen, self.rejected)),
                                    ("annotators", self.annotators, (self.annotator,)),
                                    ("contexts", self.contexts, () if self.context is None else (self.context,))):
            used = np.unique(np.concatenate([c[c >= 0] for c in columns])) if columns else np.zeros(0, np.int64)
            order = sorted(range(len(used)), key=lambda k: keys[used[k]])
            rank = np.full(len(keys) + 1, -1, dtype=np.int64)  # the last slot maps -1 (no context) to -1
            rank[used[order]] = np.arange(len(used))
            parts[name] = tuple(keys[used[k]] for k in order)
            arrays += [rank[c] for c in columns]
        digest.update(json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        for array in arrays:
            digest.update(b"\0")
            digest.update(array.astype("<i8").tobytes())
        return digest.hexdigest()

    # -- parts -------------------------------------------------------------------------------------------
    def subset(self, mask: np.ndarray) -> PreferenceData:
        """The comparisons where `mask` (bool, one per comparison; or an int index array) is True, in
        order. Items, annotators and groups stay whole, so indices keep their meaning."""
        mask = np.asarray(mask)
        if mask.dtype == bool and mask.shape != (len(self),):
            raise ValueError(f"mask of shape {mask.shape} for {len(self)} comparisons")
        return PreferenceData(
            items=self.items, item_kind=self.item_kind, annotators=self.annotators,
            chosen=self.chosen[mask], rejected=self.rejected[mask], annotator=self.annotator[mask],
            groups=self.groups, source=self.source, contexts=self.contexts,
            context=None if self.context is None else self.context[mask],
        )

    def comparisons(self) -> Iterator[Comparison]:
        """Each comparison as a Comparison (what a JSONL line holds)."""
        for i in range(len(self)):
            a = int(self.annotator[i])
            context = None if self.context is None or self.context[i] < 0 else self.contexts[self.context[i]]
            yield Comparison(annotator=self.annotators[a], chosen=self.item(int(self.chosen[i])),
                             rejected=self.item(int(self.rejected[i])), group=self.groups[a], context=context)

    @classmethod
    def from_comparisons(cls, comparisons: Iterable[Comparison], source: str = "<comparisons>") -> PreferenceData:
        """Build from Comparison objects (item i = i-th in the list, where errors point)."""
        builder = Builder(source)
        for line, comparison in enumerate(comparisons, start=1):
            builder.add(comparison, line)
        return builder.build()


class Builder:
    """Collects Comparisons one by one, checking what a single line cannot: one item kind throughout,
    outcomes that name the same issues, one group per annotator."""

    def __init__(self, source: str):
        self.source = source
        self.items: dict[str, int] = {}
        self.annotators: dict[str, int] = {}
        self.groups: list[str | None] = []
        self.group_line: list[int] = []
        self.contexts: dict[str, int] = {}
        self.chosen: list[int] = []
        self.rejected: list[int] = []
        self.annotator: list[int] = []
        self.context: list[int] = []
        self.kind: ItemKind | None = None
        self.kind_line = 0
        self.issues: tuple[str, ...] | None = None
        self.outcomes: dict[tuple[tuple[str, str], ...], int] = {}  # sorted (issue, option) pairs -> item

    def _fail(self, line: int, field: str, expected: str, found: object) -> PreferenceError:
        return PreferenceError(self.source, line, field, expected, found)

    def _item(self, value: str | dict[str, str], line: int, name: str) -> int:
        kind: ItemKind = "text" if isinstance(value, str) else "outcome"
        if self.kind is None:
            self.kind, self.kind_line = kind, line
        elif kind != self.kind:
            what = "a statement text" if self.kind == "text" else "an outcome {issue: option}"
            raise self._fail(line, name, f"{what}, like line {self.kind_line} (one item kind per file)", value)
        if isinstance(value, str):
            return self.items.setdefault(value, len(self.items))
        pairs = tuple(sorted(value.items()))
        known = self.outcomes.get(pairs)
        if known is not None:
            return known
        issues = tuple(issue for issue, _ in pairs)
        if self.issues is None:
            self.issues = issues
        elif issues != self.issues:
            raise self._fail(line, name, f"an outcome naming the issues {list(self.issues)} (like line "
                             f"{self.kind_line})", f"issues {list(issues)}")
        index = self.outcomes[pairs] = self.items.setdefault(outcome_key(value), len(self.items))
        return index

    def add(self, comparison: Comparison, line: int) -> None:
        chosen = self._item(comparison.chosen, line, "chosen")
        rejected = self._item(comparison.rejected, line, "rejected")
        if chosen == rejected:
            raise self._fail(line, "rejected", "an item other than the chosen one", comparison.rejected)
        a = self.annotators.setdefault(comparison.annotator, len(self.annotators))
        if a == len(self.groups):
            self.groups.append(comparison.group)
            self.group_line.append(line)
        elif self.groups[a] != comparison.group:
            raise self._fail(line, "group", f"{self.groups[a]!r}, the group annotator {comparison.annotator!r} "
                             f"has on line {self.group_line[a]} (one group per annotator)", repr(comparison.group))
        self.chosen.append(chosen)
        self.rejected.append(rejected)
        self.annotator.append(a)
        self.context.append(-1 if comparison.context is None
                            else self.contexts.setdefault(comparison.context, len(self.contexts)))

    def build(self) -> PreferenceData:
        if not self.chosen:
            raise PreferenceError(self.source, None, "<file>", "at least one comparison", "none")
        assert self.kind is not None
        return PreferenceData(
            items=tuple(self.items), item_kind=self.kind, annotators=tuple(self.annotators),
            chosen=np.array(self.chosen, dtype=np.int64), rejected=np.array(self.rejected, dtype=np.int64),
            annotator=np.array(self.annotator, dtype=np.int64), groups=tuple(self.groups), source=self.source,
            contexts=tuple(self.contexts), context=np.array(self.context, dtype=np.int64) if self.contexts else None,
        )
