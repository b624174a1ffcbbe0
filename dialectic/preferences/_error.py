"""The one error of preference data: where (file, line, field), what was expected, what was found."""

from __future__ import annotations

from typing import Any

#: Longest rendering of a found value in an error message (longer ones are cut, so a bad line of a
#: megabyte does not become a megabyte of error).
FOUND_LIMIT = 80


def shorten(value: Any, limit: int = FOUND_LIMIT) -> str:
    """repr of a found value (strings as given), cut to `limit` characters with an ellipsis."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PreferenceError(ValueError):
    """Bad preference data, located: the file (or folder), the line (1-based; None where the problem is
    not on one line, e.g. a missing file or column), the field (a JSONL key or a CSV column), what was
    expected and what was found (shortened). A ValueError, so the CLI answers it with exit 2."""

    def __init__(self, file: str, line: int | None, field: str, expected: str, found: Any):
        self.file = str(file)
        self.line = line
        self.field = field
        self.expected = expected
        self.found = shorten(found)
        where = self.file if line is None else f"{self.file}:{line}"
        super().__init__(f"{where}: {field or '<line>'}: expected {expected}, found {self.found}")
