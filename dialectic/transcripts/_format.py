"""The transcript format: a dialogue held elsewhere (people, another simulator, a paper's released logs),
one JSON object per line (JSONL), read into a dialectic trace by `transcript_trace`.

Line 1 is the header (`TranscriptHeader`): the scenario it was held on (a scenario file, relative to the
transcript's folder, or a scenario name), and optionally where it comes from. Every other non-empty line
is one utterance (`UtteranceLine`): who spoke (a group id of the scenario, or its display name), what they
said, and optionally the position they stated as their group's own (`view`), a settlement they proposed
(`proposal`) and their stance on the proposal on the table (`accepts`). docs/transcripts.md has examples.

Every problem is a located error (`ScenarioError` of `FieldError`s): the file, `line N, field F`, what was
expected and what was found; one pass reports every bad line it can.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialectic.scenario import FieldError, ScenarioError
from dialectic.scenario._bounded import Limits, read_lines
from dialectic.scenario._load import format_loc, reading

FORMAT_VERSION = 1
#: Longest utterance text kept (characters); longer text is an error, not silently cut.
MAX_TEXT = 20_000
#: What read_transcript reads (docs/limits.md): the file's size (stat, before reading), one line's bytes
#: (as read), the number of lines.
TRANSCRIPT_LIMITS = Limits(file_bytes=64 * 2**20, line=2**20, lines=100_000)


class TranscriptHeader(BaseModel):
    """First line of a transcript."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["transcript"] = "transcript"
    v: int = FORMAT_VERSION
    #: the scenario file (absolute, or relative to the transcript's folder) or the scenario's name
    scenario: str = Field(min_length=1)
    #: where the dialogue comes from (a citation, a URL, a log file), copied into the trace's strategy name
    source: str = ""
    title: str = ""


class UtteranceLine(BaseModel):
    """One utterance. Outcomes are {issue id: option id}, every issue named."""

    model_config = ConfigDict(extra="forbid")
    speaker: str = Field(min_length=1)
    text: str = Field(default="", max_length=MAX_TEXT)
    #: the position the speaker states as its group's own (absent: its view does not change)
    view: dict[str, str] | None = None
    #: a settlement proposed for everyone (its proposer counts as accepting it)
    proposal: dict[str, str] | None = None
    #: the stance on the proposal on the table before this utterance (absent: no stance stated)
    accepts: Annotated[bool | None, Field(strict=True)] = None
    #: a note kept in the trace's `rationale` (e.g. where a stance comes from)
    note: str = ""


@dataclass(frozen=True)
class Transcript:
    path: Path
    header: TranscriptHeader
    #: (line number in the file, utterance)
    lines: list[tuple[int, UtteranceLine]]
    #: what the numbers count, in error messages ("line"; "round" for a log's rounds)
    unit: str = "line"


def located(file: Path | str, where: str, expected: str, found: object) -> FieldError:
    return FieldError(str(file), where, expected, str(found))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _validation_errors(file: Path, number: int, error: ValidationError, kind: str) -> list[FieldError]:
    found = []
    for item in error.errors():
        where = f"line {number}, field {format_loc(item['loc']) or '<line>'}"
        if item["type"] == "missing":
            found.append(located(file, where, f"this required field of {kind}", "nothing"))
        elif item["type"] == "extra_forbidden":
            found.append(located(file, where, f"no such field in {kind} (unknown fields are errors)",
                                 _short(item["input"])))
        else:
            found.append(located(file, where, item["msg"].removeprefix("Input should be "), _short(item["input"])))
    return found


def parse_transcript(text: str, path: Path | str) -> Transcript:
    """Parse transcript text (`path` names it in errors); raises ScenarioError listing every bad line."""
    path = Path(path)
    errors: list[FieldError] = []
    header: TranscriptHeader | None = None
    lines: list[tuple[int, UtteranceLine]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(located(path, f"line {number}", "one JSON object per line",
                                  f"invalid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except (ValueError, RecursionError) as exc:  # a number of over 4,300 digits; nesting too deep to parse
            errors.append(located(path, f"line {number}", "one JSON object per line",
                                  f"JSON that cannot be read ({type(exc).__name__}: {str(exc)[:120]})"))
            continue
        if not isinstance(data, dict):
            errors.append(located(path, f"line {number}", "a JSON object", type(data).__name__))
            continue
        first = header is None and not lines and not any(e.path.startswith("line ") for e in errors)
        try:
            if first:
                header = TranscriptHeader.model_validate(data)
            else:
                lines.append((number, UtteranceLine.model_validate(data)))
        except ValidationError as exc:
            kind = "the header line ({\"scenario\": ...})" if first else "an utterance line"
            errors.extend(_validation_errors(path, number, exc, kind))
            if first:
                header = TranscriptHeader(scenario="?")  # go on checking the utterances
    if header is None and not errors:
        errors.append(located(path, "line 1", "a header line {\"scenario\": FILE OR NAME}", "an empty file"))
    if header is not None and header.v != FORMAT_VERSION:
        errors.append(located(path, "line 1, field v", f"transcript format version {FORMAT_VERSION}", header.v))
    if errors:
        raise ScenarioError(errors)
    assert header is not None
    return Transcript(path, header, lines)


def read_transcript(path: str | Path, limits: Limits = TRANSCRIPT_LIMITS) -> Transcript:
    """Read a transcript within ``limits``; a missing file, a breach of a limit or a line that is not UTF-8
    is a located ScenarioError, before any line is parsed."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError([located(path, "", "a transcript file (JSONL)", "no such file")])
    with reading(path, "a readable UTF-8 text file"):
        text = "".join(read_lines(path, limits, bom=True))
    return parse_transcript(text, path)
