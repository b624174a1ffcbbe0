"""What `dialectic view` lists under its folder: every run (a trace, `*.jsonl`) and every bench store (a
folder with `manifest.json`, its rows read with `dialectic.bench.load_sweep`), with scenario, strategy, seed
and label, cached by each file's modification time and size.

A run's entry is read from the trace's header line and its evaluation event only (no re-scoring: a trace
without an evaluation event lists its label as "-"). Nothing outside the folder is ever read: the walk
does not follow symbolic links to folders, and a file whose real path lies outside the folder is skipped."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dialectic.bounded import LimitError, iter_lines
from dialectic.trace._io import TRACE_LIMITS

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Entry:
    """One listed run: a trace on its own, or a row of a bench store (then `store` is the store's folder)."""

    path: str  # the trace, relative to the viewed folder (posix); "" for a store row without a trace
    scenario: str
    strategy: str
    seed: int | None
    label: str
    store: str | None = None  # the store's folder relative to the viewed folder, for a store row
    status: str = "ok"  # a store row's status (ok, failed); "unreadable" for a trace that cannot be read
    error: str | None = None


def inside(root: Path, path: Path) -> bool:
    """Whether `path`'s real location (symbolic links followed) is `root` or under it."""
    try:
        Path(os.path.realpath(path)).relative_to(root)
    except ValueError:
        return False
    return True


def read_entry(root: Path, path: Path) -> Entry:
    """A trace's entry from its header and its evaluation event (the last one in the file)."""
    relative = path.relative_to(root).as_posix()
    try:
        header: Any = None
        label = "-"
        for number, raw in iter_lines(path, TRACE_LIMITS):  # size, line length and count bounded as read
            if number == 1:
                header = json.loads(raw.decode("utf-8", errors="replace"))
                if not isinstance(header, dict) or header.get("type") != "header":
                    raise ValueError("its first line is not a trace header")
            elif b'"evaluation"' in raw:
                try:
                    event = json.loads(raw.decode("utf-8", errors="replace"))
                except ValueError:
                    continue
                if isinstance(event, dict) and event.get("type") == "evaluation":
                    label = str((event.get("evaluation") or {}).get("label", "-"))  # the last one counts
        if header is None:
            raise ValueError("its first line is not a trace header")
        seed = header.get("seed")
        return Entry(relative, str(header.get("scenario_name", "?")), str(header.get("strategy", "?")),
                     seed if isinstance(seed, int) else None, label)
    except LimitError as error:
        return Entry(relative, "?", "?", None, "-", status="unreadable", error=error.located(relative))
    except (OSError, ValueError, IndexError) as error:
        return Entry(relative, "?", "?", None, "-", status="unreadable", error=str(error))


def store_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a store gets rows: every file of it that is not a trace, with mtime and size."""
    found = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            if not name.endswith(".jsonl"):
                stat = os.stat(os.path.join(dirpath, name))
                found.append((os.path.join(dirpath, name), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


def read_store(root: Path, folder: Path) -> list[Entry]:
    """A bench store's rows (the latest row of each run, ok or failed)."""
    from dialectic.bench import StoreError, load_sweep

    store = relative_name(root, folder)
    try:
        rows = load_sweep(folder)
    except (StoreError, OSError, ValueError) as error:
        return [Entry("", "?", "?", None, "-", store=store, status="unreadable", error=str(error))]
    entries = []
    for row in rows:
        trace = ""
        if row.result is not None and row.result.trace:
            candidate = folder / row.result.trace
            if candidate.is_file() and inside(root, candidate):
                trace = relative_name(root, candidate)
        label = row.result.label if row.result is not None else "-"
        entries.append(Entry(trace, row.scenario, row.strategy, row.seed, label, store=store, status=row.status,
                             error=row.error))
    return entries


def relative_name(root: Path, path: Path) -> str:
    """`path` relative to `root`, posix; "" for the root itself."""
    name = path.relative_to(root).as_posix()
    return "" if name == "." else name


class Index:
    """The runs and stores under `root`, re-read only where a file changed since the last look."""

    def __init__(self, root: Path):
        self.root = Path(os.path.realpath(root))
        self._traces: dict[Path, tuple[tuple[int, int], Entry]] = {}
        self._stores: dict[Path, tuple[Any, list[Entry]]] = {}
        self._lock = threading.Lock()

    def scan(self) -> tuple[list[Entry], list[str]]:
        """Every entry (runs first, then store rows) and the stores' folders, relative to the root."""
        traces: list[Path] = []
        stores: list[Path] = []
        for dirpath, dirs, files in os.walk(self.root):  # symbolic links to folders are not followed
            here = Path(dirpath)
            if MANIFEST in files:
                stores.append(here)
                dirs[:] = []  # a store's traces are listed as its rows
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = here / name
                if name.endswith(".jsonl") and path.is_file() and inside(self.root, path):
                    traces.append(path)
        with self._lock:
            entries = [self._trace(path) for path in traces]
            for folder in stores:
                entries.extend(self._store(folder))
            self._traces = {p: v for p, v in self._traces.items() if p in set(traces)}
            self._stores = {p: v for p, v in self._stores.items() if p in set(stores)}
        return entries, [relative_name(self.root, folder) for folder in stores]

    def _trace(self, path: Path) -> Entry:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._traces.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        entry = read_entry(self.root, path)
        self._traces[path] = (key, entry)
        return entry

    def _store(self, folder: Path) -> list[Entry]:
        signature = store_signature(folder)
        cached = self._stores.get(folder)
        if cached is not None and cached[0] == signature:
            return cached[1]
        entries = read_store(self.root, folder)
        self._stores[folder] = (signature, entries)
        return entries


class Refused(Exception):
    """A request for a path the viewer does not serve: outside the folder (403) or not a listed one (404)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def resolve(root: Path, relative: str) -> Path:
    """The file or folder a request names, relative to `root` (already percent-decoded once). Refuses (403)
    an absolute path, a `..` or `.` segment, an empty segment (`//`), a backslash, a NUL, a drive name and any
    path whose real location (symbolic links followed) is outside the root, before anything is read."""
    if not relative:
        return root  # the folder itself (a store, when the viewed folder is one)
    if "\x00" in relative or "\\" in relative or relative.startswith("/") or ":" in PurePosixPath(relative).parts[0]:
        raise Refused(403, "not a path inside the viewed folder")
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise Refused(403, "not a path inside the viewed folder")
    candidate = root.joinpath(*parts)
    if not inside(root, candidate):
        raise Refused(403, "outside the viewed folder")
    return candidate
