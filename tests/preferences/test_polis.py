"""Comparisons from Polis votes (compdemocracy/openData, CC BY 4.0, The Computational Democracy Project),
checked against an independent count: a plain loop over the CSV files with the csv module."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from dialectic.preferences import PreferenceError, read_polis_comparisons

#: The smallest shipped conversation (26 participants, 36 kept comments).
SMALL = "london.youth.policing"


def _independent(folder: Path, pass_pairs: bool) -> tuple[Counter[tuple[str, str, str]], dict[str, int], dict]:
    """(participant, chosen text, rejected text) multiset, counts by kind, participant -> group."""
    with (folder / "comments.csv").open(newline="", encoding="utf-8") as handle:
        kept = {}
        for row in csv.DictReader(handle):
            body = " ".join(row["comment-body"].split())
            if row["moderated"] != "-1" and body:
                kept[row["comment-id"]] = body
    pairs: Counter[tuple[str, str, str]] = Counter()
    kinds = {"agree>disagree": 0, "agree>pass": 0, "pass>disagree": 0}
    groups = {}
    with (folder / "participants-votes.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            agree = [kept[c] for c in kept if row.get(c) == "1"]
            passed = [kept[c] for c in kept if row.get(c) == "0"]
            disagree = [kept[c] for c in kept if row.get(c) == "-1"]
            rules = [("agree>disagree", agree, disagree)]
            if pass_pairs:
                rules += [("agree>pass", agree, passed), ("pass>disagree", passed, disagree)]
            for kind, better, worse in rules:
                for a in better:
                    for b in worse:
                        pairs[(row["participant"], a, b)] += 1
                        kinds[kind] += 1
            groups[row["participant"]] = row["group-id"] or None
    return pairs, kinds, groups


@pytest.mark.parametrize("pass_pairs", [False, True])
def test_comparisons_match_an_independent_count(shared_data: Path, pass_pairs: bool) -> None:
    folder = shared_data / "polis" / SMALL
    data, counts = read_polis_comparisons(folder, pass_pairs=pass_pairs)
    pairs, kinds, groups = _independent(folder, pass_pairs)
    found = Counter((data.annotators[a], data.items[c], data.items[r])
                    for a, c, r in zip(data.annotator, data.chosen, data.rejected, strict=True))
    assert found == pairs
    assert counts.comparisons == {k: n for k, n in kinds.items() if pass_pairs or k == "agree>disagree"}
    assert counts.total == len(data) == sum(kinds.values() if pass_pairs else [kinds["agree>disagree"]])
    assert counts.participants == len(groups) == 26
    assert counts.with_group == sum(g is not None for g in groups.values())
    assert counts.annotators == len(data.annotators) == len({p for p, _, _ in pairs})
    assert all(groups[p] == g for p, g in zip(data.annotators, data.groups, strict=True))
    assert counts.statements == data.n_items == 36 and data.item_kind == "text"
    assert data.group_names == ("0", "1", "2")
    # Agree>disagree is the same with or without pass pairs: 3158 pairs (hand count recorded once).
    assert kinds["agree>disagree"] == 3158


def test_reading_is_deterministic(shared_data: Path) -> None:
    first, _ = read_polis_comparisons(shared_data / "polis" / SMALL, pass_pairs=True)
    second, _ = read_polis_comparisons(shared_data / "polis" / SMALL, pass_pairs=True)
    assert first.sha256() == second.sha256()


def _copy(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / SMALL
    shutil.copytree(shared_data / "polis" / SMALL, folder)
    return folder


def test_a_missing_file_or_column_is_located(shared_data: Path, tmp_path: Path) -> None:
    folder = _copy(shared_data, tmp_path)
    (folder / "participants-votes.csv").unlink()
    with pytest.raises(PreferenceError, match="no such file") as caught:
        read_polis_comparisons(folder)
    assert caught.value.file == str(folder / "participants-votes.csv")
    folder = _copy(shared_data, tmp_path / "b")
    path = folder / "comments.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("moderated", "status", 1), encoding="utf-8")
    with pytest.raises(PreferenceError, match=r"missing \['moderated'\]") as caught:
        read_polis_comparisons(folder)
    assert (caught.value.file, caught.value.field) == (str(path), "header")


def test_a_bad_vote_is_located(shared_data: Path, tmp_path: Path) -> None:
    folder = _copy(shared_data, tmp_path)
    path = folder / "participants-votes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("5")] = "yes"
    lines[3] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PreferenceError) as caught:
        read_polis_comparisons(folder)
    assert (caught.value.line, caught.value.field, caught.value.found) == (4, "5", "yes")
