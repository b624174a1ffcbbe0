"""The simultaneous protocol (issue 13, item 1): every agent moves at once each round on the same round-start
table and record (`Send` fan-out), the referee merges the moves in speaking order, dropping stances the round
made stale; the trace format and the evaluator's replay are round-robin's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from dialectic.dialogue import Move, Observation, PublicGame, Table, build_simultaneous_graph
from dialectic.dialogue._engine import STALE_PROPOSAL, STALE_VIEW, drop_stale
from dialectic.evaluate import evaluate
from dialectic.game import Game
from dialectic.rewards import GroupUtility
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario, load_scenario
from dialectic.strategies import Params, StrategyCard, load_card, policy
from dialectic.trace import read_trace
from dialectic.vector import run_vector
from tests.conftest import SCENARIOS

HARBOUR = SCENARIOS / "harbour-sport-park.yaml"


def _simultaneous(name: str, policy_name: str, mutual_tolerance: bool = True) -> StrategyCard:
    return StrategyCard.model_validate({"name": name, "description": "test", "protocol": "simultaneous",
                                        "mutual_tolerance": mutual_tolerance, "cast": {"default": policy_name}})


def _round_robin(name: str, policy_name: str, mutual_tolerance: bool = True) -> StrategyCard:
    return StrategyCard.model_validate({"name": name, "description": "test", "protocol": "round-robin",
                                        "mutual_tolerance": mutual_tolerance, "cast": {"default": policy_name}})


def _three(rounds: int = 6, common_best: bool = False) -> Scenario:
    """Three groups over two issues; with `common_best`, every group's best outcome is (P1, T1), the opening."""
    points = ([{"P": [10, 5, 0], "T": [4, 2, 0]}] * 3 if common_best else
              [{"P": [10, 5, 0], "T": [0, 2, 4]}, {"P": [0, 5, 10], "T": [4, 2, 0]}, {"P": [5, 10, 0], "T": [0, 4, 2]}])
    return Scenario.model_validate({
        "name": "three-common" if common_best else "three",
        "space": {"issues": [{"id": "P", "options": ["P1", "P2", "P3"]}, {"id": "T", "options": ["T1", "T2", "T3"]}]},
        "groups": [{"id": g, "share": 1 / 3, "reward": {"kind": "additive", "points": p}, "reservation": 4}
                   for g, p in zip(["a", "b", "c"], points, strict=True)],
        "rounds": rounds,
        "opening": {"speaker": "a", "proposal": {"P": "P1", "T": "T1"}},
    })


# --- a recording policy: what each agent was shown at its call --------------------------------------------------


@dataclass(frozen=True)
class Seen:
    me: str
    turn: int
    round: int
    table: Table
    record_turns: tuple[int, ...]


SEEN: list[Seen] = []


class _Proposer:
    """Proposes its opening view (its best) every turn and refuses anything else: the table changes within a
    round in round-robin, never within a round in simultaneous runs."""

    def __init__(self, me: str, public: PublicGame):
        self.me, self.public = me, public

    def act(self, obs: Observation) -> Move:
        SEEN.append(Seen(self.me, obs.turn, obs.round, obs.table, tuple(s.turn for s in obs.record)))
        mine = self.public.opening_views[self.me]
        return Move(speaker=self.me, view=mine, proposal=mine,
                    accepts=None if obs.table.proposal is None else obs.table.proposal == mine,
                    tolerates={g: False for g in obs.others()}, utterance="mine")


@policy("test-sim-proposer", "Test fixture: proposes its best every turn, records its observations.")
def _proposer(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> _Proposer:
    return _Proposer(me, public)


def _seen(scenario: Scenario, card: StrategyCard, out: Path) -> list[Seen]:
    SEEN.clear()
    run_dialogue(scenario, card, seed=0, out=out)
    return list(SEEN)


def test_every_agent_in_a_round_sees_the_same_round_start_table_and_record(tmp_path: Path) -> None:
    seen = _seen(_three(rounds=4), _simultaneous("sim-proposer", "test-sim-proposer"), tmp_path)
    assert [s.turn for s in seen] == list(range(1, 13))  # every agent asked, its own turn number, 4 rounds x 3
    for r in range(1, 5):
        in_round = [s for s in seen if s.round == r]
        assert [s.me for s in in_round] == ["b", "c", "a"]  # the referee's order: after the opening speaker
        assert all(s.table == in_round[0].table for s in in_round)
        assert {s.table.turn for s in in_round} == {3 * (r - 1)}  # the table as the round started
        assert {s.record_turns for s in in_round} == {tuple(range(1, 3 * (r - 1) + 1))}  # earlier rounds only


def test_round_robin_shows_the_round_so_far_where_simultaneous_does_not(tmp_path: Path) -> None:
    """The difference is real: in round-robin the second speaker of round 1 sees the first's proposal on the
    table; under simultaneous it sees the opening proposal, like the first."""
    robin = _seen(_three(rounds=2), _round_robin("rr-proposer", "test-sim-proposer"), tmp_path / "rr")
    simul = _seen(_three(rounds=2), _simultaneous("sim-proposer", "test-sim-proposer"), tmp_path / "sim")
    second_rr, second_sim = robin[1], simul[1]
    assert second_rr.me == second_sim.me == "c" and second_rr.turn == second_sim.turn == 2
    assert second_rr.record_turns == (1,) and second_sim.record_turns == ()
    assert second_rr.table.proposer == "b" and second_sim.table.proposer == "a"
    assert second_sim.table.turn == 0 and second_rr.table.turn == 1


# --- verdicts where the order cannot matter ----------------------------------------------------------------------


@pytest.mark.parametrize("policy_name", ["dialectical", "capitulator", "linear"])
def test_same_verdict_as_round_robin_where_order_cannot_matter(policy_name: str, tmp_path: Path) -> None:
    """Every group's best outcome is the opening proposal: whoever moves first, it passes; both protocols give
    the same label and settlement (and the evaluator's replay finds the simultaneous trace consistent)."""
    scenario = _three(common_best=True)
    robin = run_dialogue(scenario, _round_robin("rr", policy_name), out=tmp_path / "rr")
    simul = run_dialogue(scenario, _simultaneous("sim", policy_name), out=tmp_path / "sim")
    assert robin.evaluation is not None and simul.evaluation is not None
    assert robin.trace.end is not None and simul.trace.end is not None
    assert simul.evaluation.label == robin.evaluation.label
    assert simul.trace.end.settlement == robin.trace.end.settlement is not None
    assert simul.evaluation.inconsistencies == []
    assert read_trace(simul.trace_path).header.protocol == "simultaneous"


def test_harbour_simultaneous_is_replayed_consistently(tmp_path: Path) -> None:
    result = run_dialogue(HARBOUR, "dialectical-simultaneous", seed=0, out=tmp_path)
    assert result.evaluation is not None and result.evaluation.inconsistencies == []
    assert result.trace.header.protocol == "simultaneous"
    assert evaluate(Game(load_scenario(HARBOUR)), read_trace(result.trace_path)).inconsistencies == []


# --- stale stances ------------------------------------------------------------------------------------------------


class _Staler:
    """b tables (P3, T3) as its view and proposal, accepting; a and c accept whatever the round-start table
    shows and tolerate every view: in round 1, their stances answer the opening and b's old view."""

    def __init__(self, me: str, public: PublicGame):
        self.me = me

    def act(self, obs: Observation) -> Move:
        tolerates = {g: True for g in obs.others()}
        if self.me == "b":
            new = (2, 2)  # (P3, T3)
            return Move(speaker="b", view=new, proposal=new, accepts=True, tolerates=tolerates)
        return Move(speaker=self.me, view=obs.my_view, accepts=obs.table.proposal is not None, tolerates=tolerates,
                    rationale="agreeable")


@policy("test-sim-staler", "Test fixture: b tables a new proposal; the others accept the round-start one.")
def _staler(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> _Staler:
    return _Staler(me, public)


def test_stances_on_what_the_round_changed_are_dropped_and_the_replay_agrees(tmp_path: Path) -> None:
    result = run_dialogue(_three(), _simultaneous("sim-staler", "test-sim-staler"), out=tmp_path)
    trace = read_trace(result.trace_path)
    first = {m.speaker: m for m in trace.moves if m.round == 1}
    b, c, a = first["b"], first["c"], first["a"]
    assert b.accepts is True and b.proposal == {"P": "P3", "T": "T3"}  # b's own stance answered the opening: kept
    for later in (c, a):
        assert later.accepts is None  # answered the opening, no longer on the table
        assert "b" not in later.tolerates  # judged b's round-start view
        assert STALE_PROPOSAL in later.rationale and STALE_VIEW in later.rationale
        assert later.rationale.startswith("agreeable; ")
    assert set(c.tolerates) == {"a"} and set(a.tolerates) == {"c"}
    # round 2: nothing changes within it, so every stance stands, and the run settles on b's proposal
    assert all(m.accepts is True for m in trace.moves if m.round == 2)
    assert trace.end is not None and trace.end.reason == "settlement" and trace.end.settlement == {"P": "P3", "T": "T3"}
    assert trace.end.turns == 6
    evaluation = evaluate(Game(_three()), trace)
    assert evaluation.inconsistencies == []


def test_drop_stale_keeps_stances_on_an_unchanged_table() -> None:
    views = {"a": (0, 0), "b": (1, 1)}
    start = Table.opening(views, "a", (0, 0))
    move = Move(speaker="b", view=(1, 1), accepts=False, tolerates={"a": False}, rationale="x")
    assert drop_stale(move, start, start) is move
    moved = start.apply(Move(speaker="a", view=(2, 2), proposal=(2, 2)), 1)
    dropped = drop_stale(move, start, moved)
    assert dropped.accepts is None and dropped.tolerates == {} and dropped.rationale.startswith("x; ")


# --- determinism, the batched path, the card ----------------------------------------------------------------------


def test_same_seed_same_bytes_and_the_vector_path_writes_the_same(tmp_path: Path) -> None:
    first = run_dialogue(HARBOUR, "dialectical-simultaneous", seed=3, out=tmp_path / "a")
    second = run_dialogue(HARBOUR, "dialectical-simultaneous", seed=3, out=tmp_path / "b")
    assert first.trace_path.read_bytes() == second.trace_path.read_bytes()
    [vector] = run_vector(HARBOUR, "dialectical-simultaneous", [3], out=tmp_path / "v")
    assert not isinstance(vector, BaseException), vector
    assert vector.trace_path.name == first.trace_path.name
    assert vector.trace_path.read_bytes() == first.trace_path.read_bytes()


def test_the_graph_fans_out_to_every_agent() -> None:
    graph = build_simultaneous_graph(("b", "c", "a")).get_graph()
    assert {"b", "c", "a", "merge"} <= set(graph.nodes)


def test_cards() -> None:
    card = load_card("dialectical-simultaneous")
    assert card.protocol == "simultaneous" and card.mutual_tolerance and card.mediator is None
    with pytest.raises(ValidationError, match="mediator"):
        StrategyCard.model_validate({**card.model_dump(), "mediator": {"policy": "nash"}})
    llm = load_card("llm-dialectical")
    assert llm.needs_chat
    with pytest.raises(ValidationError, match="protocol.*rational agents only"):
        StrategyCard.model_validate({**llm.model_dump(), "protocol": "simultaneous", "mediator": None})
