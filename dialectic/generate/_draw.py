"""Seeded random discrete scenarios with controlled size, groups, shares, conflict and reservations.

The draw (everything from one ``numpy.random.default_rng(seed)``, always in the same order, so that changing
the conflict, the shares or the reservations with the same seed changes nothing else):

- ``s[i, k]``   shared value of option k of issue i, U(0, 1);
- ``q[g, i, k]`` group g's private value, U(0, 1);
- ``a[i]``      shared weight of issue i, U(0.2, 1);
- ``b[g, i]``   group g's private weight of issue i, U(0.2, 1).

**Conflict** C in [0, 1] mixes a shared component with opposed ones:

    value  v[g, i, k] = (1 - C) s[i, k] + C (q[g, i, k] - mean_h q[h, i, k])
    weight w[g, i]    = (1 - C) a[i]    + C b[g, i]

The opposed part sums to zero over the groups on every option (what one group gains over the mean the
others lose); with two groups it is exactly opposite (group 1's is minus group 0's), so at C = 1 every issue
ranks its options in reverse for the two groups and only the issue weights differ (room to trade). Each
group's points on issue i are ``w[g, i] (v - min_k v) / (max_k v - min_k v)``, scaled so the group's best
outcome is worth 100 and its worst 0 (normalised utility = points / 100), rounded to 0.1.

Measurable consequence: at C = 0 every group's points are identical, so one outcome is every group's best
and the max-min oracle (``dialectic.oracles.maxmin_unconstrained``) is 1; as C rises the groups' bests
part and the oracle falls (tests/generate/test_generate.py measures it over seeds).

**Reservations**: a number R in [0, 1) puts each group's reservation at R of its range (R x its best, its
worst being 0); ``auto`` puts every group's at ``AUTO_FRACTION`` of the max-min oracle (rounded down to
0.1 point), so the max-min outcome passes every rule and the scenario is feasible.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from dialectic.scenario import Scenario
from dialectic.scenario._load import validate_scenario
from dialectic.scenario.importers._yaml import dump_scenario

#: Written into every generated file's `generated.generator`.
GENERATOR = "dialectic.generate"
#: The draw's version: bumped whenever the same seed and parameters would give a different file, so a
#: file says which draw made it (independent of the package version, so files stay byte-identical).
VERSION = "1"
#: `auto` reservations: this fraction of the max-min oracle.
AUTO_FRACTION = 0.8
#: Points are rounded to this many decimals (readable files; exact floats in YAML).
DECIMALS = 1

class GenerateError(ValueError):
    """Bad generator parameters: `where` names the option, the message says what was expected and found."""

    def __init__(self, where: str, expected: str, found: object):
        self.where = where
        super().__init__(f"{where}: expected {expected}, found {found}")


@dataclass(frozen=True)
class Spec:
    """What to generate. ``shares`` (one per group) and ``minority`` (the smaller share of two groups,
    ids ``majority`` and ``minority``) exclude each other; neither gives equal shares."""

    seed: int = 0
    issues: int = 4
    options: int = 3
    groups: int = 2
    shares: tuple[float, ...] | None = None
    minority: float | None = None
    conflict: float = 0.5
    reservation: float | Literal["auto"] = "auto"
    rounds: int = 12
    rule: str = "majority"
    name: str | None = None
    description: str | None = None
    #: What the file's `source` says made it (default: the `dialectic scenario generate` command line).
    source: str | None = None

    def check(self) -> None:
        """Raise GenerateError for the first parameter out of range."""
        if not 1 <= self.issues <= 64:
            raise GenerateError("--issues", "an integer between 1 and 64", self.issues)
        if not 2 <= self.options <= 26:
            raise GenerateError("--options", "an integer between 2 and 26", self.options)
        if not 2 <= self.groups <= 1000:
            raise GenerateError("--groups", "an integer between 2 and 1000", self.groups)
        if not (math.isfinite(self.conflict) and 0 <= self.conflict <= 1):
            raise GenerateError("--conflict", "a number in [0, 1]", self.conflict)
        if self.reservation != "auto" and not (
                isinstance(self.reservation, float | int) and 0 <= self.reservation < 1):
            raise GenerateError("--reservation", "a number in [0, 1) or 'auto'", self.reservation)
        if not 1 <= self.rounds <= 10_000:
            raise GenerateError("--rounds", "an integer between 1 and 10000", self.rounds)
        if self.shares is not None and self.minority is not None:
            raise GenerateError("--shares", "either --shares or --minority, not both", "both")
        if self.minority is not None:
            if self.groups != 2:
                raise GenerateError("--minority", "two groups (--groups 2)", f"{self.groups} groups")
            if not (math.isfinite(self.minority) and 0 < self.minority <= 0.5):
                raise GenerateError("--minority", "a share in (0, 0.5]", self.minority)
        if self.shares is not None:
            if len(self.shares) != self.groups:
                raise GenerateError("--shares", f"one share per group ({self.groups})", f"{len(self.shares)} shares")
            if any(not (math.isfinite(s) and s > 0) for s in self.shares) or not math.isclose(
                    sum(self.shares), 1.0, abs_tol=1e-6):
                raise GenerateError("--shares", "positive shares summing to 1", list(self.shares))
        _agreement(self.rule, self.groups)

    def group_ids(self) -> list[str]:
        if self.minority is not None:
            return ["majority", "minority"]
        width = len(str(self.groups - 1))
        return [f"group-{g:0{width}d}" for g in range(self.groups)]

    def group_shares(self) -> list[float]:
        if self.minority is not None:
            return [1 - self.minority, self.minority]
        if self.shares is not None:
            return list(self.shares)
        return [1 / self.groups] * self.groups

    def params(self) -> dict[str, int | float | str]:
        """The parameters as written into `generated.params` (and so into benchmark rows)."""
        params: dict[str, int | float | str] = {
            "issues": self.issues, "options": self.options, "groups": self.groups, "conflict": self.conflict,
            "reservation": self.reservation, "rounds": self.rounds, "rule": self.rule,
        }
        if self.minority is not None:
            params |= {"minority_share": self.minority, "minority_group": "minority"}
        elif self.shares is not None:
            params["shares"] = ",".join(f"{s:g}" for s in self.shares)
        return params

    def default_name(self) -> str:
        split = f"-minority-{self.minority:g}" if self.minority is not None else ""
        return (f"generated-g{self.groups}-i{self.issues}-k{self.options}{split}-conflict-{self.conflict:g}"
                f"-seed-{self.seed}")


def _agreement(rule: str, groups: int) -> dict[str, Any]:
    if rule in ("majority", "unanimous"):
        return {"rule": rule}
    if rule.startswith("quorum:") and rule.removeprefix("quorum:").isdigit():
        needed = int(rule.removeprefix("quorum:"))
        if 1 <= needed <= groups:
            return {"rule": "quorum", "min_accept": needed}
    raise GenerateError("--rule", f"majority, unanimous or quorum:N with 1 <= N <= {groups}", repr(rule))


def draw_points(spec: Spec) -> np.ndarray:
    """(groups, issues, options) points, each group's best outcome worth 100 and its worst 0 (before
    rounding to DECIMALS). The draw is the module docstring's."""
    rng = np.random.default_rng(spec.seed)
    g, n, k, c = spec.groups, spec.issues, spec.options, spec.conflict
    shared = rng.uniform(0, 1, size=(n, k))
    private = rng.uniform(0, 1, size=(g, n, k))
    shared_weight = rng.uniform(0.2, 1, size=n)
    private_weight = rng.uniform(0.2, 1, size=(g, n))
    opposed = (private - private.mean(axis=0, keepdims=True)) * g / (g - 1)
    value = (1 - c) * shared[None] + c * opposed
    weight = (1 - c) * shared_weight[None] + c * private_weight
    low = value.min(axis=2, keepdims=True)
    span = value.max(axis=2, keepdims=True) - low
    span[span == 0] = 1.0  # an issue with equal options for a group is worth nothing to it
    scaled = weight[:, :, None] * (value - low) / span
    totals = scaled.max(axis=2).sum(axis=1)
    return np.asarray(100 * scaled / totals[:, None, None])


def _round(value: float) -> float:
    rounded = round(float(value), DECIMALS)
    return 0.0 if rounded == 0 else rounded  # no -0.0 in files


def _persona(gid: str, share: float, issues: list[str], options: list[str], points: list[list[float]]) -> str:
    """A short persona for LLM casts: the group's size and what it wants most (its two weightiest issues)."""
    ranked = sorted(range(len(issues)), key=lambda i: (-max(points[i]), i))[:2]
    wants = " and ".join(f"option {options[int(np.argmax(points[i]))]} on {issues[i]}" for i in ranked)
    return f"{gid.replace('-', ' ').capitalize()}, {share:.3g} of the population; it wants above all {wants}."


def _letters(k: int) -> list[str]:
    return [chr(ord("a") + j) for j in range(k)]


def _describe(spec: Spec, shares: Sequence[float]) -> str:
    if spec.description is not None:
        return spec.description
    split = (f"a minority of {spec.minority:g} against a majority of {1 - spec.minority:g}"
             if spec.minority is not None else
             "equal shares" if spec.shares is None else "shares " + ", ".join(f"{s:g}" for s in shares))
    reservation = (f"reservations at {AUTO_FRACTION:g} of the max-min oracle (feasible by construction)"
                   if spec.reservation == "auto" else f"reservations at {spec.reservation:g} of each range")
    return (f"A generated discrete scenario: {spec.groups} groups ({split}), {spec.issues} issues of "
            f"{spec.options} options, conflict {spec.conflict:g} (0: identical additive points; 1: each "
            f"option's private values opposed across groups, only issue weights differ), {reservation}, "
            f"rule {spec.rule}, {spec.rounds} rounds. Tests a strategy on a random game of known size and "
            "conflict; see dialectic/generate/_draw.py for the draw.")


def command_line(spec: Spec) -> str:
    """The `dialectic scenario generate` command line that makes this file again."""
    parts = [f"--seed {spec.seed}", f"--issues {spec.issues}", f"--options {spec.options}",
             f"--groups {spec.groups}"]
    if spec.minority is not None:
        parts.append(f"--minority {spec.minority:g}")
    elif spec.shares is not None:
        parts.append("--shares " + ",".join(f"{s!r}" for s in spec.shares))
    parts += [f"--conflict {spec.conflict:g}", f"--reservation {spec.reservation}", f"--rounds {spec.rounds}",
              f"--rule {spec.rule}"]
    if spec.name is not None:
        parts.append(f"--name {spec.name}")
    if spec.description is not None:
        parts.append(f"--description {shlex.quote(spec.description)}")
    return "dialectic scenario generate " + " ".join(parts)


def generate(spec: Spec) -> Scenario:
    """The scenario `spec` describes (validated by the scenario loader, which checks reservations are
    reachable); same spec, same scenario."""
    spec.check()
    points = draw_points(spec)
    ids, shares = spec.group_ids(), spec.group_shares()
    issues = [f"issue-{i + 1}" for i in range(spec.issues)]
    options = _letters(spec.options)
    rounded = [[[_round(p) for p in points[g, i]] for i in range(spec.issues)] for g in range(spec.groups)]
    best = [sum(max(row) for row in rounded[g]) for g in range(spec.groups)]
    reservations = _reservations(spec, ids, shares, issues, options, rounded, best)
    largest = max(range(spec.groups), key=lambda g: (shares[g], -g))
    opening = {issue: options[int(np.argmax(rounded[largest][i]))] for i, issue in enumerate(issues)}
    data = _scenario_data(spec, ids, shares, issues, options, rounded, reservations)
    data["opening"] = {"speaker": ids[largest], "proposal": opening}
    return validate_scenario(data, data["name"] + ".yaml")


def _scenario_data(spec: Spec, ids: list[str], shares: list[float], issues: list[str], options: list[str],
                   rounded: list[list[list[float]]], reservations: list[float]) -> dict[str, Any]:
    return {
        "name": spec.name or spec.default_name(),
        "description": _describe(spec, shares),
        "source": spec.source or f"Generated by {GENERATOR} version {VERSION}: {command_line(spec)}",
        "generated": {"generator": GENERATOR, "version": VERSION, "seed": spec.seed, "params": spec.params()},
        "space": {"kind": "discrete", "issues": [
            {"id": issue, "name": f"Issue {i + 1}", "options": options} for i, issue in enumerate(issues)]},
        "groups": [
            {"id": gid, "name": gid.replace("-", " ").capitalize(), "share": shares[g],
             "reward": {"kind": "additive", "points": dict(zip(issues, rounded[g], strict=True))},
             "reservation": reservations[g], "persona": _persona(gid, shares[g], issues, options, rounded[g])}
            for g, gid in enumerate(ids)],
        "agreement": _agreement(spec.rule, spec.groups),
        "rounds": spec.rounds,
    }


def _reservations(spec: Spec, ids: list[str], shares: list[float], issues: list[str], options: list[str],
                  rounded: list[list[list[float]]], best: list[float]) -> list[float]:
    """Each group's reservation in points: R x its best, or (auto) AUTO_FRACTION of the max-min oracle
    computed on the scenario with zero reservations, rounded down so the max-min outcome stays acceptable."""
    if spec.reservation != "auto":
        return [math.floor(spec.reservation * b * 10**DECIMALS) / 10**DECIMALS for b in best]
    from dialectic.oracles import OracleProblem, maxmin_unconstrained

    draft = validate_scenario(_scenario_data(spec, ids, shares, issues, options, rounded, [0.0] * len(ids)),
                              "draft.yaml")
    value = maxmin_unconstrained(OracleProblem.from_scenario(draft)).value
    # worst is 0 for every group (each issue's least option is worth 0), so utility = points / best
    return [math.floor(AUTO_FRACTION * value * b * 10**DECIMALS) / 10**DECIMALS for b in best]


def scenario_text(scenario: Scenario) -> str:
    """The scenario as YAML, under a header saying it was generated (regenerate rather than edit)."""
    generated = scenario.generated
    made = f"{generated.generator} version {generated.version}, seed {generated.seed}" if generated else "hand"
    header = f"Generated by {made}; `source` says how to make it again. Regenerate rather than edit."
    return dump_scenario(scenario, header, exclude_none=True)
