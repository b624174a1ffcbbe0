"""Append-only JSONL traces: written and flushed one event at a time, read back tolerating a
truncated last line (a run killed mid-write leaves a readable prefix)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

from pydantic import TypeAdapter, ValidationError

from dialectic.bounded import LimitError, Limits, decode_line, iter_lines
from dialectic.trace._events import (
    SCHEMA_VERSION,
    SUPPORTED_VERSIONS,
    EndEvent,
    ErrorEvent,
    EvaluationEvent,
    Event,
    Header,
    MoveEvent,
    OpeningEvent,
    StatementEvent,
    TraceEvent,
)

_event_adapter: TypeAdapter[TraceEvent] = TypeAdapter(TraceEvent)
#: What read_trace reads (docs/limits.md): a trace of 100 groups is 4 MB with one 2.7 MB line (the opening).
TRACE_LIMITS = Limits(file_bytes=256 * 2**20, line=32 * 2**20, lines=1_000_000)


class TraceWriter:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("w", encoding="utf-8")

    def write(self, event: Event) -> None:
        if self._file is None:
            raise ValueError(f"trace {self.path} is closed")
        self._file.write(event.line() + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TraceFormatError(ValueError):
    pass


@dataclass
class Trace:
    path: Path
    header: Header
    opening: OpeningEvent
    moves: list[MoveEvent] = field(default_factory=list)
    end: EndEvent | None = None
    #: Statements generated during the run, in the order written (each before the first move stating it).
    statements: list[StatementEvent] = field(default_factory=list)
    evaluation: EvaluationEvent | None = None
    truncated: bool = False
    #: The run stopped on an error (a backend that failed after every retry): why, and at which turn.
    error: ErrorEvent | None = None

    @property
    def complete(self) -> bool:
        return self.end is not None

    @property
    def errored(self) -> bool:
        return self.error is not None


_NO_VERSION = object()


def _raw_version(line: str) -> object:
    """The `v` of a line that is a JSON object, read without the event models (which another version's
    fields may not fit); the current version when it has none, and a marker when it is not an object."""
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):  # not JSON; nested deeper than json parses (found by fuzzing)
        return _NO_VERSION
    return raw.get("v", SCHEMA_VERSION) if isinstance(raw, dict) else _NO_VERSION


def _check_version(path: Path, number: int, version: object) -> None:
    """Refuse an event written in a trace format this reader does not know."""
    if version is _NO_VERSION:
        return
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
        raise TraceFormatError(
            f"{path}:{number}: unsupported trace version v={version!r}; this dialectic reads version(s) "
            f"{supported} (read the trace with the dialectic that wrote it)"
        )


def read_trace(path: str | Path, limits: Limits = TRACE_LIMITS) -> Trace:
    """Parse a trace; a partial last line (crash mid-write) is dropped and flagged `truncated`. An event of
    a version outside SUPPORTED_VERSIONS raises TraceFormatError naming the file, the line and the version;
    so does a breach of ``limits`` (file size by stat before reading, line length as read, number of lines)
    and a line that is not UTF-8 (docs/limits.md)."""
    path = Path(path)
    try:
        raw_lines = [raw for _, raw in iter_lines(path, limits)]
    except LimitError as exc:
        raise TraceFormatError(exc.located(path)) from None
    events: list[TraceEvent] = []
    truncated = False
    for number, raw in enumerate(raw_lines, start=1):
        last = number == len(raw_lines)
        try:
            line = decode_line(raw, number)
        except LimitError as exc:
            if last and not raw.endswith(b"\n"):  # cut mid-character by a crash mid-write
                truncated = True
                break
            raise TraceFormatError(exc.located(path)) from None
        if not line.strip():
            continue
        try:
            event = _event_adapter.validate_json(line)
        except ValidationError as exc:
            _check_version(path, number, _raw_version(line))  # another format's event: say so, not why it fails
            if last:
                truncated = True
                break
            raise TraceFormatError(f"{path}:{number}: not a trace event: {exc.errors()[0]['msg']}") from None
        _check_version(path, number, event.v)
        events.append(event)
    if len(events) < 2 or not isinstance(events[0], Header) or not isinstance(events[1], OpeningEvent):
        raise TraceFormatError(f"{path}: expected a header and an opening event first")
    trace = Trace(path=path, header=events[0], opening=events[1], truncated=truncated)
    for event in events[2:]:
        if isinstance(event, MoveEvent):
            trace.moves.append(event)
        elif isinstance(event, StatementEvent):
            trace.statements.append(event)
        elif isinstance(event, EndEvent):
            trace.end = event
        elif isinstance(event, EvaluationEvent):
            trace.evaluation = event
        elif isinstance(event, ErrorEvent):
            trace.error = event
    return trace
