"""Property-based tests of the readers of outside input (docs/fuzzing.md): whatever a file holds, a reader
returns a valid object or raises its documented clear error (ScenarioError, SuiteError, TraceFormatError),
never another exception. Inputs are built from scratch (random YAML/JSON values, random bytes) and by
mutating the shipped files with the seeded mutators of tests/fuzz/engine.py. Kept fast for the default run
(a few dozen examples each); the long runs are eval/fuzz_readers.py and the `fuzz`-marked tests."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.engine import READERS, mutate, prepare_folder, run_one, seeds

FAST = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_folder: Path | None = None


def folder() -> Path:
    """One fake checkout for the whole module (hypothesis examples cannot use function-scoped fixtures)."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="fuzz-props-"))
        prepare_folder(_folder)
    return _folder


def check(reader: str, data: bytes) -> str:
    outcome, detail = run_one(READERS[reader], data, folder())
    assert outcome != "crash", f"{READERS[reader].name} raised an unexpected exception on {data[:300]!r}:\n{detail}"
    return outcome


scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
           | st.sampled_from(["id", "name", "kind", "discrete", "groups", "issues", "A1", "conceder", "header",
                              "move", "round-robin", "majority", "scenarios/majority-51-49.yaml", "**/*.yaml"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=12) | st.sampled_from(["id", "groups", "type", "v"]),
                                        inner, max_size=5), max_leaves=30)


def _yaml(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True).encode("utf-8", "surrogatepass")


def _jsonl(rows: list[Any]) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode("utf-8", "surrogatepass")


YAML_READERS = ["scenario", "card", "suite"]
JSON_READERS = ["trace", "transcript"]


@pytest.mark.parametrize("reader", YAML_READERS)
@FAST
@given(value=values)
def test_yaml_readers_on_random_values(reader: str, value: Any) -> None:
    check(reader, _yaml(value))


@pytest.mark.parametrize("reader", YAML_READERS)
@FAST
@given(value=st.dictionaries(st.sampled_from(["name", "description", "groups", "space", "rounds", "rule",
                                              "opening", "protocol", "agents", "mediator", "seeds", "root",
                                              "entries"]), values, min_size=1, max_size=6))
def test_yaml_readers_on_random_documents_with_their_keys(reader: str, value: Any) -> None:
    check(reader, _yaml(value))


@pytest.mark.parametrize("reader", [*YAML_READERS, *JSON_READERS])
@FAST
@given(data=st.binary(max_size=300))
def test_readers_on_random_bytes(reader: str, data: bytes) -> None:
    check(reader, data)


@pytest.mark.parametrize("reader", JSON_READERS)
@FAST
@given(rows=st.lists(values, max_size=6))
def test_jsonl_readers_on_random_lines(reader: str, rows: list[Any]) -> None:
    check(reader, _jsonl(rows))


@pytest.mark.parametrize("reader", [*YAML_READERS, *JSON_READERS])
@settings(FAST, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1))
def test_readers_on_mutated_shipped_files(reader: str, seed: int) -> None:
    pool = seeds(reader)
    check(reader, mutate(random.Random(seed), READERS[reader], pool, pool))


@pytest.mark.parametrize("reader", JSON_READERS)
@FAST
@given(data=st.data())
def test_jsonl_readers_on_shipped_files_with_a_line_replaced(reader: str, data: st.DataObject) -> None:
    pool = seeds(reader)
    lines = data.draw(st.sampled_from(pool)).split(b"\n")
    at = data.draw(st.integers(0, max(0, len(lines) - 1)))
    lines[at] = json.dumps(data.draw(values)).encode("utf-8", "surrogatepass")
    check(reader, b"\n".join(lines))


def test_the_shipped_files_read_cleanly() -> None:
    """The seeds themselves: every shipped file is valid (the transcripts' seeds name a shipped game)."""
    for reader in READERS:
        for data in seeds(reader):
            assert check(reader, data) == "ok", (reader, data[:200])
