"""The long fuzz runs (docs/fuzzing.md), left out of the default test run by the `fuzz` marker:

    .venv/bin/python -m pytest -m fuzz tests/fuzz                       # 100,000 inputs per reader
    FUZZ_INPUTS=5000 FUZZ_SEED=3 .venv/bin/python -m pytest -m fuzz tests/fuzz -k trace

Each input runs in a worker process under a 10 s time limit and a 500 MiB memory limit; crashers are saved
to tests/fuzz/corpus/<reader>/ (then replayed by test_corpus.py in the default run)."""

from __future__ import annotations

import os

import pytest

from tests.fuzz.engine import READERS, fuzz

INPUTS = int(os.environ.get("FUZZ_INPUTS", "100000"))
SEED = int(os.environ.get("FUZZ_SEED", "0"))


@pytest.mark.fuzz
@pytest.mark.parametrize("reader", list(READERS))
def test_fuzz_reader(reader: str) -> None:
    report = fuzz(reader, INPUTS, SEED, timeout_s=10.0, memory_mb=500)
    print(report.line())
    assert not report.crashes, f"{report.line()}\n{report.signatures}\nsaved: {report.saved}"
