"""Bounded reading of outside files: every limit is checked before the expensive work, and a breach is a
located error naming the limit (docs/limits.md).

A YAML file is read in four steps, each bounded: its size (stat, before reading), its text (UTF-8, the bad
byte located), its node graph (composed by libyaml without expanding aliases: a "billion laughs" file is
a few dozen nodes here), and a walk of that graph that counts what constructing it would build (aliases
expanded), its nesting, its lists' lengths and its strings' lengths. Only then is it constructed, by the
safe constructor (no Python objects, nothing executed)."""

from __future__ import annotations

import json
import os
import reprlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Limits:
    """What a file read by dialectic may hold. The defaults are far above any shipped file (the largest
    scenario is 43 KB, 100 groups) and far below what would stall a machine."""

    #: Bytes of the file.
    file_bytes: int = 8 * 2**20
    #: Values the document would hold once aliases are expanded (scalars, lists and mappings).
    nodes: int = 1_000_000
    #: Nesting of lists and mappings.
    depth: int = 64
    #: Items of one list, or keys of one mapping.
    items: int = 100_000
    #: Characters of one string.
    string: int = 1_000_000
    #: Bytes of one line of a line-based file (JSONL, CSV, text), checked as the line is read.
    line: int = 2**20
    #: Lines of a line-based file (rows of a CSV file, events of a trace).
    lines: int = 1_000_000


LIMITS = Limits()
#: Longest `found` or `expected` text an error prints; longer ones are cut with a count.
ERROR_TEXT = 240
#: Errors printed for one file; the rest are counted.
ERROR_COUNT = 25

_repr = reprlib.Repr()
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 8
_repr.maxstring = _repr.maxother = 80
_repr.maxlevel = 3


def short_repr(value: Any) -> str:
    """repr() of a value from a file, bounded in time and length whatever its size (nested lists of a
    billion items, a string of megabytes)."""
    return shorten(_repr.repr(value), 80)


def shorten(text: str, limit: int = ERROR_TEXT) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out: its start and its end are kept (a
    hint often closes an expectation, after a long list)."""
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 3
    return f"{text[:head]}... ({len(text) - head - tail:,} more characters) ...{text[len(text) - tail:]}"


class LimitError(ValueError):
    """A file breaks one of the reading limits: ``where`` (a line or a field), what the limit is, what was found."""

    def __init__(self, where: str, expected: str, found: str, line: int | None = None):
        self.where, self.expected, self.found, self.line = where, expected, found, line
        super().__init__(f"{where}: expected {expected}, found {found}")

    def located(self, file: str | Path) -> str:
        """One line naming ``file``, the place in it (if any), the limit and what was found."""
        return f"{file}: {self.where + ': ' if self.where else ''}expected {self.expected}, found {self.found}"


def check_size(path: Path, limits: Limits = LIMITS) -> None:
    """Refuse a file larger than ``limits.file_bytes`` by its size on disk (stat), before reading it."""
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise LimitError("", f"a file of at most {limits.file_bytes:,} bytes (limit file_bytes)", f"{size:,} bytes")


def read_text(path: Path, limits: Limits = LIMITS) -> str:
    """The file's text, checked for size before it is read and decoded as UTF-8 (the bad byte located).
    OSError propagates (the caller words it)."""
    check_size(path, limits)
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LimitError(f"line {line}, column {column}", "UTF-8 text",
                         f"byte 0x{data[exc.start]:02x} ({exc.reason})") from None


def iter_lines(path: Path, limits: Limits = LIMITS) -> Iterator[tuple[int, bytes]]:
    """The lines of a file as bytes (line ending kept), numbered from 1, each limit checked before the work it
    bounds: the file's size by stat before anything is read, each line's length as it is read (never more
    than ``limits.line`` + 1 bytes held for one line), the number of lines as they come. OSError propagates."""
    check_size(path, limits)
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(limits.line + 1):
            number += 1
            if number > limits.lines:
                raise LimitError(f"line {number}", f"at most {limits.lines:,} lines (limit lines)",
                                 f"more than {limits.lines:,}", number)
            if len(raw.rstrip(b"\r\n")) > limits.line:
                raise LimitError(f"line {number}", f"lines of at most {limits.line:,} bytes (limit line)",
                                 f"a longer line (more than {limits.line:,} bytes)", number)
            yield number, raw


def decode_line(raw: bytes, number: int, bom: bool = False) -> str:
    """One line's text (UTF-8; ``bom``: a leading byte-order mark is dropped); a bad byte is a LimitError
    locating it (line, column in bytes)."""
    try:
        return raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        raise LimitError(f"line {number}, column {exc.start + 1}", "UTF-8 text",
                         f"byte 0x{raw[exc.start]:02x} ({exc.reason})", number) from None


def read_lines(path: Path, limits: Limits = LIMITS, bom: bool = False) -> list[str]:
    """The decoded lines of a file (line endings kept) within ``limits`` (iter_lines, decode_line)."""
    return [decode_line(raw, number, bom and number == 1) for number, raw in iter_lines(path, limits)]


def load_json(text: str, limits: Limits = LIMITS) -> Any:
    """A JSON document (its text already bounded by size); ValueError for bad JSON, LimitError for nesting
    deeper than the parser's recursion allows (``[[[[...`` of a megabyte: a RecursionError otherwise)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise LimitError("", f"nesting of at most {limits.depth} levels (limit depth)",
                         "nesting too deep to parse") from None
    check_value(data, limits)
    return data


def check_value(data: Any, limits: Limits = LIMITS) -> None:
    """Walk parsed JSON data and raise LimitError on the first breach of depth, items or string."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if len(value) > limits.string:
                raise LimitError("", f"strings of at most {limits.string:,} characters (limit string)",
                                 f"{len(value):,} characters")
            continue
        if not isinstance(value, (list, dict)):
            continue
        if depth > limits.depth:
            raise LimitError("", f"nesting of at most {limits.depth} levels (limit depth)", f"more than {limits.depth}")
        if len(value) > limits.items:
            kind = "list items" if isinstance(value, list) else "mapping keys"
            raise LimitError("", f"at most {limits.items:,} {kind} (limit items)", f"{len(value):,}")
        children = value if isinstance(value, list) else [*value, *value.values()]
        stack.extend((child, depth + 1) for child in children)


def _where(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


def check_nodes(root: yaml.Node, limits: Limits = LIMITS) -> None:
    """Walk a composed YAML graph (aliases are shared nodes) and raise LimitError on the first breach."""
    expanded: dict[int, int] = {}
    # Iterative post-order walk with depth: (node, depth, children done?).
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if id(node) in expanded:
            continue
        if depth > limits.depth:
            raise LimitError(_where(node), f"nesting of at most {limits.depth} levels (limit depth)",
                             f"more than {limits.depth}")
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > limits.string:
                raise LimitError(_where(node), f"strings of at most {limits.string:,} characters (limit string)",
                                 f"{len(node.value):,} characters")
            expanded[id(node)] = 1
            continue
        children: list[yaml.Node] = (
            list(node.value) if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair])
        count = len(node.value)
        if count > limits.items:
            kind = "list items" if isinstance(node, yaml.SequenceNode) else "mapping keys"
            raise LimitError(_where(node), f"at most {limits.items:,} {kind} (limit items)", f"{count:,}")
        if not done:
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in children if id(child) not in expanded)
            continue
        total = 1 + sum(expanded[id(child)] for child in children)
        if total > limits.nodes:
            raise LimitError(_where(node), f"at most {limits.nodes:,} values once aliases are expanded (limit nodes)",
                             f"{total:,} from {len(expanded) + 1:,} written (aliases repeat what they name)")
        expanded[id(node)] = total


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, limits: Limits = LIMITS, loader: Any = None) -> Any:
    """Safe-load one YAML document within ``limits``; YAMLError for bad YAML, LimitError for a breach.
    ``loader``: the composing loader (default libyaml's safe one; yaml.SafeLoader locates errors as
    yaml.safe_load does)."""
    node = yaml.compose(text, Loader=loader or _Loader)
    if node is None:
        return None
    check_nodes(node, limits)
    constructor = _SafeConstructor()
    return constructor.construct_document(node)


class _SafeConstructor(yaml.constructor.SafeConstructor):
    """PyYAML's safe constructor, whose own failures on odd tagged scalars (``!!timestamp x`` raises
    AttributeError, ``!!int 0x``, ``!!float x`` or a date out of range ValueError) become a located
    ConstructorError (read_yaml words it: line, column, what was found) instead of a traceback (fuzzing,
    docs/fuzzing.md)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            value = short_repr(node.value) if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise yaml.constructor.ConstructorError(
                None, None, f"{value}, read as a YAML {node.tag.rsplit(':', 1)[-1]} but not one "
                f"({shorten(str(exc), 80)})",
                node.start_mark) from None


#: Folders besides a file's own and the project's that paths named inside files may point into
#: (os.pathsep-separated, e.g. ``DIALECTIC_ALLOW=/data/models:/srv/runs``); docs/limits.md, "What stays inside".
ALLOW_ENV = "DIALECTIC_ALLOW"


def project_root() -> Path:
    """The folder that holds the dialectic package: the repository in a source checkout (its scenarios/,
    agents/, eval/ are inside)."""
    return Path(__file__).resolve().parents[1]


def allowed_folders(base: Path) -> list[Path]:
    """Where a path named inside a file whose folder is ``base`` may resolve: ``base``, the project, and
    the folders of DIALECTIC_ALLOW."""
    return [Path(base).resolve(), project_root(), *extra_folders()]


def escapes(path: str | Path, base: Path) -> Path | None:
    """None when ``path`` (relative to ``base``, or absolute) resolves, symbolic links followed, inside one of
    allowed_folders(base); otherwise the resolved path that is outside."""
    try:
        target = (Path(base) / Path(path)).resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a loop of links: no file there to read
        return None
    return None if within(target, allowed_folders(base)) else target


def inside_expected(base: Path, what: str = "a path") -> str:
    """The `expected` text of an error for a path that escapes (escapes)."""
    return (f"{what} inside the file's folder ({Path(base).resolve()}), the project ({project_root()}) or a folder "
            f"named in {ALLOW_ENV} (no ../ or absolute path outside them)")


def extra_folders() -> list[Path]:
    """The folders of DIALECTIC_ALLOW, resolved."""
    return [Path(p).expanduser().resolve() for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p.strip()]


def within(target: Path, folders: list[Path]) -> bool:
    """Whether ``target`` (resolved) is one of ``folders`` or inside one."""
    return any(target == folder or target.is_relative_to(folder) for folder in folders)
