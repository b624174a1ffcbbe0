"""Vectorised runs (`dialectic.vector.run_vector`) write, for every seed, the very trace and evaluation a single
`run_dialogue` writes: same file name, same bytes; a dialogue that raises is returned as its exception (its
trace so far the single run's, byte for byte) while the others go on; dialogues ending at different turns
drop out of the batch one by one."""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

import pytest

from dialectic.dialogue import Session
from dialectic.game import Game
from dialectic.runner import RunResult, run_dialogue
from dialectic.scenario import load_scenario
from dialectic.strategies import card_names, load_card
from dialectic.vector import arun_vector, run_vector
from tests.conftest import SCENARIOS

RATIONAL = [name for name in card_names() if not load_card(name).needs_chat]
#: A discrete space, a continuous one and a statement pool.
SCENARIO_FILES = ["harbour-sport-park.yaml", "budget-split.yaml", "polis-brexit-consensus.yaml"]
SEEDS = [0, 1, 2]


@cache
def _game(scenario: Path) -> Game:
    """The scenario file compiled once for the module (a sweep does the same; the traces do not change)."""
    return Game(load_scenario(scenario))


def _singles(scenario: Path, card: str, seeds: list[int], out: Path) -> list[RunResult]:
    return [run_dialogue(scenario, card, seed=seed, out=out, game=_game(scenario)) for seed in seeds]


def _same(vector: RunResult | BaseException, single: RunResult) -> None:
    assert isinstance(vector, RunResult), vector
    assert vector.trace_path.name == single.trace_path.name
    assert vector.trace_path.read_bytes() == single.trace_path.read_bytes()
    assert vector.evaluation is not None and single.evaluation is not None
    assert vector.evaluation.model_dump(mode="json") == single.evaluation.model_dump(mode="json")


def test_every_rational_card_is_covered() -> None:
    assert {"conceder", "dialectical", "nash", "max-min", "average-reward", "persuader"} <= set(RATIONAL)
    assert not any(load_card(name).needs_chat for name in RATIONAL)


@pytest.mark.parametrize("scenario", SCENARIO_FILES)
@pytest.mark.parametrize("card", RATIONAL)
def test_a_batch_writes_the_single_runs_traces_byte_for_byte(scenario: str, card: str, tmp_path: Path) -> None:
    path = SCENARIOS / scenario
    batch = run_vector(path, card, SEEDS, out=tmp_path / "vector", game=_game(path))
    singles = _singles(path, card, SEEDS, tmp_path / "single")
    assert len(batch) == len(SEEDS)
    for vector, single in zip(batch, singles, strict=True):
        _same(vector, single)


def test_dialogues_ending_at_different_turns_drop_out_one_by_one(tmp_path: Path) -> None:
    path, seeds = SCENARIOS / "harbour-sport-park.yaml", list(range(6))
    batch = run_vector(path, "conceder", seeds, out=tmp_path / "vector", batch_size=4)  # two batches: 4 + 2
    singles = _singles(path, "conceder", seeds, tmp_path / "single")
    turns = {single.trace.end.turns for single in singles if single.trace.end is not None}
    assert len(turns) > 1, "the workload should end at different turns"
    for vector, single in zip(batch, singles, strict=True):
        _same(vector, single)


def test_a_dialogue_that_raises_is_returned_as_its_exception_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seed 1's session raises at turn 9 (the policy's call fails); the single run with the same fault leaves the
    same trace prefix, and the other seeds' traces are the single runs'."""
    speak = Session.speak

    def faulty(self: Session, participant: str, table: object, record: object, turn: int) -> object:
        if self.seed == 1 and turn == 9:
            raise RuntimeError(f"policy of {participant} failed at turn {turn}")
        return speak(self, participant, table, record, turn)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "speak", faulty)
    path, seeds = SCENARIOS / "harbour-sport-park.yaml", [0, 1, 2]
    batch = run_vector(path, "dialectical", seeds, out=tmp_path / "vector")
    failed = batch[1]
    assert isinstance(failed, RuntimeError) and "turn 9" in str(failed)
    with pytest.raises(RuntimeError, match="turn 9"):
        run_dialogue(path, "dialectical", seed=1, out=tmp_path / "single")
    (alone,) = (tmp_path / "single").glob("*seed1__*.jsonl")
    (prefix,) = (tmp_path / "vector").glob("*seed1__*.jsonl")
    assert prefix.read_bytes() == alone.read_bytes()
    lines = prefix.read_text().splitlines()
    assert len(lines) == 2 + 8 + 1  # header, opening, the 8 moves before the fault, the error event
    assert '"type":"error","turns":8' in lines[-1] and "turn 9" in lines[-1]
    for seed in (0, 2):
        _same(batch[seed], run_dialogue(path, "dialectical", seed=seed, out=tmp_path / "single"))


def test_a_dialogue_that_cannot_be_prepared_is_returned_as_its_exception(tmp_path: Path) -> None:
    """A foreign trace under one seed's name (prepare_run refuses to overwrite it): that seed fails, the rest run."""
    path = SCENARIOS / "island-airport.yaml"
    singles = _singles(path, "conceder", [0, 1], tmp_path / "single")
    out = tmp_path / "vector"
    out.mkdir()
    foreign = out / singles[1].trace_path.name
    foreign.write_bytes(singles[0].trace_path.read_bytes().replace(b'"seed":0', b'"seed":7', 1))
    batch = run_vector(path, "conceder", [0, 1], out=out)
    assert isinstance(batch[1], ValueError) and "refusing to overwrite" in str(batch[1])
    _same(batch[0], singles[0])


def test_llm_casts_are_refused_before_anything_runs(tmp_path: Path) -> None:
    path = SCENARIOS / "harbour-sport-park.yaml"
    with pytest.raises(ValueError, match="rational casts only"):
        run_vector(path, "llm-negotiator", [0], out=tmp_path)
    with pytest.raises(ValueError, match="rational casts only"):
        run_vector(path, "conceder", [0], agents={"SportCo": "llm"}, out=tmp_path)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_async_callers_get_the_same_traces(tmp_path: Path) -> None:
    path = SCENARIOS / "budget-split.yaml"
    batch = asyncio.run(arun_vector(path, "linear", [3, 4], out=tmp_path / "vector", evaluate=False))
    for vector, seed in zip(batch, (3, 4), strict=True):
        single = run_dialogue(path, "linear", seed=seed, out=tmp_path / "single", evaluate=False)
        assert isinstance(vector, RunResult) and vector.evaluation is None
        assert vector.trace_path.read_bytes() == single.trace_path.read_bytes()
