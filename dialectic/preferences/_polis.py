"""Pairwise comparisons from a Polis conversation's votes (compdemocracy/openData, CC BY 4.0: data gathered
with the Polis software, compdemocracy.org/polis, The Computational Democracy Project).

A participant who agrees (1) with statement a and disagrees (-1) with statement b is taken to prefer a to
b; with ``pass_pairs`` also agree over pass (0) and pass over disagree. Items are the comments' texts, by
the scenario importer's rule (dialectic.scenario.importers.polis.comment_texts: whitespace normalised,
comments moderated out (-1) and empty bodies dropped); annotators are the participants who yield at least
one comparison; a participant's group is Polis's own `group-id` (empty: None), truth for evaluation only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.preferences._data import PreferenceData
from dialectic.preferences._error import PreferenceError
from dialectic.scenario import ScenarioError
from dialectic.scenario.importers.polis import comment_texts, read_rows

#: Comparison kinds, in the order a participant's comparisons are listed.
AGREE_DISAGREE = "agree>disagree"
AGREE_PASS = "agree>pass"
PASS_DISAGREE = "pass>disagree"
VOTES = {"1": 0, "0": 1, "-1": 2}  # vote -> position in (agree, pass, disagree)


class PolisCounts(BaseModel):
    """What reading a Polis folder found: participants in the votes file, those with a Polis group, those
    who yield a comparison (the annotators); statements kept (the items) and the votes on them; comparisons
    by kind; pairs skipped because two kept comments have the same text."""

    model_config = ConfigDict(extra="forbid")

    folder: str
    pass_pairs: bool
    participants: int
    with_group: int
    annotators: int
    annotators_with_group: int
    statements: int
    votes: dict[str, int]
    comparisons: dict[str, int]
    total: int
    same_text_skipped: int


def _rows(path: Path, required: list[str]) -> list[dict[str, str]]:
    try:
        return read_rows(path, required)
    except ScenarioError as error:
        first = error.errors[0]
        raise PreferenceError(first.file, None, first.path or "<file>", first.expected, first.found) from None


def read_polis_comparisons(folder: str | Path, *, pass_pairs: bool = False) -> tuple[PreferenceData, PolisCounts]:
    """Read `comments.csv` and `participants-votes.csv` of one Polis export folder into comparisons.

    Comparisons are listed participant by participant (file order), agree>disagree pairs first, then
    (with pass_pairs) agree>pass and pass>disagree, statements in comment-id order within each. A missing
    file or column, a repeated participant or a vote other than 1, 0, -1 or empty is a PreferenceError
    naming the file, line and column."""
    folder = Path(folder)
    comments = _rows(folder / "comments.csv", ["comment-id", "moderated", "comment-body"])
    votes_path = folder / "participants-votes.csv"
    participants = _rows(votes_path, ["participant", "group-id"])
    texts = comment_texts(comments)
    ids = sorted(texts, key=lambda c: (0, int(c), c) if c.isdigit() else (1, 0, c))
    items: dict[str, int] = {}
    item_of = {c: items.setdefault(texts[c], len(items)) for c in ids}
    kinds = [AGREE_DISAGREE] + ([AGREE_PASS, PASS_DISAGREE] if pass_pairs else [])
    pairs_of_kind = {AGREE_DISAGREE: (0, 2), AGREE_PASS: (0, 1), PASS_DISAGREE: (1, 2)}
    counts = dict.fromkeys(kinds, 0)
    votes = {"agree": 0, "pass": 0, "disagree": 0}
    chosen: list[np.ndarray] = []
    rejected: list[np.ndarray] = []
    annotator: list[np.ndarray] = []
    annotators: list[str] = []
    groups: list[str | None] = []
    seen: dict[str, int] = {}
    skipped = 0
    for row_index, row in enumerate(participants):
        line = row_index + 2  # the header is line 1; the votes file has no multi-line fields
        participant = row["participant"].strip()
        if participant in seen:
            raise PreferenceError(str(votes_path), line, "participant",
                                  f"each participant once (already on line {seen[participant]})", participant)
        seen[participant] = line
        by_vote: tuple[list[int], list[int], list[int]] = ([], [], [])
        for comment_id in ids:
            value = (row.get(comment_id) or "").strip()
            if not value:
                continue
            if value not in VOTES:
                raise PreferenceError(str(votes_path), line, comment_id, "a vote 1, 0, -1 or empty", value)
            by_vote[VOTES[value]].append(item_of[comment_id])
        for name, kept in zip(votes, by_vote, strict=True):
            votes[name] += len(kept)
        a = len(annotators)
        found = 0
        for kind in kinds:
            better, worse = (np.array(by_vote[k], dtype=np.int64) for k in pairs_of_kind[kind])
            c, r = np.repeat(better, len(worse)), np.tile(worse, len(better))
            keep = c != r
            skipped += int((~keep).sum())
            c, r = c[keep], r[keep]
            counts[kind] += len(c)
            found += len(c)
            chosen.append(c)
            rejected.append(r)
            annotator.append(np.full(len(c), a, dtype=np.int64))
        if found:
            group = row["group-id"].strip()
            annotators.append(participant)
            groups.append(group or None)
    data = PreferenceData(
        items=tuple(items), item_kind="text", annotators=tuple(annotators),
        chosen=np.concatenate(chosen) if chosen else np.zeros(0, np.int64),
        rejected=np.concatenate(rejected) if rejected else np.zeros(0, np.int64),
        annotator=np.concatenate(annotator) if annotator else np.zeros(0, np.int64),
        groups=tuple(groups), source=str(folder),
    )
    if not len(data):
        raise PreferenceError(str(votes_path), None, "votes",
                              "a participant who agrees with one kept statement and disagrees with another"
                              + (" (or passes on one)" if pass_pairs else ""), "no such participant")
    report = PolisCounts(
        folder=str(folder), pass_pairs=pass_pairs, participants=len(participants),
        with_group=sum(1 for row in participants if row["group-id"].strip()),
        annotators=len(annotators), annotators_with_group=sum(g is not None for g in groups),
        statements=len(items), votes=votes, comparisons=counts, total=len(data), same_text_skipped=skipped,
    )
    return data, report
