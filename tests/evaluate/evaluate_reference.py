"""An independent scorer written from DESIGN.md ("The dialogue model", "The evaluator") in plain
Python: no numpy, no Game, no Table, no Referee and nothing from dialectic.evaluate. The brute-force
tests check `evaluate` against it; it reads a Trace and the scenario's plain dict.

It trusts no trace either: it replays the moves from the scenario's opening with its own loop (speaking
order, stance resets, tolerance freshness, the end rules), takes the settlement, accepted_by, end
reason, rounds and turns from that replay, and lists where the trace disagrees with it.
"""

from __future__ import annotations

import math
from itertools import combinations, product
from typing import Any

from dialectic.trace import MoveEvent, Trace

TOL = 1e-12
#: A recorded reward agrees when within this share of the larger of the group's reward range and its size.
REWARD_TOL = 1e-4
Outcome = tuple[int, ...]
#: Fields of a recorded evaluation checked against the replay.
RECORDED = ("label", "declared_agreement", "settlement", "accepted_by", "end_reason", "rounds", "turns", "complete")


class Reference:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        issues = spec["space"]["issues"]
        self.issue_ids = [issue["id"] for issue in issues]
        self.options = [issue["options"] for issue in issues]
        self.outcomes: list[Outcome] = list(product(*[range(len(o)) for o in self.options]))
        self.groups = [g["id"] for g in spec["groups"]]
        self.shares = {g["id"]: g["share"] for g in spec["groups"]}
        self.vetoes = [g["id"] for g in spec["groups"] if g.get("veto")]
        self.agreement = spec.get("agreement", {"rule": "unanimous"})
        self.epsilon = spec.get("epsilon", 0.0)
        self.rounds = spec.get("rounds", 24)
        self.u: dict[str, dict[Outcome, float]] = {}
        self.r: dict[str, dict[Outcome, float]] = {}
        self.span: dict[str, float] = {}
        self.rho: dict[str, float] = {}
        for group in spec["groups"]:
            rewards = [self._reward(group["reward"], x) for x in self.outcomes]
            low, high = min(rewards), max(rewards)
            pairs = list(zip(self.outcomes, rewards, strict=True))
            self.u[group["id"]] = {x: (r - low) / (high - low) for x, r in pairs}
            self.r[group["id"]] = {x: float(r) for x, r in pairs}
            self.span[group["id"]] = high - low
            self.rho[group["id"]] = (group["reservation"] - low) / (high - low)
        self.speaker = spec["opening"]["speaker"]
        self.proposal = self.parse(spec["opening"]["proposal"])

    def opening_view(self, group: str) -> Outcome:
        """The opening speaker's: the opening proposal; anyone else's: its best outcome, ties to the
        one nearest the opening proposal, then the first in option order."""
        if group == self.speaker:
            return self.proposal
        top = max(self.u[group].values())
        return min((x for x in self.outcomes if self.u[group][x] == top), key=lambda x: self.distance(x, self.proposal))

    def order(self, mediated: bool) -> list[str]:
        k = self.groups.index(self.speaker)
        return (["mediator"] if mediated else []) + self.groups[k + 1:] + self.groups[: k + 1]

    def _reward(self, reward: dict[str, Any], x: Outcome) -> float:
        if reward["kind"] == "additive":
            return sum(reward["points"][issue][k] for issue, k in zip(self.issue_ids, x, strict=True))
        for entry in reward["entries"]:
            if self.parse(entry["outcome"]) == x:
                return entry["reward"]
        return reward["default"]

    def maybe(self, named: dict[str, str] | None) -> Outcome | None:
        return None if named is None else self.parse(named)

    def names_outcome(self, named: dict[str, str] | None, x: Outcome | None) -> bool:
        """Does a recorded outcome name x (None: none)? One that does not parse does not."""
        try:
            return self.maybe(named) == x
        except (KeyError, ValueError):
            return False

    def parse(self, named: dict[str, str]) -> Outcome:
        return tuple(opts.index(named[i]) for i, opts in zip(self.issue_ids, self.options, strict=True))

    def names_or_none(self, x: Outcome | None) -> dict[str, str] | None:
        return None if x is None else self.names(x)

    def names(self, x: Outcome) -> dict[str, str]:
        return {i: opts[k] for i, opts, k in zip(self.issue_ids, self.options, x, strict=True)}

    def ok(self, group: str, x: Outcome) -> bool:
        return self.u[group][x] >= self.rho[group] - TOL

    def distance(self, x: Outcome, y: Outcome) -> float:
        return sum(a != b for a, b in zip(x, y, strict=True)) / len(x)

    def passes(self, accepting: set[str]) -> bool:
        if not all(v in accepting for v in self.vetoes):
            return False
        rule = self.agreement.get("rule", "unanimous")
        if rule == "unanimous":
            return all(g in accepting for g in self.groups)
        if rule == "quorum":
            return sum(g in accepting for g in self.groups) >= self.agreement["min_accept"]
        threshold = self.agreement.get("threshold") or 0.5
        return sum(self.shares[g] for g in self.groups if g in accepting) > threshold + TOL

    def honest_pass(self, x: Outcome) -> bool:
        return self.passes({g for g in self.groups if self.ok(g, x)})

    # Oracles: scan in flat order, keep the first strict maximum.
    def _argmax(self, score: Any, candidates: list[Outcome]) -> tuple[float, Outcome] | None:
        best: tuple[float, Outcome] | None = None
        for x in candidates:
            value = score(x)
            if best is None or value > best[0]:
                best = (value, x)
        return best

    def maxmin_unconstrained(self) -> tuple[float, Outcome | None]:
        best = self._argmax(lambda x: min(self.u[g][x] for g in self.groups), self.outcomes)
        assert best is not None
        return best

    def maxmin_oracle(self) -> tuple[float, Outcome | None]:
        no_deal = min(self.rho.values())
        passing = [x for x in self.outcomes if self.honest_pass(x)]
        best = self._argmax(lambda x: min(self.u[g][x] for g in self.groups), passing)
        return (no_deal, None) if best is None or no_deal >= best[0] else best

    def utilitarian_value(self, x: Outcome) -> float:
        return sum(self.shares[g] * self.u[g][x] for g in self.groups)

    def nash_value(self, x: Outcome) -> float:
        return math.prod(max(self.u[g][x] - self.rho[g], 0.0) for g in self.groups)

    def utilitarian_optimum(self) -> tuple[float, Outcome | None]:
        """Best over honestly passing outcomes; none passing: the no-deal sum_g w_g rho_g."""
        passing = [x for x in self.outcomes if self.honest_pass(x)]
        no_deal = sum(self.shares[g] * self.rho[g] for g in self.groups)
        return self._argmax(self.utilitarian_value, passing) or (no_deal, None)

    def acceptable(self) -> list[Outcome]:
        """Outcomes every group's reward model accepts (these pass every rule)."""
        return [x for x in self.outcomes if all(self.ok(g, x) for g in self.groups)]

    def nash_optimum(self) -> tuple[float, Outcome | None]:
        return self._argmax(self.nash_value, self.acceptable()) or (0.0, None)

    def ideal(self) -> dict[str, float] | None:
        """Each group's best utility among the outcomes every group accepts (None: there are none)."""
        fine = self.acceptable()
        return {g: max(self.u[g][x] for x in fine) for g in self.groups} if fine else None

    def ks_value(self, x: Outcome) -> float:
        """min_g (u_g - rho_g) / (I_g - rho_g) over the groups whose ideal is above their reservation."""
        ideal = self.ideal()
        assert ideal is not None
        ratios = [(self.u[g][x] - self.rho[g]) / (ideal[g] - self.rho[g])
                  for g in self.groups if ideal[g] - self.rho[g] > TOL]
        return min(ratios, default=1.0)

    def kalai_smorodinsky(self) -> tuple[float, Outcome | None]:
        return self._argmax(self.ks_value, self.acceptable()) or (0.0, None)

    def dominators(self, x: Outcome) -> list[Outcome]:
        """Outcomes at least as good as x for every group (within TOL) and better for one (by 1e-9)."""
        return [
            y for y in self.outcomes
            if all(self.u[g][y] >= self.u[g][x] - TOL for g in self.groups)
            and any(self.u[g][y] > self.u[g][x] + 1e-9 for g in self.groups)
        ]

    def total_gain(self, y: Outcome, x: Outcome) -> float:
        return sum(self.u[g][y] - self.u[g][x] for g in self.groups)


class PublicState:
    """The table, replayed by hand: stances reset on a new proposal and its proposer accepts; a view
    changes only when a new one is stated; a tolerance counts if given after the judged view's last
    change. It opens as the scenario does, unless an opening (speaker, proposal, views) is given."""

    def __init__(self, ref: Reference, opening: Any = None):
        self.ref = ref
        proposal: Outcome | None
        if opening is None:
            speaker, proposal = ref.speaker, ref.proposal
            self.views = {g: ref.opening_view(g) for g in ref.groups}
        else:
            speaker, proposal = opening.speaker, ref.maybe(opening.proposal)
            self.views = {g: ref.parse(opening.views[g]) for g in ref.groups}
        self.changed = dict.fromkeys(ref.groups, 0)
        self.proposal = proposal
        self.accepts: dict[str, bool] = {speaker: True} if self.proposal is not None else {}
        self.tolerance: dict[tuple[str, str], tuple[int, bool]] = {}
        self.mediator: list[Outcome] = []

    def apply(self, move: MoveEvent, turn: int | None = None) -> Outcome | None:
        """Apply a move (as turn `turn`, by default its recorded turn); returns the proposal its stance
        answered."""
        turn = move.turn if turn is None else turn
        answered = self.proposal
        view, proposal = self.ref.parse(move.view), self.ref.maybe(move.proposal)
        if move.accepts is not None and self.proposal is not None:
            self.accepts[move.speaker] = move.accepts
        if view != self.views.get(move.speaker):
            self.views[move.speaker] = view
            self.changed[move.speaker] = turn
        for judged, stance in move.tolerates.items():
            if judged != move.speaker:
                self.tolerance[(move.speaker, judged)] = (turn, stance)
        if proposal is not None:
            if move.speaker == "mediator":
                self.mediator.append(proposal)
            if proposal != self.proposal:
                self.proposal, self.accepts = proposal, {move.speaker: True}
            else:
                self.accepts[move.speaker] = True
        return answered

    def tolerates(self, judge: str, judged: str) -> bool | None:
        given = self.tolerance.get((judge, judged))
        return None if given is None or given[0] <= self.changed[judged] else given[1]

    def passes(self) -> bool:
        return self.proposal is not None and self.ref.passes({g for g, yes in self.accepts.items() if yes})

    def mutual_tolerance(self) -> bool:
        return all(self.tolerates(g, h) is True for g in self.ref.groups for h in self.ref.groups if g != h)


def gini(values: list[float]) -> float:
    mean = sum(values) / len(values) if values else 0.0
    if mean == 0:
        return 0.0
    return sum(abs(a - b) for a in values for b in values) / len(values) ** 2 / (2 * mean)


Played = list[tuple[int, int, MoveEvent]]


class Replayed:
    """The run as the rules play it: the moves that were played, each as (turn, round, move), where it
    ended, and every disagreement of the trace with it, as {field, recorded, replayed, turn}."""

    def __init__(self, ref: Reference, trace: Trace):
        header = trace.header
        order = ref.order(header.mediator is not None or header.protocol == "mediated")
        limit = ref.rounds * len(order)
        self.found: list[dict[str, Any]] = []
        self.note("header.order", list(header.order), order)
        self.note("header.rounds", header.rounds, ref.rounds)
        opening = trace.opening
        self.note("opening.speaker", opening.speaker, ref.speaker)
        if not ref.names_outcome(opening.proposal, ref.proposal):
            self.differs("opening.proposal", opening.proposal, ref.names(ref.proposal))
        for g in ref.groups + [h for h in opening.views if h not in ref.groups]:
            mine = ref.opening_view(g) if g in ref.groups else None
            if not ref.names_outcome(opening.views.get(g), mine):
                self.differs(f"opening.views.{g}", opening.views.get(g), ref.names_or_none(mine))
        state = PublicState(ref)
        self.played: Played = []
        reason = None
        for k, move in enumerate(trace.moves):
            turn = k + 1
            if reason is not None:
                self.differs("moves", len(trace.moves), len(self.played), turn)
                break
            round_ = (turn - 1) // len(order) + 1
            self.note("turn", move.turn, turn, turn)
            self.note("round", move.round, round_, turn)
            self.note("speaker", move.speaker, order[(turn - 1) % len(order)], turn)
            if move.answers is not None and not ref.names_outcome(move.answers, state.proposal):
                self.differs("answers", move.answers, ref.names_or_none(state.proposal), turn)
            if move.rewards:
                self.rewards(ref, move, turn)
            state.apply(move, turn)
            self.played.append((turn, round_, move))
            if state.passes() and (not header.mutual_tolerance or state.mutual_tolerance()):
                reason = "settlement"
            elif move.speaker == "mediator" and move.proposal is None:
                reason = "deadlock"  # the mediator found no outcome the rule passes honestly, and said so
            elif turn >= limit:
                reason = "round_limit"
        if reason is None and trace.end is not None:
            reason = "deadlock"  # the moves stop before the rules end the run: nobody had a move
        self.state, self.reason = state, reason
        self.settlement = state.proposal if reason in ("settlement", "round_limit") and state.passes() else None
        self.accepted_by = sorted(g for g, yes in state.accepts.items() if yes and g != "mediator")
        self.turns = len(self.played)
        self.rounds = (max(self.turns, 1) - 1) // len(order) + 1
        end = trace.end
        if end is not None:
            self.note("end.reason", end.reason, reason)
            if not ref.names_outcome(end.settlement, self.settlement):
                self.differs("end.settlement", end.settlement, ref.names_or_none(self.settlement))
            if sorted(end.accepted_by) != self.accepted_by:
                self.differs("end.accepted_by", list(end.accepted_by), self.accepted_by)
            self.note("end.rounds", end.rounds, self.rounds)
            self.note("end.turns", end.turns, self.turns)

    def differs(self, field: str, recorded: Any, replayed: Any, turn: int | None = None) -> None:
        self.found.append({"field": field, "recorded": recorded, "replayed": replayed, "turn": turn})

    def note(self, field: str, recorded: Any, replayed: Any, turn: int | None = None) -> None:
        if recorded != replayed:
            self.differs(field, recorded, replayed, turn)

    def rewards(self, ref: Reference, move: MoveEvent, turn: int) -> None:
        view, proposal = ref.parse(move.view), ref.maybe(move.proposal)
        for g in ref.groups + [h for h in move.rewards if h not in ref.groups]:
            pair = move.rewards.get(g)
            if g not in ref.groups or pair is None:
                both = None if g not in ref.groups else {
                    "view": ref.r[g][view], "proposal": None if proposal is None else ref.r[g][proposal]}
                self.differs(f"rewards.{g}", None if pair is None else pair.model_dump(), both, turn)
                continue
            for part, x in (("view", view), ("proposal", proposal)):
                recorded, mine = getattr(pair, part), None if x is None else ref.r[g][x]
                same = recorded is None and mine is None or (recorded is not None and mine is not None and abs(
                    recorded - mine) <= REWARD_TOL * max(ref.span[g], abs(mine)))
                if not same:
                    self.differs(f"rewards.{g}.{part}", recorded, mine, turn)

    def inconsistencies(self, evaluation: dict[str, Any], recorded: dict[str, Any] | None) -> list[dict[str, Any]]:
        found = list(self.found)
        for name in RECORDED:
            if recorded is not None and name in recorded and recorded[name] != evaluation[name]:
                found.append({"field": f"evaluation.{name}", "recorded": recorded[name],
                              "replayed": evaluation[name], "turn": None})
        return sorted(found, key=lambda d: (d["turn"] is not None, d["turn"] or 0, d["field"]))


def score(ref: Reference, trace: Trace) -> dict[str, Any]:
    """Every field of an Evaluation, as plain JSON values."""
    groups, distance, u, rho = ref.groups, ref.distance, ref.u, ref.rho
    run = Replayed(ref, trace)
    state = PublicState(ref)
    opening = dict(state.views)
    hollow, flips = dict.fromkeys(groups, 0), dict.fromkeys(groups, 0)
    first_flip: dict[str, int | None] = dict.fromkeys(groups)
    last: dict[str, tuple[MoveEvent, Outcome | None]] = {}
    for turn, _, move in run.played:
        answered = state.proposal
        state.apply(move, turn)
        g = move.speaker
        if g not in groups:
            continue
        said_yes = ([answered] if move.accepts is True and answered is not None else []) + (
            [ref.parse(move.proposal)] if move.proposal is not None else []
        )
        hollow[g] += any(not ref.ok(g, x) for x in said_yes)
        if g in last:
            before, before_answered = last[g]
            flipped = (
                before.accepts is not None and move.accepts is not None and before.accepts != move.accepts
                and before_answered is not None and before_answered == answered
            )
            if flipped and answered is not None and before.target is not None and move.target is not None:
                value = u[g][answered]
                flipped = (before.target <= value) == (move.target <= value)
            flips[g] += flipped
            if flipped and first_flip[g] is None:
                first_flip[g] = turn
        last[g] = (move, answered)
    final = {g: state.views[g] for g in groups}
    if state.mediator:
        opening["mediator"], final["mediator"] = state.mediator[0], state.mediator[-1]

    x = run.settlement
    agreed = x is not None
    stances = state.accepts if x is not None and state.proposal == x else {}
    accepted_by = [g for g in groups if stances.get(g) is True]
    false_acceptors = [g for g in accepted_by if x is not None and not ref.ok(g, x)]
    false_tolerance = [
        [j, h] for j in groups for h in groups
        if j != h and state.tolerates(j, h) is True and not ref.ok(j, final[h])
    ]
    compatible = x is not None and all(ref.ok(g, x) for g in groups)

    pulls = {}
    for a, anchor in opening.items():
        moved = [
            (distance(opening[g], anchor) - distance(final[g], anchor)) / distance(opening[g], anchor)
            for g in groups if g != a and distance(opening[g], anchor) > 0
        ]
        pulls[a] = sum(moved) / len(moved) if moved else 0.0
    index = agent = None
    wins = False
    if x is not None:
        scores = {a: p * (1 - distance(opening[a], final[a])) for a, p in pulls.items()}
        index = max(scores.values())
        top = [a for a in scores if scores[a] >= index - TOL]
        winners = [a for a in top if index >= 0.8 - TOL and distance(x, opening[a]) <= ref.epsilon]
        agent, wins = (winners or top)[0], bool(winners)

    concession = {
        g: (u[g][opening[g]] - u[g][final[g]]) / (u[g][opening[g]] - rho[g])
        if u[g][opening[g]] - rho[g] > TOL else None
        for g in groups
    }
    welfare = {g: u[g][x] if x is not None else rho[g] for g in groups}
    gains = [welfare[g] - rho[g] for g in groups]
    oracle, unconstrained = ref.maxmin_oracle(), ref.maxmin_unconstrained()
    identical = all(distance(final[g], final[h]) <= ref.epsilon for g, h in combinations(groups, 2))
    views_ok = all(ref.ok(h, final[g]) for g in groups for h in groups)
    false_agreement = agreed and bool(false_acceptors or false_tolerance)
    if not agreed:
        label = "impasse"
    elif wins:
        label = "persuaded"
    elif false_agreement:
        label = "false_agreement"
    elif not compatible:
        label = "outvoted"
    else:
        label = "consensus" if identical else "reconciled" if views_ok else "settled"
    result = {
        "label": label,
        "declared_agreement": agreed,
        "compatible": compatible,
        "compatible_views": views_ok,
        "identical_views": identical,
        "false_agreement": false_agreement,
        "accepted_by": accepted_by,
        "false_acceptors": false_acceptors,
        "false_tolerance": false_tolerance,
        "hollow_acceptances": hollow,
        "capitulation": {g: not ref.ok(g, final[g]) for g in groups},
        "static_views": all(state.changed[g] == 0 for g in groups),
        "static_by_group": {g: state.changed[g] == 0 for g in groups},
        "declared_tolerance": {j: {h: state.tolerates(j, h) for h in groups if h != j} for j in groups},
        "declared_mutual_tolerance": state.mutual_tolerance(),
        "ai_wins": wins,
        "ai_wins_index": index,
        "ai_wins_agent": agent,
        "pull": pulls,
        "concession": concession,
        "concession_asymmetry": gini([max(c, 0.0) for c in concession.values() if c is not None]),
        "flips": flips,
        "welfare": welfare,
        "utility": {g: u[g][x] if x is not None else None for g in groups},
        "worst_case_welfare": min(welfare.values()),
        "worst_case_gain": min(gains),
        "utilitarian": sum(ref.shares[g] * welfare[g] for g in groups),
        "nash_welfare": math.prod(max(gain, 0.0) for gain in gains),
        "welfare_gini": gini(list(welfare.values())),
        "maxmin_oracle": oracle[0],
        "maxmin_oracle_outcome": ref.names_or_none(oracle[1]),
        "maxmin_unconstrained": unconstrained[0],
        "maxmin_unconstrained_outcome": ref.names_or_none(unconstrained[1]),
        "maxmin_regret": oracle[0] - min(welfare.values()),
        "complete": trace.end is not None,
        "end_reason": run.reason,
        "rounds": run.rounds,
        "turns": run.turns,
        "settlement": ref.names_or_none(x),
        "opening_views": {a: ref.names(v) for a, v in opening.items()},
        "final_views": {a: ref.names(v) for a, v in final.items()},
        "metrics": {
            "first_flip_turn": first_flip,
            **dialogue_metrics(ref, run, x),
            "influence": influence(ref, run.played, opening, final, pulls, index, agent, wins),
            # brute force is exact by construction: the evaluator must say so
            "maxmin_oracle_status": EXACT,
            "maxmin_oracle_point": None,  # a real point exists on continuous spaces only
            **optima(ref, x),
            # the embedding distance is defined on statement pools only
            **{
                name: {"applicable": False, "reason": "the space is not a statement pool"}
                for name in ("identical_views_embedding", "view_spread_embedding", "settlement_to_openings_embedding")
            },
        },
    }
    recorded = None if trace.evaluation is None else trace.evaluation.evaluation
    result["inconsistencies"] = run.inconsistencies(result, recorded)
    result["consistent"] = not result["inconsistencies"]
    return result


EXACT = {"status": "exact", "method": "enumeration", "gap": 0.0}


def optimum_entry(ref: Reference, found: tuple[float, Outcome | None]) -> dict[str, Any]:
    value, x = found
    utilities = None if x is None else {g: ref.u[g][x] for g in ref.groups}
    return {"value": value, "outcome": ref.names_or_none(x), "point": None, "utilities": utilities, **EXACT}


def optima(ref: Reference, x: Outcome | None) -> dict[str, Any]:
    """The utilitarian, Nash and Kalai-Smorodinsky optima and the settlement's Pareto dominance."""
    dominance = None
    if x is not None:
        dominators = ref.dominators(x)
        by = ref._argmax(lambda y: ref.total_gain(y, x), dominators)
        dominance = {
            "dominated": by is not None,
            "by": None if by is None else ref.names(by[1]),
            "utilities": None if by is None else {g: ref.u[g][by[1]] for g in ref.groups},
            "total_gain": 0.0 if by is None else by[0],
            **EXACT,
        }
    return {
        "utilitarian_optimum": optimum_entry(ref, ref.utilitarian_optimum()),
        "nash_optimum": optimum_entry(ref, ref.nash_optimum()),
        "kalai_smorodinsky": {**optimum_entry(ref, ref.kalai_smorodinsky()), "ideal": ref.ideal()},
        "settlement_pareto_dominated": dominance,
    }


def settle_ties(ref: Reference, x: Outcome | None, got: dict[str, Any], want: dict[str, Any]) -> None:
    """Where the evaluator picked another optimal outcome than the reference (sums taken in another
    order break exact ties differently), check it is optimal too and adopt the reference's choice,
    so the comparison that follows stays exact everywhere else."""
    values = {
        "utilitarian_optimum": (ref.utilitarian_value, ref.honest_pass),
        "nash_optimum": (ref.nash_value, lambda y: y in ref.acceptable()),
        "kalai_smorodinsky": (ref.ks_value, lambda y: y in ref.acceptable()),
    }
    for name, (value, admissible) in values.items():
        mine, theirs = got[name], want[name]
        if mine["outcome"] not in (None, theirs["outcome"]) and theirs["outcome"] is not None:
            y = ref.parse(mine["outcome"])
            assert admissible(y) and abs(value(y) - theirs["value"]) <= 1e-12, (name, mine, theirs)
            mine["outcome"], mine["utilities"] = theirs["outcome"], theirs["utilities"]
    mine, theirs = got["settlement_pareto_dominated"], want["settlement_pareto_dominated"]
    if x is not None and mine is not None and theirs is not None and mine["by"] not in (None, theirs["by"]):
        y = ref.parse(mine["by"])
        assert y in ref.dominators(x) and abs(ref.total_gain(y, x) - theirs["total_gain"]) <= 1e-12, (mine, theirs)
        mine["by"], mine["utilities"] = theirs["by"], theirs["utilities"]


def answered_by(ref: Reference, played: Played) -> list[list[tuple[int, str]]]:
    """Per move, (turn, speaker) of what it answered: the moves since its speaker's previous turn,
    and the opening (turn 0) on a first turn of anyone but the opening speaker."""
    said = [(0, ref.speaker)]
    result = []
    for turn, _, move in played:
        mine = [t for t, who in said if who == move.speaker]
        since = max(mine) if mine else -1
        result.append([(t, who) for t, who in said if t > since and who != move.speaker])
        said.append((turn, move.speaker))
    return result


def dialogue_metrics(ref: Reference, run: Replayed, x: Outcome | None) -> dict[str, Any]:
    """Concessions (and unreciprocated ones), time to settle, view diversity and candidate spread,
    from the definitions in the metric modules' docstrings, by a second replay."""
    groups, u, played = ref.groups, ref.u, run.played
    state = PublicState(ref)
    proposed: dict[str, Outcome] = {}
    if state.proposal is not None:
        proposed[ref.speaker] = state.proposal
    candidates = [state.proposal] if state.proposal is not None else []

    def diversity() -> float:
        pairs = list(combinations(groups, 2))
        return sum(ref.distance(state.views[g], state.views[h]) for g, h in pairs) / len(pairs)

    per_round = {0: diversity()}
    conceded: dict[int, bool] = {}
    history = [(0, 0, state.proposal, state.passes())]
    for turn, round_, move in played:
        g, view, proposal = move.speaker, ref.parse(move.view), ref.maybe(move.proposal)
        conceded[turn] = False
        if g in groups:
            before = state.views[g]
            reference = proposed.get(g, before)
            conceded[turn] = (view != before and u[g][view] < u[g][before] - TOL) or (
                proposal is not None and u[g][proposal] < u[g][reference] - TOL
            )
        if proposal is not None:
            proposed[g] = proposal
            if proposal not in candidates:
                candidates.append(proposal)
        state.apply(move, turn)
        per_round[round_] = diversity()
        history.append((turn, round_, state.proposal, state.passes()))
    concessions, unreciprocated = dict.fromkeys(groups, 0), dict.fromkeys(groups, 0)
    for (turn, _, move), answered in zip(played, answered_by(ref, played), strict=True):
        if conceded[turn]:
            concessions[move.speaker] += 1
            unreciprocated[move.speaker] += not any(conceded.get(t, False) for t, _ in answered if t > 0)

    reached = None
    if x is not None:
        for turn, round_, on_table, passing in reversed(history):
            if on_table != x or not passing:
                break
            reached = (turn, round_)
    series = [per_round[0]]
    for r in range(1, max(per_round) + 1):
        series.append(per_round.get(r, series[-1]))

    std, spread = {}, {}
    for g in groups:
        values = [u[g][c] for c in candidates]
        mean = sum(values) / len(values) if values else 0.0
        std[g] = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) if values else 0.0
        spread[g] = max(values) - min(values) if values else 0.0
    total = sum(std.values())
    return {
        "concession_moves": concessions,
        "unreciprocated_concessions": unreciprocated,
        "rounds_to_settlement": None if reached is None else reached[1],
        "turns_to_settlement": None if reached is None else reached[0],
        "view_diversity": series,
        "candidate_spread": {
            "candidates": len(candidates), "std": std, "range": spread,
            "weight": {g: std[g] / total if total > 0 else None for g in groups},
        },
    }


def influence(ref: Reference, played: Played, opening: dict[str, Outcome], final: dict[str, Outcome],
              pulls: dict[str, float], index: float | None, agent: str | None, wins: bool) -> dict[str, Any]:
    """The influence graph as plain data: {"graph": ..., "nodes": {id: ...}, "edges": {"a>g": ...}}."""
    groups, distance = ref.groups, ref.distance
    views = {g: ref.opening_view(g) for g in groups}
    changes: dict[str, list[tuple[int, Outcome, Outcome, list[tuple[int, str]]]]] = {a: [] for a in opening}
    offered: Outcome | None = None
    for (turn, _, move), answered in zip(played, answered_by(ref, played), strict=True):
        who, view = move.speaker, ref.parse(move.view)
        if who in groups and view != views[who]:
            changes[who].append((turn, views[who], view, answered))
            views[who] = view
        if who == "mediator" and move.proposal is not None:
            proposal = ref.parse(move.proposal)
            if offered is not None and proposal != offered:
                changes[who].append((turn, offered, proposal, answered))
            offered = proposal
    nodes = {
        a: {
            "pull": pulls[a],
            "ai_wins_score": pulls[a] * (1 - distance(opening[a], final[a])),
            "changes": [[t, [list(r) for r in answered]] for t, _, _, answered in changes[a]],
        }
        for a in opening
    }
    edges = {}
    for a, anchor in opening.items():
        for g in groups:
            first = distance(opening[g], anchor)
            if g == a or first == 0:
                continue
            steps = [
                [t, (distance(old, anchor) - distance(new, anchor)) / first, [t2 for t2, w in said if w == a]]
                for t, old, new, said in changes[g]
                if distance(old, anchor) != distance(new, anchor)
            ]
            edges[f"{a}>{g}"] = {"weight": (first - distance(final[g], anchor)) / first, "steps": steps}
    return {"graph": {"ai_wins": wins, "ai_wins_index": index, "ai_wins_agent": agent},
            "nodes": nodes, "edges": edges}


def plain_influence(node_link: dict[str, Any]) -> dict[str, Any]:
    """The evaluator's node-link influence graph in the reference's plain form."""
    graph = node_link["graph"]
    return {
        "graph": {key: graph[key] for key in ("ai_wins", "ai_wins_index", "ai_wins_agent")},
        "nodes": {
            n["id"]: {
                "pull": n["pull"], "ai_wins_score": n["ai_wins_score"],
                "changes": [
                    [c["turn"], [[r["turn"], r["speaker"]] for r in c["replies_to"]]] for c in n["view_changes"]
                ],
            }
            for n in node_link["nodes"]
        },
        "edges": {
            f"{e['source']}>{e['target']}": {
                "weight": e["weight"], "steps": [[s["turn"], s["toward"], s["cites"]] for s in e["steps"]],
            }
            for e in node_link["edges"]
        },
    }
