"""Oracles on continuous spaces: the definitions of the discrete oracles, solved as convex programmes.

Every utility is a separable concave quadratic (dialectic/oracles/_continuous.py), so each oracle
maximises a concave function over a convex set, the domain cut by {u_g >= rho_g} for the groups that
must accept, solved with a certified bound by cutting planes (dialectic/oracles/_cutting_planes.py).
The agreement rule is monotone, so the points that pass it honestly are the union, over its minimal
passing coalitions S, of the convex sets {u_g >= rho_g for g in S}: `maxmin_oracle` and the
utilitarian optimum take the best over that union (the best point of the rule-free problem settles it
at once when it passes). Nash and Kalai-Smorodinsky live on the set every group accepts.

Status "exact" when the certified gap is at most EXACT_GAP = 1e-7 (utility units; for Nash, units of
the product); else "bound" (a time budget or the iteration limit ran out) with the gap. A group
accepts a point when u_g >= rho_g - FEAS_TOL (1e-12, as on discrete spaces): candidate points from
the solvers are pulled toward the centre of the constraint set until they meet it. Results carry the optimal real `point` and, as
`outcome`, the lattice point nearest it. method "enumeration" enumerates the lattice instead (the
best a dialogue on the lattice could reach), with the same definitions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from dialectic.oracles._continuous import ContinuousProblem
from dialectic.oracles._cutting_planes import FEAS_TOL, Rows, Solution, maximise_log_sum, maximise_min
from dialectic.oracles._result import FrontierPoint, OracleResult, ParetoFrontier
from dialectic.rules import ACCEPT_TOL

#: Status "exact" when the certified gap is at most this.
EXACT_GAP = 1e-7
#: "Better for one group" in Pareto dominance: a total gain above this. Larger than on discrete spaces
#: (1e-9): near a group's own optimum its utility is flat to second order, so a rounding of e in the
#: reference utility (about 1e-16) lets the others gain of order sqrt(e) (about 1e-8) without a real gain.
DOMINANCE_TOL = 1e-6
#: "At least as good" in Pareto dominance: u_g >= r_g - PARETO_TOL, a few roundings (a looser tolerance
#: e would let the others gain of order sqrt(e) near a group's own optimum).
PARETO_TOL = 1e-14
#: Most groups whose minimal passing coalitions are enumerated (2^groups subsets).
MAX_COALITION_GROUPS = 20


def _result(problem: ContinuousProblem, value: float, bound: float, point: np.ndarray | None, started: float,
            **info: Any) -> OracleResult:
    gap = max(bound - value, 0.0)
    return OracleResult(
        value=float(value), outcome=None if point is None else problem.nearest(point),
        status="exact" if gap <= EXACT_GAP else "bound", bound=float(value + gap), gap=float(gap),
        method="convex", utilities=None if point is None else tuple(problem.utilities_at(point).tolist()),
        seconds=time.perf_counter() - started, info=info,
        point=None if point is None else tuple(float(v) for v in point),
    )


def passes_at(problem: ContinuousProblem, x: np.ndarray) -> bool:
    """Does the rule pass at x when every group accepts what is at or above its reservation?"""
    return bool(problem.passes(problem.utilities_at(x)[:, None])[0])


def minimal_coalitions(problem: ContinuousProblem) -> list[np.ndarray]:
    """The rule's minimal passing coalitions (group index arrays): every passing set of accepting
    groups contains one, since the rules are monotone."""
    g = problem.n_groups
    if g > MAX_COALITION_GROUPS:
        raise ValueError(f"continuous oracles under a rule enumerate coalitions of at most {MAX_COALITION_GROUPS} "
                         f"groups; this problem has {g}")
    masks = np.arange(1 << g, dtype=np.int64)
    accepts = ((masks[None, :] >> np.arange(g)[:, None]) & 1).astype(bool)
    passing = problem.rule.passes(accepts, problem.shares)
    minimal = passing.copy()
    for k in range(g):
        minimal &= ~(accepts[k] & passing[masks ^ (1 << k)])
    return [np.flatnonzero(accepts[:, m]) for m in np.flatnonzero(minimal)]


def _over_coalitions(problem: ContinuousProblem, objective: Rows, deadline: float) -> tuple[Solution, dict]:
    """max of min_k objective_k over the points that pass the rule honestly (value -inf: none does)."""
    domain, n = problem.domain, problem.n_issues
    free = maximise_min(domain, objective, Rows.empty(n), deadline=deadline)
    if free.x is not None and passes_at(problem, free.x):
        return free, {"coalitions": 0}
    coalitions = minimal_coalitions(problem)
    if free.x is not None:  # coalitions already satisfied at the rule-free optimum first
        accepted = problem.accepts(problem.utilities_at(free.x))
        coalitions.sort(key=lambda members: -int(accepted[members].sum()))
    best = Solution(-math.inf, -math.inf, None)
    bound, solved = -math.inf, 0
    for members in coalitions:
        if time.perf_counter() > deadline:
            bound = max(bound, free.bound)  # the unsolved coalitions are bounded by the rule-free optimum
            break
        constraints = Rows.of(problem, members, offset=-problem.reservations[members])
        seeds = [x for x in (best.x, free.x) if x is not None]
        sol = maximise_min(domain, objective, constraints, cutoff=best.value, deadline=deadline, start=seeds)
        solved += 1
        bound = max(bound, sol.bound)
        if sol.x is not None and sol.value > best.value:
            best = sol
    bound = min(bound, free.bound)
    if best.x is not None:
        bound = max(bound, best.value)
    return Solution(best.value, bound, best.x), {"coalitions": len(coalitions), "solved": solved}


def maxmin_unconstrained(problem: ContinuousProblem, deadline: float) -> OracleResult:
    started = time.perf_counter()
    sol = maximise_min(problem.domain, Rows.of(problem), Rows.empty(problem.n_issues), deadline=deadline)
    return _result(problem, sol.value, sol.bound, sol.x, started)


def maxmin_oracle(problem: ContinuousProblem, deadline: float) -> OracleResult:
    started = time.perf_counter()
    sol, info = _over_coalitions(problem, Rows.of(problem), deadline)
    no_deal = problem.no_deal_value
    if sol.x is None or no_deal >= sol.value:
        return _result(problem, no_deal, max(no_deal, sol.bound), None, started, no_deal=no_deal, **info)
    return _result(problem, sol.value, sol.bound, sol.x, started, no_deal=no_deal, **info)


def utilitarian_optimum(problem: ContinuousProblem, deadline: float) -> OracleResult:
    started = time.perf_counter()
    w = problem.shares
    objective = Rows((w @ problem.b)[None, :], (w @ problem.q)[None, :], np.array([w @ problem.c]))
    sol, info = _over_coalitions(problem, objective, deadline)
    no_deal = float(w @ problem.reservations)
    if sol.x is None:
        return _result(problem, no_deal, no_deal if sol.bound == -math.inf else max(sol.bound, no_deal), None,
                       started, no_deal=no_deal, **info)
    return _result(problem, sol.value, sol.bound, sol.x, started, no_deal=no_deal, **info)


def nash_optimum(problem: ContinuousProblem, deadline: float) -> OracleResult:
    """max prod_g (u_g - rho_g) over the points every group accepts (none: outcome None, value 0)."""
    started = time.perf_counter()
    gains = Rows.of(problem, offset=-problem.reservations)
    widest = maximise_min(problem.domain, gains, Rows.empty(problem.n_issues), deadline=deadline)
    high = np.maximum(1.0 - problem.reservations, 1e-300)  # u_g <= 1 over the domain
    # prod_g gain_g <= min_g gain_g * (the largest product of the other groups' best gains)
    others = max(float(np.prod(np.delete(high, g))) for g in range(problem.n_groups))
    ceiling = max(widest.bound, 0.0) * others
    if widest.x is None or widest.value < -FEAS_TOL:
        return _result(problem, 0.0, 0.0 if widest.bound < -FEAS_TOL else ceiling, None, started)
    at_widest = float(np.prod(np.maximum(gains.values(widest.x), 0.0)))
    if at_widest <= 0.0:
        return _result(problem, 0.0, ceiling, widest.x, started)
    # At the optimum the product is at least at_widest, so every gain is at least this:
    low = np.array([at_widest / float(np.prod(np.delete(high, g))) for g in range(problem.n_groups)])
    sol = maximise_log_sum(problem.domain, gains, np.minimum(low, high), high, deadline=deadline,
                           start=[widest.x])
    if sol.x is None:  # pragma: no cover - the start point is feasible
        return _result(problem, at_widest, ceiling, widest.x, started)
    return _result(problem, math.exp(sol.value), math.exp(sol.bound), sol.x, started)


def kalai_smorodinsky(problem: ContinuousProblem, deadline: float) -> OracleResult:
    """Among the points every group accepts, max min_g (u_g - rho_g) / (I_g - rho_g), I the ideal point
    (each group's best over that set; info["ideal"]). None acceptable: outcome None, value 0."""
    started = time.perf_counter()
    acceptable = Rows.of(problem, offset=-problem.reservations)
    ideal, points, ideal_gap = [], [], 0.0
    for g in range(problem.n_groups):
        sol = maximise_min(problem.domain, Rows.of(problem, [g]), acceptable, deadline=deadline)
        if sol.x is None:
            return _result(problem, 0.0, 0.0 if sol.bound == -math.inf else math.inf, None, started, ideal=None)
        ideal.append(sol.value)
        points.append(sol.x)
        ideal_gap = max(ideal_gap, sol.gap)
    top = np.array(ideal)
    rows = np.flatnonzero(top - problem.reservations > ACCEPT_TOL)
    info = {"ideal": tuple(top.tolist()), "ideal_exact": ideal_gap <= EXACT_GAP}
    if not len(rows):
        return _result(problem, 1.0, 1.0, points[0], started, **info)
    scale = 1.0 / (top[rows] - problem.reservations[rows])
    objective = Rows.of(problem, rows, scale=scale, offset=-problem.reservations[rows] * scale)
    sol = maximise_min(problem.domain, objective, acceptable, deadline=deadline, start=points)
    # An ideal known to within ideal_gap moves each ratio by at most ideal_gap * scale.
    bound = sol.bound if ideal_gap <= EXACT_GAP else sol.bound + ideal_gap * float(scale.max())
    return _result(problem, sol.value, bound, sol.x, started, **info)


def pareto_improvement(problem: ContinuousProblem, reference: np.ndarray, deadline: float,
                       at: np.ndarray | None = None) -> OracleResult:
    """The point maximising sum_g (u_g - r_g) among those at least as good as `reference` (the
    utilities of the point `at`, when given) for every
    group (to PARETO_TOL) and better in total by more than DOMINANCE_TOL; None: not dominated."""
    started = time.perf_counter()
    r = np.asarray(reference, dtype=np.float64)
    total = Rows(problem.b.sum(axis=0)[None, :], problem.q.sum(axis=0)[None, :], np.array([problem.c.sum() - r.sum()]))
    seeds = [] if at is None else [np.asarray(at, dtype=np.float64)]  # the reference's own point, if known
    sol = maximise_min(problem.domain, total, Rows.of(problem, offset=-r), deadline=deadline,
                       tolerance=PARETO_TOL, start=seeds)
    if sol.x is None or sol.value <= DOMINANCE_TOL:
        return _result(problem, 0.0, max(sol.bound, 0.0), None, started)
    return _result(problem, sol.value, sol.bound, sol.x, started)


def pareto_frontier(problem: ContinuousProblem, rows: np.ndarray, max_points: int) -> ParetoFrontier:
    """A sample of the chosen groups' Pareto frontier over the domain: the maximiser of each positive
    weighting of their utilities (closed form; the achievable utility set is convex, so these points
    trace the whole frontier), on a grid of at most `max_points` weightings. status "bound": a sample."""
    started = time.perf_counter()
    k = len(rows)
    per_side = max(2, round(max_points ** (1.0 / (k - 1))) if k > 1 else 2)
    grid = np.linspace(1e-6, 1.0 - 1e-6, per_side)
    weights = [np.array(w) for w in _simplex(grid, k)][:max_points]
    found: dict[tuple[float, ...], FrontierPoint] = {}
    for w in weights:
        b, q = w @ problem.b[rows], w @ problem.q[rows]
        x = problem.domain.quadratic_max(b, q)[1]
        u = problem.utilities_at(x)[rows]
        key = tuple(np.round(u, 12).tolist())
        if key not in found:
            outcome = problem.nearest(x)
            found[key] = FrontierPoint(tuple(u.tolist()), outcome if outcome is not None else (),
                                       tuple(float(v) for v in x))
    points = list(found.values())
    kept = [p for p in points if not any(
        all(a >= b - 1e-12 for a, b in zip(o.utilities, p.utilities, strict=True)) and o.utilities != p.utilities
        and any(a > b + 1e-12 for a, b in zip(o.utilities, p.utilities, strict=True)) for o in points)]
    kept.sort(key=lambda p: tuple(-v for v in p.utilities))
    return ParetoFrontier(tuple(problem.group_ids[i] for i in rows), tuple(kept), "bound", "convex",
                          time.perf_counter() - started)


def _simplex(grid: np.ndarray, k: int) -> list[tuple[float, ...]]:
    """Weight vectors on the simplex: for 2 groups (w, 1 - w); for 3, a triangular grid."""
    if k == 2:
        return [(float(w), 1.0 - float(w)) for w in grid]
    out: list[tuple[float, ...]] = []
    for a in grid:
        for b in grid:
            if a + b < 1.0:
                out.append((float(a), float(b), 1.0 - float(a) - float(b)))
    return out


def on_lattice(problem: ContinuousProblem, result: OracleResult) -> OracleResult:
    """A result of the lattice's one-issue enumeration problem, as a lattice outcome with its point."""
    if result.outcome is None:
        return result
    outcome = problem.lattice.at(result.outcome[0])
    return replace(result, outcome=outcome, point=tuple(problem.lattice.values(outcome).tolist()))


def is_pareto_dominated(problem: ContinuousProblem, settlement: Sequence[int] | Sequence[float] | None, *,
                        method: str, time_budget: float) -> OracleResult:
    """dialectic.oracles.is_pareto_dominated on a continuous problem; `settlement` is a lattice outcome
    (a tuple of ints) or a real point, None for no deal (judged at the reservations)."""
    if settlement is None:
        reference, at = problem.reservations, None
    else:
        at = problem.point_of(settlement)
        reference = problem.utilities_at(at)
    if method == "enumeration":
        result = solve(problem, "pareto_improvement", method=method, time_budget=time_budget, reference=reference)
    elif method in ("auto", "convex"):
        result = pareto_improvement(problem, reference, time.perf_counter() + time_budget, at=at)
    else:
        raise ValueError(f"a continuous space's oracles are solved by 'convex' (or 'auto') or by 'enumeration' "
                         f"of its lattice, not {method!r}")
    result.info["dominated"] = result.outcome is not None
    return result


def solve(problem: ContinuousProblem, objective: str, *, method: str, time_budget: float,
          reference: np.ndarray | None = None) -> OracleResult:
    """One oracle on a continuous problem: method "auto"/"convex" (the continuous optimum) or
    "enumeration" (the best lattice point)."""
    if method == "enumeration":
        from dialectic.oracles._solve import solve as solve_discrete

        lattice = problem.lattice_problem()
        return on_lattice(problem, solve_discrete(lattice, objective, method="enumeration", reference=reference))
    if method not in ("auto", "convex"):
        raise ValueError(f"a continuous space's oracles are solved by 'convex' (or 'auto') or by 'enumeration' "
                         f"of its lattice, not {method!r}")
    deadline = time.perf_counter() + time_budget
    if objective == "pareto_improvement":
        if reference is None:
            raise ValueError("objective 'pareto_improvement' needs a reference utility vector")
        return pareto_improvement(problem, reference, deadline)
    oracles = {
        "maxmin": maxmin_oracle, "maxmin_unconstrained": maxmin_unconstrained, "utilitarian": utilitarian_optimum,
        "nash": nash_optimum, "kalai_smorodinsky": kalai_smorodinsky,
    }
    if objective not in oracles:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(oracles)}, pareto_improvement")
    return oracles[objective](problem, deadline)


def frontier(problem: ContinuousProblem, rows: np.ndarray, method: str, max_points: int) -> ParetoFrontier:
    if method == "enumeration":
        from dialectic.oracles._enumerate import pareto_frontier as lattice_frontier

        found = lattice_frontier(problem.lattice_problem(), rows)
        lattice = problem.lattice
        points = tuple(FrontierPoint(p.utilities, lattice.at(p.outcome[0]),
                                     tuple(lattice.values(lattice.at(p.outcome[0])).tolist())) for p in found.points)
        return replace(found, points=points)
    if method not in ("auto", "convex"):
        raise ValueError(f"a continuous space's frontier is sampled by 'convex' (or 'auto') or enumerated on its "
                         f"lattice by 'enumeration', not {method!r}")
    return pareto_frontier(problem, rows, max_points)
