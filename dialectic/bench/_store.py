"""The store of a sweep (`dialectic bench run`): a folder that holds one row per finished run, in Parquet, and
the runs' traces. Users query it with any Parquet reader (pyarrow, DuckDB, pandas); docs/bench.md.

Layout of OUT/:

- ``manifest.json``: a :class:`Manifest` (the store's schema version, the suite as resolved, the package
  version);
- ``rows/part-<ns>-<pid>-<n>.parquet``: :class:`SweepRow`s, one per finished run (ok or failed), written as runs
  finish: each part goes to a temporary file first and is renamed into place, so a kill at any moment leaves
  whole parts only; a run run again appends a newer row, and readers keep the latest row per ``run_id``
  (parts in name order, rows in file order); :meth:`Store.compact` folds every part into one, atomically;
- ``traces/<trace name>.jsonl``: one trace per run, renamed into place whole (never torn).

Rows are flat: the sweep's own fields and, for ok runs, every field of :class:`~dialectic.bench.RunRow`, one column
each (maps for per-group welfare and the overrides, a list for the groups that capitulated, JSON text for the
generator parameters, whose values mix numbers and text). pyarrow is imported only where the store is used.
"""

from __future__ import annotations

import json
import os
import types
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from dialectic import __version__
from dialectic.bench._rows import RunRow
from dialectic.bounded import LimitError, Limits, check_size, load_json, read_text

if TYPE_CHECKING:
    import pyarrow as pa

#: The store's schema version, MAJOR.MINOR: a reader refuses a store of another major version (the columns
#: changed meaning); a minor version only adds columns.
STORE_SCHEMA = "1.0"
#: What a store's files are read within (docs/limits.md): the manifest lists every run id (64 hex digits each,
#: so a million runs is about 70 MB); a row part is written per 64 runs and compacted at the end; one row's
#: JSON columns hold per-group and per-metric values.
MANIFEST_LIMITS = Limits(file_bytes=128 * 2**20, items=2_000_000, nodes=4_000_000)
PART_LIMITS = Limits(file_bytes=2**30, lines=10_000_000)
CELL_LIMITS = Limits(items=100_000, nodes=1_000_000)
#: Key of the schema version in each Parquet part's metadata.
SCHEMA_KEY = b"dialectic.store_schema"


class StoreError(ValueError):
    """A store that cannot be read or written: another schema version, or a damaged file."""


class Manifest(BaseModel):
    """OUT/manifest.json: what the store holds and which code wrote it."""

    model_config = ConfigDict(extra="forbid")

    store_schema: str = STORE_SCHEMA
    dialectic_version: str = __version__
    #: The suite as resolved (dialectic.suite.ResolvedSuite.describe()): its file, name, and each cell's scenario
    #: file and hash, card, overrides, rounds and seeds.
    suite: dict[str, Any]
    updated_at: str


class SweepRow(BaseModel):
    """One finished run of a sweep: who ran what, how it ended, and (ok runs) the run's result row."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    status: Literal["ok", "failed"]
    #: The failure, ``ExceptionType: message`` (None for ok runs).
    error: str | None = None
    suite: str
    #: The scenario's name, the run's strategy label (the card's name with its overrides,
    #: ``conceder+SportCo=hardliner``) and seed: known for failed runs too.
    scenario: str
    strategy: str
    seed: int
    #: The scenario file as the run was given it (its trace header's ``scenario_path``).
    scenario_path: str
    #: The card's own name.
    card: str
    #: --agent GROUP=POLICY overrides of the suite entry.
    agents: dict[str, str] = {}
    #: The scenario's round limit as run (a suite entry's ``rounds`` overrides the file's).
    rounds_limit: int
    dialectic_version: str
    #: Seconds the run took in its worker (dialogue and evaluation; timing, not part of the result).
    elapsed: float
    #: ``host:pid`` of the process that ran it (not part of the result).
    worker: str
    #: When the run finished, ISO 8601 UTC (not part of the result).
    finished_at: str
    #: The result of an ok run (None for a failed one): every field of RunRow, its ``trace`` relative to the
    #: store's folder. Stored flat: one column per RunRow field.
    result: RunRow | None = None


#: Fields that vary between two sweeps of the same runs (timing and placement), left out when rows are compared.
TIMING_FIELDS = frozenset({"elapsed", "worker", "finished_at"})
#: RunRow fields that are the sweep row's own columns too.
_SHARED = {"scenario", "strategy", "seed", "run_id"}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    """The Arrow type of a row field's annotation, and whether the column holds JSON text (mixed-type maps)."""
    import pyarrow as pa

    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _arrow_type(args[0])
    if origin is Literal or annotation is str:
        return pa.string(), False
    simple = {bool: pa.bool_(), int: pa.int64(), float: pa.float64()}
    if annotation in simple:
        return simple[annotation], False
    if origin is list and args == [str]:
        return pa.list_(pa.string()), False
    if origin is dict and len(args) == 2 and args[0] is str and args[1] in (str, float):
        return pa.map_(pa.string(), pa.string() if args[1] is str else pa.float64()), False
    return pa.string(), True  # anything else (e.g. params: int | float | str values) as JSON text


def _columns() -> list[tuple[str, Any]]:
    """(column, annotation) of the store's rows: the sweep fields, then RunRow's (the shared ones once)."""
    hints = typing.get_type_hints(SweepRow)
    run_hints = typing.get_type_hints(RunRow)
    own = [(n, hints[n]) for n in SweepRow.model_fields if n != "result"]
    return own + [(n, run_hints[n]) for n in RunRow.model_fields if n not in _SHARED]


def arrow_schema() -> pa.Schema:
    import pyarrow as pa

    fields = [pa.field(name, _arrow_type(annotation)[0]) for name, annotation in _columns()]
    return pa.schema(fields, metadata={SCHEMA_KEY: STORE_SCHEMA.encode()})


def _record(row: SweepRow) -> dict[str, Any]:
    data = row.model_dump(mode="json", exclude={"result"})
    result = {} if row.result is None else row.result.model_dump(mode="json", exclude=_SHARED)
    record = {**data, **{n: result.get(n) for n, _ in _columns() if n not in data}}
    for name, annotation in _columns():
        if _arrow_type(annotation)[1] and record.get(name) is not None:
            record[name] = json.dumps(record[name], sort_keys=True)
    return record


def _row(record: dict[str, Any]) -> SweepRow:
    data = dict(record)
    for name, annotation in _columns():
        value = data.get(name)
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            data[name] = dict(value)
        elif _arrow_type(annotation)[1] and isinstance(value, str):
            data[name] = load_json(value, CELL_LIMITS)
        elif typing.get_origin(annotation) is dict and value == []:
            data[name] = {}
    own = {n: data[n] for n in SweepRow.model_fields if n in data and n != "result"}
    if data["status"] == "ok":
        run = {n: data[n] for n in RunRow.model_fields if n in data and data[n] is not None}
        own["result"] = RunRow.model_validate(run)
    return SweepRow.model_validate(own)


def _major(version: str) -> str:
    return version.split(".", 1)[0]


class Store:
    """A sweep's folder (module docstring): the manifest, row parts and traces. One writer at a time (the
    sweep's driver); any number of readers."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.rows_dir = self.out / "rows"
        self.traces_dir = self.out / "traces"
        self._written = 0

    @property
    def manifest_path(self) -> Path:
        return self.out / "manifest.json"

    def manifest(self) -> Manifest | None:
        """The store's manifest (None for a new folder); a store of another major schema version is refused."""
        if not self.manifest_path.exists():
            return None
        try:
            data = load_json(read_text(self.manifest_path, MANIFEST_LIMITS), MANIFEST_LIMITS)
        except LimitError as error:
            raise StoreError(error.located(self.manifest_path)) from None
        except (OSError, ValueError) as error:
            raise StoreError(f"{self.manifest_path}: expected a store manifest (JSON), found {error}") from None
        found = str(data.get("store_schema", "?")) if isinstance(data, dict) else "?"
        if _major(found) != _major(STORE_SCHEMA):
            raise StoreError(f"{self.manifest_path}: expected a store of schema version {_major(STORE_SCHEMA)}.x "
                             f"(this is dialectic {__version__}), found schema version {found}; read it with the "
                             "dialectic version that wrote it, or sweep into another --out")
        return Manifest.model_validate(data)

    def open(self, suite: dict[str, Any]) -> None:
        """Create (or reopen) the store for a sweep of `suite`: folders, leftover temporary files removed,
        the manifest written (atomically)."""
        self.manifest()  # refuses another major version before anything is written
        self.rows_dir.mkdir(parents=True, exist_ok=True)
        self.traces_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.rows_dir, self.traces_dir):
            for stale in folder.glob(".tmp-*"):
                stale.unlink(missing_ok=True)
        manifest = Manifest(suite=suite, updated_at=now())
        _atomic_write(self.manifest_path, manifest.model_dump_json(indent=2).encode())

    def parts(self) -> list[Path]:
        return sorted(self.rows_dir.glob("part-*.parquet"))

    def _read_parts(self, parts: list[Path]) -> list[SweepRow]:
        import pyarrow.parquet as pq

        rows: list[SweepRow] = []
        for part in parts:
            try:
                check_size(part, PART_LIMITS)
                found = pq.ParquetFile(part).metadata.num_rows  # the footer only, before any row is read
                if found > PART_LIMITS.lines:
                    raise LimitError("", f"a part of at most {PART_LIMITS.lines:,} rows (limit lines)", f"{found:,} rows")
                table = pq.read_table(part)
            except LimitError as error:
                raise StoreError(error.located(part)) from None
            except (OSError, ValueError) as error:
                raise StoreError(f"{part}: expected a Parquet part of a dialectic store, found {error}") from None
            version = (table.schema.metadata or {}).get(SCHEMA_KEY, b"?").decode()
            if _major(version) != _major(STORE_SCHEMA):
                raise StoreError(f"{part}: expected store schema version {_major(STORE_SCHEMA)}.x, found {version}")
            try:
                rows += [_row(record) for record in table.to_pylist()]
            except LimitError as error:
                raise StoreError(f"{part}: a row's JSON column: {error}") from None
        return rows

    def rows(self) -> list[SweepRow]:
        """Every run's latest row (ok or failed), in the order the runs first finished."""
        self.manifest()
        latest: dict[str, SweepRow] = {}
        for row in self._read_parts(self.parts()):
            latest.pop(row.run_id, None)
            latest[row.run_id] = row
        return list(latest.values())

    def finished(self) -> dict[str, SweepRow]:
        """Runs done for good: an ok row whose trace is on disk (a resumed sweep skips them)."""
        return {r.run_id: r for r in self.rows()
                if r.status == "ok" and r.result is not None and r.result.trace is not None
                and (self.out / r.result.trace).exists()}

    def write_trace(self, name: str, data: bytes) -> str:
        """Put a run's trace in place whole; returns its path relative to the store."""
        _atomic_write(self.traces_dir / name, data)
        return f"traces/{name}"

    def append(self, rows: list[SweepRow]) -> None:
        """Write `rows` as one new part (temporary file, then rename)."""
        if rows:
            self._write_part(rows)

    def _write_part(self, rows: list[SweepRow]) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._written += 1
        path = self.rows_dir / f"part-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}-" \
                               f"{self._written:06d}.parquet"
        table = pa.Table.from_pylist([_record(r) for r in rows], schema=arrow_schema())
        temporary = self.rows_dir / f".tmp-{path.name}"
        pq.write_table(table, temporary)
        os.replace(temporary, path)
        return path

    def compact(self) -> None:
        """Fold every part into one holding the latest row per run (written whole, then the old parts go).
        A kill between the two steps leaves duplicates that readers resolve (latest row wins)."""
        parts = self.parts()
        if len(parts) < 2:
            return
        latest: dict[str, SweepRow] = {}
        for row in self._read_parts(parts):
            latest.pop(row.run_id, None)
            latest[row.run_id] = row
        self._write_part(list(latest.values()))
        for part in parts:
            part.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".tmp-{path.name}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def load_sweep(out: str | Path) -> list[SweepRow]:
    """Every run of the store at `out`: its latest row, ok or failed (a run retried after a failure shows its
    retry). Raises StoreError for a folder that is no store or a store of another major schema version."""
    store = Store(out)
    if store.manifest() is None:
        raise StoreError(f"{store.manifest_path}: expected the manifest of a `dialectic bench run` store, found none")
    return store.rows()


def load_results(out: str | Path) -> list[RunRow]:
    """The result rows of the ok runs of the store at `out` (latest row per run), ready for
    dialectic.bench.summarise. ``trace`` is the trace's absolute path, ``run_id`` the run's id and ``params``
    its generated scenario's parameters."""
    root = Path(out).resolve()
    results = []
    for row in load_sweep(out):
        if row.status == "ok" and row.result is not None:
            trace = None if row.result.trace is None else str(root / row.result.trace)
            results.append(row.result.model_copy(update={"trace": trace}))
    return results
