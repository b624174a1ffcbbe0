"""The LangGraph engine: determinism, seeded tie-breaking, per-turn flushing, the round limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialectic.dialogue import Move, Observation, PublicGame, build_graph
from dialectic.rewards import GroupUtility
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario
from dialectic.strategies import Params, policy
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("strategy", ["conceder", "dialectical", "max-min"])
def test_same_seed_gives_a_byte_identical_trace(strategy: str, tmp_path: Path) -> None:
    first = run_dialogue(SCENARIOS / "harbour-sport-park.yaml", strategy, seed=7, out=tmp_path / "a")
    second = run_dialogue(SCENARIOS / "harbour-sport-park.yaml", strategy, seed=7, out=tmp_path / "b")
    assert first.trace_path.read_bytes() == second.trace_path.read_bytes()


def _tied() -> Scenario:
    """Two groups indifferent between the options of issue T: concession ties are broken by the seed."""
    return Scenario.model_validate(
        {
            "name": "ties",
            "space": {"issues": [{"id": "P", "options": ["P1", "P2", "P3"]},
                                 {"id": "T", "options": ["T1", "T2", "T3", "T4"]}]},
            "groups": [
                {"id": "a", "share": 0.5, "reward": {"kind": "additive", "points": {"P": [10, 5, 0], "T": [0, 0, 0, 1]}},
                 "reservation": 4},
                {"id": "b", "share": 0.5, "reward": {"kind": "additive", "points": {"P": [0, 5, 10], "T": [0, 0, 0, 1]}},
                 "reservation": 4},
            ],
            "rounds": 8,
            "opening": {"speaker": "a", "proposal": {"P": "P1", "T": "T1"}},
        }
    )


def test_seeds_that_break_ties_differently_give_different_traces(tmp_path: Path) -> None:
    traces = {
        run_dialogue(_tied(), "linear", seed=seed, out=tmp_path / str(seed)).trace_path.read_bytes()
        for seed in range(8)
    }
    assert len(traces) > 1
    # and without ties the seed changes nothing but the header
    plain = [run_dialogue(SCENARIOS / "majority-51-49.yaml", "linear", seed=s, out=tmp_path / f"p{s}")
             for s in range(3)]
    assert len({tuple(m.model_dump_json() for m in r.trace.moves) for r in plain}) == 1


class _Crash(RuntimeError):
    pass


class _Crasher:
    def __init__(self, me: str, public: PublicGame):
        self.me, self.public = me, public

    def act(self, obs: Observation) -> Move:
        if obs.round == 3:
            raise _Crash("killed mid-run")
        return Move(speaker=self.me, view=obs.my_view, accepts=None if obs.table.proposal is None else False,
                    utterance="not yet")


@policy("test-crasher", "Test fixture: raises in round 3.")
def _crasher(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> _Crasher:
    return _Crasher(me, public)


def test_a_crashed_run_leaves_a_readable_trace(tmp_path: Path) -> None:
    with pytest.raises(_Crash):
        run_dialogue(SCENARIOS / "harbour-sport-park.yaml", "hardliner", out=tmp_path, agents={"union": "test-crasher"})
    [path] = list(tmp_path.glob("*.jsonl"))
    trace = read_trace(path)
    assert not trace.complete
    # two full rounds were flushed, then every turn of round 3 before union's
    before_union = trace.header.order.index("union")
    assert len(trace.moves) == 2 * 6 + before_union
    assert [m.turn for m in trace.moves] == list(range(1, len(trace.moves) + 1))


def test_a_truncated_last_line_is_dropped_not_fatal(tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / "harbour-sport-park.yaml", "conceder", out=tmp_path)
    text = result.trace_path.read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(text[:10]) + "\n" + text[10][: len(text[10]) // 2])
    trace = read_trace(cut)
    assert trace.truncated and len(trace.moves) == 8


def test_round_limit_bounds_the_run(tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / "harbour-sport-park.yaml", "hardliner", out=tmp_path)
    assert result.trace.end is not None
    assert result.trace.end.reason == "round_limit"
    assert result.trace.end.turns == 24 * 6 == len(result.trace.moves)


def test_graph_has_one_node_per_participant_and_one_step_per_turn() -> None:
    graph = build_graph(("mediator", "a", "b"))
    nodes = set(graph.get_graph().nodes)
    assert {"mediator", "a", "b"} <= nodes and "referee" not in nodes  # the referee's work is in each turn


def test_a_run_takes_one_graph_step_per_turn_within_the_exact_limit(tmp_path: Path) -> None:
    """The hardliner card runs to the round limit (24 rounds x 6 = 144 turns): 144 graph steps, each one turn
    (the speaker's move and the referee's work), under the limit `recursion_limit(144)`."""
    from dialectic.dialogue import opening_state, recursion_limit
    from dialectic.runner import finish_run, prepare_run

    run = prepare_run(SCENARIOS / "harbour-sport-park.yaml", "hardliner", seed=0, out=tmp_path, evaluate=False)
    graph = build_graph(tuple(run.session.order))
    steps = list(graph.stream(opening_state(run.session), context=run.session, stream_mode="values",
                              config={"recursion_limit": recursion_limit(run.session.max_turns)}))
    turns = [state["turn"] for state in steps]
    assert turns == list(range(145))  # the input, then one state per turn
    assert len(run.session.said) == len(run.session.events) == 144
    finish_run(run, steps[-1], 0.0)
    assert read_trace(run.writer.path).end.turns == 144  # type: ignore[union-attr]
