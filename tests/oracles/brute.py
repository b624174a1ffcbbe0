"""An independent brute force for the oracles, written from DESIGN.md (it imports nothing from
dialectic.oracles), and a seeded generator of random small scenarios.

Everything is plain Python over itertools.product: raw rewards per outcome, normalised by each
group's min and max over the space, honest acceptance u_g >= rho_g (to 1e-12), the rule as written
in DESIGN.md (unanimous; quorum: at least k accept; majority: accepting shares sum above the
threshold; vetoes must accept).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

TOL = 1e-12
BETTER = 1e-9


@dataclass
class Brute:
    outcomes: list[tuple[int, ...]]
    u: list[list[float]]  # [group][outcome index]
    rho: list[float]
    shares: list[float]
    vetoes: list[int]
    rule: str
    min_accept: int
    threshold: float

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Brute:
        issues = spec["space"]["issues"]
        outcomes = list(itertools.product(*[range(len(i["options"])) for i in issues]))
        u, rho = [], []
        for group in spec["groups"]:
            reward = group["reward"]
            if reward["kind"] == "additive":
                raw = [sum(reward["points"][i["id"]][k] for i, k in zip(issues, x)) for x in outcomes]
            else:
                table = {tuple(e["outcome"][i["id"]] for i in issues): e["reward"] for e in reward["entries"]}
                raw = [table.get(tuple(i["options"][k] for i, k in zip(issues, x)), reward.get("default"))
                       for x in outcomes]
            lo, hi = min(raw), max(raw)
            u.append([(r - lo) / (hi - lo) for r in raw])
            rho.append((group["reservation"] - lo) / (hi - lo))
        agreement = spec.get("agreement", {})
        return cls(
            outcomes, u, rho, [g["share"] for g in spec["groups"]],
            [k for k, g in enumerate(spec["groups"]) if g.get("veto")],
            agreement.get("rule", "unanimous"), agreement.get("min_accept") or 0,
            agreement.get("threshold", 0.5) if agreement.get("threshold") is not None else 0.5,
        )

    @property
    def groups(self) -> range:
        return range(len(self.u))

    def vector(self, x: int) -> list[float]:
        return [self.u[g][x] for g in self.groups]

    def accepts(self, g: int, x: int) -> bool:
        return self.u[g][x] >= self.rho[g] - TOL

    def passes(self, x: int) -> bool:
        accepting = [g for g in self.groups if self.accepts(g, x)]
        if any(v not in accepting for v in self.vetoes):
            return False
        if self.rule == "unanimous":
            return len(accepting) == len(self.u)
        if self.rule == "quorum":
            return len(accepting) >= self.min_accept
        return sum(self.shares[g] for g in accepting) > self.threshold + TOL

    def all_accept(self, x: int) -> bool:
        return all(self.accepts(g, x) for g in self.groups)

    # -- the oracles, from their definitions ------------------------------------------------------

    def maxmin_unconstrained(self) -> float:
        return max(min(self.vector(x)) for x in range(len(self.outcomes)))

    def maxmin_oracle(self) -> float:
        passing = [min(self.vector(x)) for x in range(len(self.outcomes)) if self.passes(x)]
        return max([min(self.rho)] + passing)

    def utilitarian(self) -> float | None:
        values = [sum(w * v for w, v in zip(self.shares, self.vector(x))) for x in range(len(self.outcomes))
                  if self.passes(x)]
        return max(values) if values else None

    def nash_log(self) -> float | None:
        """log of the best Nash product over outcomes all accept (-inf: best product 0; None: none)."""
        best = None
        for x in range(len(self.outcomes)):
            if not self.all_accept(x):
                continue
            gains = [self.u[g][x] - self.rho[g] for g in self.groups]
            value = sum(math.log(gn) for gn in gains) if min(gains) > 0 else -math.inf
            best = value if best is None else max(best, value)
        return best

    def kalai_smorodinsky(self) -> float | None:
        ok = [x for x in range(len(self.outcomes)) if self.all_accept(x)]
        if not ok:
            return None
        ideal = [max(self.u[g][x] for x in ok) for g in self.groups]
        rows = [g for g in self.groups if ideal[g] - self.rho[g] > TOL]
        if not rows:
            return 1.0
        return max(min((self.u[g][x] - self.rho[g]) / (ideal[g] - self.rho[g]) for g in rows) for x in ok)

    def dominated(self, reference: list[float]) -> bool:
        for x in range(len(self.outcomes)):
            v = self.vector(x)
            if all(a >= r - TOL for a, r in zip(v, reference)) and any(a > r + BETTER for a, r in zip(v, reference)):
                return True
        return False

    def frontier(self, rows: list[int]) -> set[tuple[float, ...]]:
        vectors = {tuple(round(self.u[g][x], 9) for g in rows) for x in range(len(self.outcomes))}
        return {
            v for v in vectors
            if not any(w != v and all(a >= b for a, b in zip(w, v)) for w in vectors)
        }


# -- random scenarios -----------------------------------------------------------------------------------


def random_spec(seed: int, *, groups: int | None = None, table: bool | None = None, max_issues: int = 4,
                max_options: int = 5) -> dict[str, Any]:
    """A valid scenario dict: 1-4 issues of 2-5 options, 2-100 groups, additive or table rewards
    (integer points, so ties are common, or real ones), every rule kind, 0-2 vetoes."""
    rng = np.random.default_rng(seed)
    n_groups = groups if groups is not None else int(rng.choice([2, 3, 4, 5, 6, 8, 12, 30, 100],
                                                               p=[.2, .2, .12, .1, .1, .08, .08, .07, .05]))
    use_table = bool(rng.random() < 0.35) if table is None else table
    issues = [
        {"id": f"I{i}", "options": [f"o{k}" for k in range(int(rng.integers(2, max_options + 1)))]}
        for i in range(int(rng.integers(1, max_issues + 1)))
    ]
    outcomes = list(itertools.product(*[range(len(i["options"])) for i in issues]))
    integer = bool(rng.random() < 0.6)
    if rng.random() < 0.5:
        shares = [1 / n_groups] * n_groups
    else:
        raw = rng.dirichlet(np.ones(n_groups))
        shares = (raw / raw.sum()).tolist()
    groups = []
    for g in range(n_groups):
        while True:
            if use_table:
                values = rng.integers(0, 30, size=len(outcomes)).astype(float) if integer else rng.random(len(outcomes)) * 10
                reward = {"kind": "table", "entries": [
                    {"outcome": {i["id"]: i["options"][k] for i, k in zip(issues, x)}, "reward": float(v)}
                    for x, v in zip(outcomes, values)
                ]}
                if rng.random() < 0.3 and len(outcomes) > 2:  # leave some out, covered by a default
                    cut = int(rng.integers(1, len(outcomes)))
                    reward["entries"] = reward["entries"][:cut]
                    reward["default"] = float(rng.integers(0, 30))
                    values = np.array([e["reward"] for e in reward["entries"]] + [reward["default"]])
            else:
                points = {
                    i["id"]: (rng.integers(0, 20, size=len(i["options"])).astype(float) if integer
                              else np.round(rng.random(len(i["options"])) * 10, 6)).tolist()
                    for i in issues
                }
                reward = {"kind": "additive", "points": points}
                lo = sum(min(p) for p in points.values())
                hi = sum(max(p) for p in points.values())
                values = np.array([lo, hi])
            if values.max() > values.min():
                break
        lo, hi = float(values.min()), float(values.max())
        position = rng.choice([-0.2, 0.0, rng.random() * 0.7, rng.random(), 1.0], p=[.05, .1, .55, .25, .05])
        reservation = min(lo + float(position) * (hi - lo), hi)
        if integer and rng.random() < 0.5:
            reservation = float(min(round(reservation), hi))  # exactly attainable reservations
        groups.append({"id": f"g{g}", "share": shares[g], "reward": reward, "reservation": reservation})
    rule = rng.choice(["unanimous", "quorum", "majority"])
    agreement: dict[str, Any] = {"rule": str(rule)}
    if rule == "quorum":
        agreement["min_accept"] = int(rng.integers(1, n_groups + 1))
    elif rule == "majority" and rng.random() < 0.5:
        agreement["threshold"] = float(np.round(rng.random() * 0.9, 3))
    for v in rng.choice(n_groups, size=int(rng.choice([0, 1, 2], p=[.5, .3, .2])), replace=False):
        groups[int(v)]["veto"] = True
    return {"name": f"random-{seed}", "space": {"issues": issues}, "groups": groups, "agreement": agreement}


def single_peaked_points(rng: np.random.Generator, groups: int, issues: int, options: int) -> np.ndarray:
    """(groups, issues, options) integer points: each group weighs the issues (Dirichlet) and prefers
    options near its own peak on each issue's ordered scale (negotiation games look like this)."""
    weights = rng.dirichlet(np.ones(issues), size=groups) * 100
    peak = rng.integers(0, options, size=(groups, issues))
    k = np.arange(options)
    closeness = 1 - np.abs(k[None, None, :] - peak[:, :, None]) / (options - 1)
    return np.round(weights[:, :, None] * closeness)
