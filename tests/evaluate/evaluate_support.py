"""Builders shared by the evaluator tests: scenarios from plain dicts and hand-written traces."""

from __future__ import annotations

import random
from collections.abc import Mapping
from itertools import product
from pathlib import Path
from typing import Any, Literal

from dialectic.dialogue import Move, Referee, Table, speaking_order
from dialectic.game import Game
from dialectic.scenario import Scenario
from dialectic.space import Outcome
from dialectic.trace import EndEvent, Header, MoveEvent, OpeningEvent, Trace

NamedOutcome = dict[str, str]


def make_game(spec: Mapping[str, Any]) -> Game:
    return Game(Scenario.model_validate(dict(spec)))


def header(game: Game, mediator: bool = False, mutual_tolerance: bool = False) -> Header:
    """A header as the engine writes it (speaking order from the opening speaker, rounds)."""
    return Header(
        dialectic_version="test",
        scenario_name=game.scenario.name,
        scenario_path="<test>",
        scenario_hash="0",
        strategy="hand-written",
        protocol="mediated" if mediator else "round-robin",
        mutual_tolerance=mutual_tolerance,
        mediator="test" if mediator else None,
        agents=[],
        seed=0,
        rounds=game.rounds,
        order=speaking_order(game.group_ids, game.opening.speaker, mediator),
    )


class Dialogue:
    """Writes a trace move by move; `answers` is filled with the proposal on the table before the move
    (the last one tabled), as the engine records it; rounds default to the engine's numbering."""

    def __init__(
        self,
        game: Game,
        speaker: str,
        proposal: NamedOutcome | None,
        views: Mapping[str, NamedOutcome],
        mediator: bool = False,
        mutual_tolerance: bool = False,
    ):
        self.game = game
        self.opening = OpeningEvent(speaker=speaker, proposal=proposal, views=dict(views))
        self.header = header(game, mediator, mutual_tolerance)
        self.moves: list[MoveEvent] = []
        self.on_table = proposal

    def say(
        self,
        speaker: str,
        view: NamedOutcome,
        proposal: NamedOutcome | None = None,
        accepts: bool | None = None,
        tolerates: Mapping[str, bool] | None = None,
        target: float | None = None,
        round: int | None = None,
    ) -> Dialogue:
        turn = len(self.moves) + 1
        if round is None:
            round = (turn - 1) // len(self.header.order) + 1
        self.moves.append(
            MoveEvent(
                turn=turn,
                round=round,
                speaker=speaker,
                view=view,
                proposal=proposal,
                answers=self.on_table,
                accepts=accepts,
                tolerates=dict(tolerates or {}),
                target=target,
            )
        )
        if proposal is not None:
            self.on_table = proposal
        return self

    def end(
        self,
        settlement: NamedOutcome | None,
        accepted_by: list[str] | None = None,
        reason: Literal["settlement", "round_limit", "deadlock"] | None = None,
        rounds: int | None = None,
    ) -> Trace:
        reason = reason or ("settlement" if settlement is not None else "round_limit")
        if rounds is None:
            rounds = (max(len(self.moves), 1) - 1) // len(self.header.order) + 1
        end = EndEvent(
            reason=reason,
            settlement=settlement,
            accepted_by=accepted_by or [],
            rounds=rounds,
            turns=len(self.moves),
        )
        return Trace(Path("<test>"), self.header, self.opening, list(self.moves), end)

    def unfinished(self) -> Trace:
        return Trace(Path("<test>"), self.header, self.opening, list(self.moves), None, truncated=True)


def settling(game: Game, settlement: Outcome) -> Trace:
    """A consistent trace that settles on `settlement`: the first speaker tables it and everyone after
    accepts it, each keeping its opening view, until the agreement rule passes it."""
    views = {g: game.space.names(game.opening_view(g)) for g in game.group_ids}
    named = game.space.names(settlement)
    dialogue = Dialogue(game, game.opening.speaker, game.space.names(game.opening.proposal), views)
    referee = Referee.of(game.rule, game.group_ids, game.opening.speaker, game.rounds, False, False)
    table = Table.opening({g: game.opening_view(g) for g in game.group_ids}, game.opening.speaker,
                          game.opening.proposal)
    for turn in range(1, len(referee.order) + 1):
        speaker = referee.speaker_of(turn)
        first = turn == 1
        dialogue.say(speaker, views[speaker], proposal=named if first else None, accepts=None if first else True)
        table = table.apply(Move(speaker, game.opening_view(speaker), settlement if first else None,
                                 None if first else True), turn)
        if referee.decide(table, turn) is not None:
            break
    assert referee.passes(table), "every group accepting must pass the rule"
    return dialogue.end(named, referee.accepted_by(table))


def assert_close(got: Any, want: Any, where: str = "", tolerance: float = 1e-9) -> None:
    """Nested equality where numbers (not bools) may differ by `tolerance`; tuples equal lists."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: {got!r} != {want!r}"
        for key in want:
            assert_close(got[key], want[key], f"{where}.{key}", tolerance)
    elif isinstance(want, list | tuple):
        assert isinstance(got, list | tuple) and len(got) == len(want), f"{where}: {got!r} != {want!r}"
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{where}[{k}]", tolerance)
    elif isinstance(want, float | int) and not isinstance(want, bool) and not isinstance(got, bool):
        assert isinstance(got, float | int) and abs(got - want) <= tolerance, f"{where}: {got!r} != {want!r}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def random_reward(rng: random.Random, issues: list[dict[str, Any]]) -> tuple[dict[str, Any], int, int]:
    """A non-constant reward spec and its (worst, best) raw values."""
    while True:
        if rng.random() < 0.6:
            points = {i["id"]: [rng.randint(0, 9) for _ in i["options"]] for i in issues}
            low = sum(min(p) for p in points.values())
            high = sum(max(p) for p in points.values())
            spec: dict[str, Any] = {"kind": "additive", "points": points}
        else:
            outcomes = list(product(*[i["options"] for i in issues]))
            listed = [x for x in outcomes if rng.random() < 0.8] or outcomes[:1]
            values = [rng.randint(0, 20) for _ in listed]
            entries = [
                {"outcome": {i["id"]: o for i, o in zip(issues, x, strict=True)}, "reward": reward}
                for x, reward in zip(listed, values, strict=True)
            ]
            spec = {"kind": "table", "entries": entries}
            if len(listed) < len(outcomes):
                default = rng.randint(0, 20)
                spec["default"] = default
                values.append(default)
            low, high = min(values), max(values)
        if low != high:
            return spec, low, high


def random_spec(rng: random.Random) -> dict[str, Any]:
    issues = [
        {"id": f"I{k}", "options": [f"o{j}" for j in range(rng.randint(2, 4))]}
        for k in range(rng.randint(1, 3))
    ]
    n = rng.randint(2, 4)
    weights = [rng.randint(1, 5) for _ in range(n)]
    groups = []
    for k in range(n):
        reward, low, high = random_reward(rng, issues)
        groups.append({
            "id": f"g{k}", "share": weights[k] / sum(weights), "reward": reward,
            "reservation": rng.randint(low - 1, high), "veto": rng.random() < 0.25,
        })
    rule = rng.choice(["unanimous", "quorum", "majority"])
    agreement: dict[str, Any] = {"rule": rule}
    if rule == "quorum":
        agreement["min_accept"] = rng.randint(1, n)
    if rule == "majority" and rng.random() < 0.6:
        agreement["threshold"] = rng.choice([0.3, 0.5, 0.6])
    speaker = rng.choice(groups)["id"]
    proposal = {i["id"]: rng.choice(i["options"]) for i in issues}
    return {
        "name": "random", "space": {"issues": issues}, "groups": groups, "agreement": agreement,
        "epsilon": rng.choice([0.0, 0.0, 0.0, 0.5]), "opening": {"speaker": speaker, "proposal": proposal},
    }


def with_statements(game: Game, trace: Trace, statements: list[Any]) -> Trace:
    """`trace` with the statements generated during the run (StatementEvents) and the game's scenario hash."""
    from dataclasses import replace

    from dialectic.scenario import scenario_hash

    header = trace.header.model_copy(update={"scenario_hash": scenario_hash(game.scenario)})
    return replace(trace, header=header, statements=statements)


def generated_view_run(game: Game, views: tuple[str, str], text: str, settlement: str,
                       rewards: dict[str, float]) -> Trace:
    """Groups a and b open on pool statements `views`; b states `text` (generated) as its view and tables the
    pool statement `settlement`; a keeps its view and accepts: settled on `settlement` with b's view generated."""
    from dialectic.space._statements import generated_id
    from dialectic.trace import StatementEvent

    sid = generated_id(text)
    first, second = ({"statement": v} for v in views)
    dialogue = Dialogue(game, "a", first, {"a": first, "b": second})
    trace = dialogue.say("b", {"statement": sid}, proposal={"statement": settlement}, accepts=False).say(
        "a", first, accepts=True).end({"statement": settlement}, ["a", "b"])
    return with_statements(game, trace, [StatementEvent(id=sid, text=text, turn=1, rewards=rewards)])
