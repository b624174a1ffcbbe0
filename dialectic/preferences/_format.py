"""The comparisons JSONL format (docs/preferences.md): one Comparison per line, read with located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dialectic.preferences._comparison import Comparison
from dialectic.preferences._data import Builder, PreferenceData
from dialectic.preferences._error import PreferenceError
from dialectic.scenario._bounded import LimitError, Limits, iter_lines

__all__ = ["Comparison", "read_comparisons", "write_comparisons"]

#: What read_comparisons reads (docs/limits.md): the size (stat, before reading), one line's bytes (as
#: read: a comparison is a few hundred bytes), the number of lines (10^7 comparisons, ten times eval/bench_fit).
COMPARISON_LIMITS = Limits(file_bytes=2**30, line=2**20, lines=10_000_000)

ITEM = "a statement text (non-empty string) or an outcome {issue: option} (non-empty object of strings)"

#: What each field holds, for error messages.
EXPECTED = {
    "annotator": "the annotator's id (non-empty string)",
    "chosen": ITEM,
    "rejected": ITEM,
    "group": "the annotator's known group (non-empty string) or null",
    "context": "a string or null",
}


def _line_error(file: str, line: int, data: dict[str, Any], error: ValidationError) -> PreferenceError:
    """The first problem pydantic found on a line, as a located error naming the JSONL key."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "<line>"
    if first["type"] == "missing":
        return PreferenceError(file, line, field, "this required field", "nothing")
    if first["type"] == "extra_forbidden":
        return PreferenceError(file, line, field, f"no such key (the keys are {', '.join(EXPECTED)})",
                               json.dumps(data[field], ensure_ascii=False))
    return PreferenceError(file, line, field, EXPECTED.get(field, first["msg"]),
                           json.dumps(data.get(field), ensure_ascii=False))


def _parse_line(file: str, line: int, raw: bytes) -> Comparison:
    """One line read step by step (UTF-8, JSON, an object, the model), so an error names what is wrong."""
    try:
        text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise PreferenceError(file, line, "<line>", "UTF-8 text", f"{exc.reason} at byte {exc.start + 1}") from None
    try:
        data = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        raise PreferenceError(file, line, "<json>", "one JSON object per line",
                              f"{exc.msg} at column {exc.colno}: {text.strip()}") from None
    if not isinstance(data, dict):
        raise PreferenceError(file, line, "<line>", "a JSON object with keys annotator, chosen, rejected",
                              f"{type(data).__name__} {text.strip()}")
    try:
        return Comparison.model_validate(data)
    except ValidationError as exc:
        raise _line_error(file, line, data, exc) from None


def read_comparisons(path: str | Path, limits: Limits = COMPARISON_LIMITS) -> PreferenceData:
    """Read a comparisons JSONL file within ``limits`` (file size by stat before reading, line length as
    read, number of lines). Blank lines are skipped; any other problem (a breach of a limit, bad JSON, a
    missing, unknown or mistyped key, chosen equal to rejected, text and outcome items mixed, outcomes naming
    different issues, an annotator with two groups, no comparisons at all) is a PreferenceError naming
    the file, the line and the key."""
    path = Path(path)
    file = str(path)
    builder = Builder(file)
    line = 0
    try:
        for line, raw in iter_lines(path, limits):  # decoded line by line, so a bad byte is located on its line
            if not raw.strip():
                continue
            try:  # the fast path: pydantic parses the bytes; any problem is re-read slowly to locate it
                comparison = Comparison.model_validate_json(raw)
            except ValidationError:
                comparison = _parse_line(file, line, raw)
            builder.add(comparison, line)
    except OSError as exc:
        raise PreferenceError(file, None, "<file>", "a readable comparisons file (JSONL)",
                              exc.strerror or str(exc)) from None
    except LimitError as exc:
        raise PreferenceError(file, exc.line, "<line>" if exc.line else "<file>", exc.expected, exc.found) from None
    if not builder.chosen:
        raise PreferenceError(file, None, "<file>", "at least one comparison (one JSON object per line)",
                              "an empty file" if line == 0 else "only blank lines")
    return builder.build()


def write_comparisons(data: PreferenceData, path: str | Path) -> Path:
    """Write one JSON line per comparison (keys annotator, chosen, rejected, then group and context where
    known), in the data's order; read_comparisons gives back the same data (same sha256)."""
    path = Path(path)
    items: list[Any] = [data.item(i) for i in range(data.n_items)]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(len(data)):
            a = int(data.annotator[i])
            row: dict[str, Any] = {"annotator": data.annotators[a], "chosen": items[data.chosen[i]],
                                   "rejected": items[data.rejected[i]]}
            if data.groups[a] is not None:
                row["group"] = data.groups[a]
            if data.context is not None and data.context[i] >= 0:
                row["context"] = data.contexts[data.context[i]]
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
