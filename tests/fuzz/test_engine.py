"""The fuzzer's own limits work: an input that runs past the time limit is killed and recorded as a time-out,
one that grows past the memory limit is stopped and recorded, and the worker goes on with the next input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fuzz.engine import READERS, Reader, Worker, save_crasher


def _sleeps(path: Path) -> object:
    time.sleep(float(path.read_text() or 0))
    return None


def _eats(path: Path) -> object:
    return bytearray(int(path.read_text()) * 2**20)


@pytest.fixture()
def readers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two stand-in readers (the worker is forked: it sees them)."""
    monkeypatch.setitem(READERS, "sleeps", Reader("sleeps", "input.txt", _sleeps, lambda: (), False))
    monkeypatch.setitem(READERS, "eats", Reader("eats", "input.txt", _eats, lambda: (), False))


@pytest.mark.usefixtures("readers")
def test_an_input_past_the_time_limit_is_a_timeout_and_the_next_one_runs() -> None:
    worker = Worker("sleeps", memory_mb=500)
    try:
        outcome, detail, elapsed, _ = worker.run(b"30", timeout=1.0)
        assert (outcome, detail.split(" (")[0]) == ("crash", "Timeout") and elapsed < 10
        assert worker.run(b"0", timeout=5.0)[0] == "ok"
    finally:
        worker.close()


@pytest.mark.usefixtures("readers")
def test_an_input_past_the_memory_limit_is_stopped_and_recorded() -> None:
    worker = Worker("eats", memory_mb=200)
    try:
        outcome, detail, _, _ = worker.run(b"1000", timeout=10.0)
        assert outcome == "crash" and detail.startswith("MemoryError"), detail[:300]
        outcome, _, _, peak = worker.run(b"50", timeout=10.0)
        assert outcome == "ok" and peak > 50 * 2**20
    finally:
        worker.close()


def test_a_crasher_is_saved_with_its_traceback(tmp_path: Path) -> None:
    saved = save_crasher(READERS["trace"], b"{}", "KeyError at x.py:1\nTraceback ...", tmp_path)
    assert saved.parent == tmp_path / "trace" and saved.read_bytes() == b"{}"
    assert saved.with_suffix(".jsonl.txt").read_text().startswith("KeyError at x.py:1")
