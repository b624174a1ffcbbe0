"""The comparisons JSONL format: a written file reads back to the same data; every malformed line is a
located error naming its line and key."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dialectic.preferences import (
    Comparison,
    PreferenceData,
    PreferenceError,
    outcome_key,
    read_comparisons,
    write_comparisons,
)

TEXT_LINES = [
    {"annotator": "ann", "chosen": "Parks first", "rejected": "Roads first", "group": "green"},
    {"annotator": "bob", "chosen": "Roads first", "rejected": "Parks first", "context": "Which comes first?"},
    {"annotator": "ann", "chosen": "Parks first", "rejected": "Café, with ünicode", "group": "green"},
]
OUTCOME_LINES = [
    {"annotator": "a1", "chosen": {"tax": "low", "rent": "cap"}, "rejected": {"rent": "free", "tax": "low"}},
    {"annotator": "a2", "chosen": {"rent": "free", "tax": "high"}, "rejected": {"tax": "low", "rent": "cap"},
     "group": "tenants"},
]


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def test_text_items_round_trip(tmp_path: Path) -> None:
    data = read_comparisons(_write(tmp_path / "a.jsonl", TEXT_LINES))
    assert (data.item_kind, data.items) == ("text", ("Parks first", "Roads first", "Café, with ünicode"))
    assert data.annotators == ("ann", "bob") and data.groups == ("green", None)
    assert data.chosen.tolist() == [0, 1, 0] and data.rejected.tolist() == [1, 0, 2]
    assert data.annotator.tolist() == [0, 1, 0] and len(data) == 3
    again = read_comparisons(write_comparisons(data, tmp_path / "b.jsonl"))
    assert again.sha256() == data.sha256()
    assert [c.model_dump() for c in again.comparisons()] == [Comparison(**line).model_dump() for line in TEXT_LINES]
    assert [json.loads(line) for line in (tmp_path / "b.jsonl").read_text().splitlines()] == TEXT_LINES


def test_outcome_items_round_trip_under_a_canonical_key(tmp_path: Path) -> None:
    data = read_comparisons(_write(tmp_path / "a.jsonl", OUTCOME_LINES))
    assert data.item_kind == "outcome"
    assert data.items == ('{"rent":"cap","tax":"low"}', '{"rent":"free","tax":"low"}', '{"rent":"free","tax":"high"}')
    assert data.items[0] == outcome_key({"tax": "low", "rent": "cap"})
    assert data.outcome(2) == {"rent": "free", "tax": "high"} and data.chosen.tolist() == [0, 2]
    again = read_comparisons(write_comparisons(data, tmp_path / "b.jsonl"))
    assert again.sha256() == data.sha256() and again.items == data.items and again.groups == (None, "tenants")


def test_the_hash_covers_comparisons_not_groups_nor_numbering(tmp_path: Path) -> None:
    data = read_comparisons(_write(tmp_path / "a.jsonl", TEXT_LINES))
    regrouped = PreferenceData(data.items, "text", data.annotators, data.chosen, data.rejected, data.annotator,
                               ("red", "blue"), "elsewhere", data.contexts, data.context)
    assert regrouped.sha256() == data.sha256()
    # The same comparisons with items and annotators numbered differently, plus an item nobody compared.
    renumbered = PreferenceData(("unused", "Café, with ünicode", "Roads first", "Parks first"), "text",
                                ("bob", "ann"), [3, 2, 3], [2, 3, 1], [1, 0, 1], (None, "green"), "x",
                                data.contexts, data.context)
    assert renumbered.sha256() == data.sha256()
    swapped = data.subset(np.array([0, 2, 1]))
    assert swapped.sha256() != data.sha256()  # the order of comparisons is content
    no_context = data.subset(np.ones(3, bool))
    object.__setattr__(no_context, "context", None)
    assert no_context.sha256() != data.sha256()


BAD = [
    # (lines, line number, field, a fragment of the message)
    (['{"annotator": "a", "chosen": "x", "rejected": "y"', ], 1, "<json>", "one JSON object per line"),
    ([TEXT_LINES[0], "[1, 2]"], 2, "<line>", "a JSON object"),
    ([TEXT_LINES[0], {"annotator": "a", "chosen": "x"}], 2, "rejected", "this required field"),
    ([{"annotator": "a", "chosen": "x", "rejected": "y", "weight": 2}], 1, "weight", "no such key"),
    ([TEXT_LINES[0], TEXT_LINES[1], {"annotator": 7, "chosen": "x", "rejected": "y"}], 3, "annotator", "found 7"),
    ([{"annotator": "a", "chosen": ["x"], "rejected": "y"}], 1, "chosen", "a statement text"),
    ([{"annotator": "a", "chosen": "x", "rejected": {"tax": 1}}], 1, "rejected", "outcome {issue: option}"),
    ([{"annotator": "a", "chosen": "", "rejected": "y"}], 1, "chosen", "non-empty"),
    ([{"annotator": "a", "chosen": "x", "rejected": "y", "group": 3}], 1, "group", "or null"),
    ([TEXT_LINES[0], {"annotator": "a", "chosen": "same", "rejected": "same"}], 2, "rejected",
     "an item other than the chosen one"),
    ([OUTCOME_LINES[0], {"annotator": "a", "chosen": {"tax": "low", "rent": "cap"}, "rejected": {"rent": "cap",
                                                                                                 "tax": "low"}}],
     2, "rejected", "an item other than the chosen one"),
    ([TEXT_LINES[0], TEXT_LINES[1], OUTCOME_LINES[0]], 3, "chosen", "like line 1 (one item kind per file)"),
    ([OUTCOME_LINES[0], {"annotator": "a", "chosen": {"tax": "low"}, "rejected": {"tax": "high"}}], 2, "chosen",
     "naming the issues ['rent', 'tax']"),
    ([TEXT_LINES[0], {**TEXT_LINES[0], "group": "red"}], 2, "group", "one group per annotator"),
    ([TEXT_LINES[0], "", {**TEXT_LINES[0], "group": None}], 3, "group", "line 1"),
]


@pytest.mark.parametrize(("lines", "line", "field", "fragment"), BAD)
def test_a_malformed_line_is_located(tmp_path: Path, lines: list[object], line: int, field: str,
                                     fragment: str) -> None:
    path = _write(tmp_path / "bad.jsonl", lines)
    with pytest.raises(PreferenceError) as caught:
        read_comparisons(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert fragment in str(error) and str(error).startswith(f"{path}:{line}: {field}: expected ")


def test_a_long_found_value_is_shortened(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [{"annotator": "a", "chosen": "x", "rejected": ["y" * 10_000]}])
    with pytest.raises(PreferenceError) as caught:
        read_comparisons(path)
    assert caught.value.found.endswith("...") and len(caught.value.found) == 80 and len(str(caught.value)) < 400


@pytest.mark.parametrize(("text", "found"), [("", "an empty file"), ("\n  \n", "only blank lines")])
def test_an_empty_file_is_an_error(tmp_path: Path, text: str, found: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text)
    with pytest.raises(PreferenceError, match="expected at least one comparison") as caught:
        read_comparisons(path)
    assert (caught.value.line, caught.value.found) == (None, found)


def test_a_missing_or_undecodable_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PreferenceError, match="expected a readable comparisons file"):
        read_comparisons(tmp_path / "nowhere.jsonl")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(TEXT_LINES[0]).encode() + b"\n" + b'{"annotator": "caf\xe9"}\n')
    with pytest.raises(PreferenceError, match="expected UTF-8 text") as caught:
        read_comparisons(path)
    assert caught.value.line == 2


def test_data_helpers(tmp_path: Path) -> None:
    data = read_comparisons(_write(tmp_path / "a.jsonl", TEXT_LINES))
    assert data.group_names == ("green",) and data.true_group.tolist() == [0, -1] and not data.has_groups
    assert data.per_annotator.tolist() == [2, 1]
    part = data.subset(data.annotator == 0)
    assert len(part) == 2 and part.annotators == data.annotators and part.items == data.items
    assert part.context is None  # only bob's comparison had a context
    assert not data.chosen.flags.writeable
    with pytest.raises(ValueError, match="not outcomes"):
        data.outcome(0)
    with pytest.raises(PreferenceError, match="indices in"):
        PreferenceData(("a", "b"), "text", ("x",), [0], [2], [0], (None,), "arrays")


def test_a_byte_order_mark_and_crlf_line_ends_are_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(json.dumps(line).encode() for line in TEXT_LINES) + b"\r\n")
    assert read_comparisons(path).sha256() == read_comparisons(_write(tmp_path / "plain.jsonl", TEXT_LINES)).sha256()
