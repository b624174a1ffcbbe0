"""`evaluate` and the oracles against the independent plain-Python scorer (evaluate_reference.py)
on seeded random scenarios (additive and table rewards; unanimous, quorum and majority rules with
vetoes) and random dialogues whose moves follow the public-state semantics of DESIGN.md."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import pytest

import dialectic.oracles._enumerate as enumeration
from dialectic.evaluate import LABELS, evaluate
from dialectic.oracles import (
    kalai_smorodinsky,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    utilitarian_optimum,
)
from dialectic.trace import EndEvent, EvaluationEvent, MoveEvent, OpeningEvent, Trace
from tests.evaluate.evaluate_reference import PublicState, Reference, plain_influence, score, settle_ties
from tests.evaluate.evaluate_support import assert_close, header, make_game, random_spec

RUNS = 200


def best_view(ref: Reference, group: str, near: tuple[int, ...]) -> tuple[int, ...]:
    top = max(ref.u[group].values())
    return min((x for x in ref.outcomes if ref.u[group][x] == top), key=lambda x: ref.distance(x, near))


def toward(rng: random.Random, view: tuple[int, ...], anchor: tuple[int, ...]) -> tuple[int, ...]:
    differing = [k for k, (a, b) in enumerate(zip(view, anchor, strict=True)) if a != b]
    if not differing or rng.random() < 0.3:
        return view
    k = rng.choice(differing)
    return view[:k] + (anchor[k],) + view[k + 1:]


def random_trace(spec: dict[str, Any], ref: Reference, rng: random.Random) -> Trace:
    """A dialogue in one of four moods; it ends when the table's proposal passes (and, under mutual
    tolerance, every group tolerates every other view), on a mediator's move with no proposal
    (deadlock), at the round limit, or is cut off. It is a trace the engine could write (the
    scenario's `rounds` is set to the dialogue's), except for the one in ten whose opening names no
    proposal (the scenario has one: flagged `opening.proposal`)."""
    mood = rng.choice(["random", "honest", "persuade", "converge"])
    mutual, with_mediator = rng.random() < 0.3, rng.random() < 0.3
    speaker = spec["opening"]["speaker"]
    proposal = None if rng.random() < 0.1 else ref.parse(spec["opening"]["proposal"])
    start = ref.parse(spec["opening"]["proposal"])
    views = {g: start if g == speaker else best_view(ref, g, start) for g in ref.groups}
    anchor = start if mood == "persuade" else rng.choice(ref.outcomes)
    opening = OpeningEvent(
        speaker=speaker,
        proposal=ref.names_or_none(proposal),
        views={g: ref.names(v) for g, v in views.items()},
    )
    state = PublicState(ref, opening)
    k = ref.groups.index(speaker)
    order = (["mediator"] if with_mediator else []) + ref.groups[k + 1:] + ref.groups[: k + 1]
    rounds = rng.randint(1, 5)
    spec["rounds"] = ref.rounds = rounds
    game = make_game(spec)
    with_rewards = rng.random() < 0.5
    moves: list[MoveEvent] = []
    settlement: tuple[int, ...] | None = None
    reason: Literal["settlement", "round_limit", "deadlock"] = "round_limit"
    for turn in range(1, rounds * len(order) + 1):
        who = order[(turn - 1) % len(order)]
        table = state.proposal
        fields: dict[str, Any] = {}
        if who == "mediator":
            offer = None
            if rng.random() < 0.95:  # else it tables nothing: it found nothing to propose (deadlock)
                offer = anchor if mood in ("persuade", "converge") else rng.choice(ref.outcomes)
            view = offer or (state.mediator[-1] if state.mediator else rng.choice(ref.outcomes))
            fields["proposal"] = ref.names_or_none(offer)
        else:
            view = state.views[who]
            if mood in ("persuade", "converge") and not (mood == "persuade" and who == speaker):
                view = toward(rng, view, anchor)
            elif rng.random() < 0.5:
                pool = [x for x in ref.outcomes if mood != "honest" or ref.ok(who, x)]
                view = rng.choice(pool) if pool else view
            draw = rng.random()
            if draw < 0.25:
                steered = mood in ("persuade", "converge") and rng.random() < 0.8
                fields["proposal"] = ref.names(anchor if steered else rng.choice(ref.outcomes))
            elif draw < 0.35 and table is not None:
                fields["proposal"] = ref.names(table)
            if table is not None and rng.random() < 0.9:
                if mood in ("persuade", "converge"):
                    fields["accepts"] = table == anchor or rng.random() < 0.3
                elif mood == "honest":
                    fields["accepts"] = ref.ok(who, table) != (rng.random() < 0.15)
                else:
                    fields["accepts"] = rng.random() < 0.5
            judged = [h for h in ref.groups if h != who and rng.random() < 0.7]
            fields["tolerates"] = {
                h: ref.ok(who, state.views[h]) if rng.random() < 0.7 else rng.random() < 0.5 for h in judged
            }
            if rng.random() < 0.4:
                fields["target"] = rng.choice([rng.random(), rng.choice(list(ref.u[who].values()))])
        if with_rewards:
            offer = ref.maybe(fields.get("proposal"))
            fields["rewards"] = {
                g: {"view": ref.r[g][view], "proposal": None if offer is None else ref.r[g][offer]} for g in ref.groups
            }
        event = MoveEvent(
            turn=turn, round=(turn - 1) // len(order) + 1, speaker=who, view=ref.names(view),
            answers=ref.names_or_none(table), **fields,
        )
        moves.append(event)
        state.apply(event)
        if state.passes() and (not mutual or state.mutual_tolerance()):
            settlement, reason = state.proposal, "settlement"
            break
        if who == "mediator" and fields["proposal"] is None:
            reason = "deadlock"
            break
    else:
        if mutual and state.passes():
            settlement = state.proposal
    end: EndEvent | None = EndEvent(
        reason=reason, settlement=ref.names_or_none(settlement), rounds=moves[-1].round, turns=len(moves),
        accepted_by=sorted(g for g, yes in state.accepts.items() if yes and g in ref.groups),
    )
    if rng.random() < 0.05:
        end = None
    return Trace(Path("<random>"), header(game, with_mediator, mutual), opening, moves, end)


def test_evaluate_agrees_with_the_reference_scorer() -> None:
    labels: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    for seed in range(RUNS):
        rng = random.Random(seed)
        spec = random_spec(rng)
        ref = Reference(spec)
        trace = random_trace(spec, ref, rng)
        evaluation = evaluate(make_game(spec), trace)
        got = json.loads(evaluation.model_dump_json())
        got["metrics"]["influence"] = plain_influence(got["metrics"]["influence"])
        want = score(ref, trace)
        settle_ties(ref, ref.maybe(want["settlement"]), got["metrics"], want["metrics"])
        assert_close(got, want, f"seed {seed}")
        # Untampered: the only inconsistency a random dialogue has is an opening without a proposal.
        assert evaluation.consistent == (trace.opening.proposal is not None), (seed, evaluation.inconsistencies)
        flags["inconsistent"] += not evaluation.consistent
        flags["cut short"] += trace.end is None
        flags["settled when cut short"] += trace.end is None and evaluation.declared_agreement
        flags["rewards recorded"] += bool(trace.moves[0].rewards)
        labels[evaluation.label] += 1
        flags["false tolerance"] += bool(evaluation.false_tolerance)
        flags["flips"] += any(evaluation.flips.values())
        flags["hollow"] += any(evaluation.hollow_acceptances.values())
        flags["mediator"] += "mediator" in evaluation.pull
        flags["mediator proposed nothing"] += evaluation.end_reason == "deadlock"
        flags["capitulation"] += any(evaluation.capitulation.values())
        flags["no deal in oracle"] += evaluation.maxmin_oracle_outcome is None
        extra = evaluation.metrics
        flags["unreciprocated"] += any(extra["unreciprocated_concessions"].values())
        flags["reciprocated"] += extra["concession_moves"] != extra["unreciprocated_concessions"]
        flags["settled before the end"] += (extra["turns_to_settlement"] or evaluation.turns) < evaluation.turns
        flags["influence steps"] += any(e["steps"] for e in extra["influence"]["edges"])
        flags["mediator view changes"] += any(
            n["view_changes"] for n in extra["influence"]["nodes"] if n["id"] == "mediator"
        )
        flags["candidate spread"] += any(extra["candidate_spread"]["std"].values())
        dominance = extra["settlement_pareto_dominated"]
        flags["pareto dominated"] += dominance is not None and dominance["dominated"]
        flags["pareto optimal"] += dominance is not None and not dominance["dominated"]
        flags["nothing passes honestly"] += extra["utilitarian_optimum"]["outcome"] is None
    # The random dialogues must reach every label and every signal, or the comparison proves little.
    assert set(labels) == set(LABELS), labels
    assert all(flags[name] >= 3 for name in flags), flags


def other_outcome(ref: Reference, rng: random.Random, x: tuple[int, ...] | None) -> tuple[int, ...]:
    return rng.choice([y for y in ref.outcomes if y != x])


def tamper(trace: Trace, ref: Reference, rng: random.Random, kind: str) -> tuple[Trace, str | None]:
    """One edit of a consistent trace, and the field it must be flagged with (None: may pass unseen,
    or must stay consistent, as a trace cut short)."""
    trace = Trace(trace.path, trace.header, trace.opening, [m.model_copy(deep=True) for m in trace.moves],
                  None if trace.end is None else trace.end.model_copy(deep=True), trace.evaluation)
    moves, end = trace.moves, trace.end
    assert end is not None
    if kind == "settlement":
        end.settlement = ref.names(other_outcome(ref, rng, ref.maybe(end.settlement)))
        return trace, "end.settlement"
    if kind == "no settlement" and end.settlement is not None:
        end.settlement = None
        return trace, "end.settlement"
    if kind == "accepted_by":
        end.accepted_by = sorted(set(end.accepted_by) ^ {rng.choice(ref.groups)})
        return trace, "end.accepted_by"
    if kind in ("rounds", "turns"):
        setattr(end, kind, getattr(end, kind) + rng.choice([-1, 1]))
        return trace, f"end.{kind}"
    if kind == "reason":
        end.reason = rng.choice([r for r in ("settlement", "round_limit", "deadlock") if r != end.reason])
        return trace, "end.reason"
    if kind == "stance":
        stated = [m for m in moves if m.accepts is not None]
        if stated:
            move = rng.choice(stated)
            move.accepts = not move.accepts
        return trace, None
    if kind == "swap" and len(moves) >= 2:
        k = rng.randrange(len(moves) - 1)
        moves[k], moves[k + 1] = moves[k + 1], moves[k]
        return trace, "turn"
    if kind == "renumber":
        rng.choice(moves).round += 1
        return trace, "round"
    if kind == "drop a move" and len(moves) >= 2:
        del moves[rng.randrange(len(moves) - 1)]
        return trace, None  # flagged by speaker, turn or the end, whichever the drop breaks first
    if kind == "reward" and moves[0].rewards:
        move = rng.choice(moves)
        pair = move.rewards[rng.choice(ref.groups)]
        pair.view = (pair.view or 0.0) + rng.choice([-1.0, 0.5, 3.0])
        return trace, "rewards"
    if kind == "extra move" and end.reason != "deadlock":
        last = moves[-1]
        moves.append(last.model_copy(update={"turn": last.turn + 1}))
        return trace, "moves"
    if kind == "truncate":
        trace.end = None
        return trace, None
    if kind == "evaluation":
        recorded = evaluate(make_game(ref.spec), trace).model_dump(mode="json")
        recorded["label"] = rng.choice([label for label in LABELS if label != recorded["label"]])
        trace.evaluation = EvaluationEvent(evaluation=recorded)
        return trace, "evaluation.label"
    return trace, None


TAMPERINGS = ["settlement", "no settlement", "accepted_by", "rounds", "turns", "reason", "stance", "swap",
              "renumber", "drop a move", "reward", "extra move", "truncate", "evaluation"]


def test_tampered_traces_are_flagged_alike() -> None:
    """Each tampering of an engine-consistent random trace is flagged (with the field it touched) by
    `evaluate` and by the reference scorer alike; both score it as replayed. A trace cut short stays
    consistent."""
    flagged: Counter[str] = Counter()
    for seed in range(RUNS):
        rng = random.Random(10_000 + seed)
        spec = random_spec(rng)
        ref = Reference(spec)
        trace = random_trace(spec, ref, rng)
        if trace.opening.proposal is None or trace.end is None:
            continue
        game = make_game(spec)
        for kind in TAMPERINGS:
            tampered, field = tamper(trace, ref, rng, kind)
            evaluation = evaluate(game, tampered)
            got = json.loads(evaluation.model_dump_json())
            got["metrics"]["influence"] = plain_influence(got["metrics"]["influence"])
            want = score(ref, tampered)
            settle_ties(ref, ref.maybe(want["settlement"]), got["metrics"], want["metrics"])
            assert_close(got, want, f"seed {seed}, {kind}")
            fields = {i.field for i in evaluation.inconsistencies}
            if kind == "truncate":
                assert evaluation.consistent and not evaluation.complete, (seed, evaluation.inconsistencies)
            elif field is not None:
                assert any(f == field or f.startswith(field + ".") for f in fields), (seed, kind, fields)
            flagged[kind] += not evaluation.consistent
    assert all(flagged[kind] >= 20 for kind in TAMPERINGS if kind != "truncate"), flagged


@pytest.mark.parametrize("cells", [enumeration.BLOCK_CELLS, 3])
def test_oracles_agree_with_enumeration(monkeypatch: pytest.MonkeyPatch, cells: int) -> None:
    """dialectic.oracles on the evaluator's games (dense utility matrices) against the plain-Python
    scan; 3 cells per block splits every space into blocks of one outcome."""
    monkeypatch.setattr(enumeration, "BLOCK_CELLS", cells)
    for seed in range(100):
        spec = random_spec(random.Random(1000 + seed))
        ref, game = Reference(spec), make_game(spec)
        for mine, theirs in [(maxmin_oracle(game, method="enumeration"), ref.maxmin_oracle()),
                             (maxmin_unconstrained(game, method="enumeration"), ref.maxmin_unconstrained())]:
            assert mine.value == pytest.approx(theirs[0], abs=1e-12), seed
            assert mine.outcome == theirs[1], seed
        for found, best, value in [
            (utilitarian_optimum(game, method="enumeration"), ref.utilitarian_optimum(), ref.utilitarian_value),
            (nash_optimum(game, method="enumeration"), ref.nash_optimum(), ref.nash_value),
            (kalai_smorodinsky(game, method="enumeration"), ref.kalai_smorodinsky(), ref.ks_value),
        ]:
            assert found.status == "exact" and found.value == pytest.approx(best[0], abs=1e-12), seed
            assert (found.outcome is None) == (best[1] is None), seed
            if found.outcome is not None:
                # Sums in another order may break exact ties differently: compare optimal values.
                assert value(found.outcome) == pytest.approx(best[0], abs=1e-12), seed
