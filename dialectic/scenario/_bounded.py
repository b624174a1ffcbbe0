"""Bounded reading of outside files: every limit is checked before the expensive work, and a breach is a
located error naming the limit (docs/limits.md).

A YAML file is read in four steps, each bounded: its size (stat, before reading), its text (UTF-8, the bad
byte located), its node graph (composed by libyaml without expanding aliases: a "billion laughs" file is
a few dozen nodes here), and a walk of that graph that counts what constructing it would build (aliases
expanded), its nesting, its lists' lengths and its strings' lengths. Only then is it constructed, by the
safe constructor (no Python objects, nothing executed)."""

from __future__ import annotations

import reprlib
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
    """``text`` cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


class LimitError(ValueError):
    """A file breaks one of the reading limits: ``where`` (a line or a field), what the limit is, what was found."""

    def __init__(self, where: str, expected: str, found: str):
        self.where, self.expected, self.found = where, expected, found
        super().__init__(f"{where}: expected {expected}, found {found}")


def read_text(path: Path, limits: Limits = LIMITS) -> str:
    """The file's text, checked for size before it is read and decoded as UTF-8 (the bad byte located).
    OSError propagates (the caller words it)."""
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise LimitError("", f"a file of at most {limits.file_bytes:,} bytes (limit file_bytes)", f"{size:,} bytes")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LimitError(f"line {line}, column {column}", "UTF-8 text",
                         f"byte 0x{data[exc.start]:02x} ({exc.reason})") from None


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


def load_yaml(text: str, limits: Limits = LIMITS) -> Any:
    """Safe-load one YAML document within ``limits``; YAMLError for bad YAML, LimitError for a breach."""
    node = yaml.compose(text, Loader=_Loader)
    if node is None:
        return None
    check_nodes(node, limits)
    constructor = yaml.constructor.SafeConstructor()
    return constructor.construct_document(node)
