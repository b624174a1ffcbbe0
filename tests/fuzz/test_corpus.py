"""Every crasher the fuzzer saved (tests/fuzz/corpus/<reader>/, docs/fuzzing.md) now reads as a valid object or
the reader's clear error, quickly: a regression fixture per bug found."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fuzz.engine import CORPUS, READERS, prepare_folder, run_one

CRASHERS = sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".yaml", ".jsonl"))


@pytest.mark.parametrize("crasher", CRASHERS, ids=[f"{p.parent.name}/{p.name}" for p in CRASHERS])
def test_a_saved_crasher_gives_the_clear_error(crasher: Path, tmp_path: Path) -> None:
    prepare_folder(tmp_path)
    reader = READERS[crasher.parent.name]
    started = time.perf_counter()
    outcome, detail = run_one(reader, crasher.read_bytes(), tmp_path)
    assert outcome != "crash", f"{crasher} ({(crasher.parent / (crasher.name + '.txt')).read_text()[:200]}):\n{detail}"
    assert time.perf_counter() - started < 10


def test_the_corpus_is_not_empty() -> None:
    assert CRASHERS, f"no saved crashers under {CORPUS}"
