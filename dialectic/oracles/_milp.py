"""Oracles for additive rewards on large spaces as mixed-integer programmes (HiGHS via scipy).

Variables: x[issue, option] binary, one-hot per issue, so u_g(x) = Q_g . x is linear. The rule
under honest acceptance uses a binary a_g per group that may or may not accept, linked by
u_g(x) >= rho_g a_g (a_g = 1 => u_g >= rho_g; a_g = 0 is free since u_g >= 0): accepting more
groups only helps a monotone rule pass, so the implication is all that is needed. Quorum:
sum a >= k; majority: sum w_g a_g >= threshold + MAJORITY_MARGIN; vetoes and unanimity fix a_g = 1.

Certification: every solve closes the gap to 0 or reports HiGHS's dual bound. The returned outcome
is always re-evaluated exactly (numpy, the same formulas as enumeration); if the solver's tolerance
let through an outcome that does not pass exactly, the model is solved again with a margin
(SAFETY_MARGIN) on every acceptance, and the first solve's bound (a relaxation) is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dialectic.oracles._enumerate import DOMINANCE_TOL, nondominated
from dialectic.oracles._highs import FEASIBILITY_TOL, Model, Solution
from dialectic.oracles._problem import OracleProblem
from dialectic.oracles._result import FrontierPoint, OracleResult, ParetoFrontier
from dialectic.rules import ACCEPT_TOL

#: Accepting shares must exceed the majority threshold by this much in the programme (> the solver's
#: feasibility tolerance, so a share sum exactly at the threshold never passes).
MAJORITY_MARGIN = 1e-6
#: Margin on acceptances for the second solve, when the first one's outcome fails the exact check.
SAFETY_MARGIN = 1e-6
#: "exact" when the solver proved optimality and its bound is within this of the exact value.
EXACT_TOL = 1e-6
#: Spacing of successive points of a 2-group frontier found by the epsilon-constraint method.
FRONTIER_STEP = 1e-6

Outcome = tuple[int, ...]


@dataclass
class _X:
    cols: np.ndarray
    offsets: np.ndarray
    q: np.ndarray  # (groups, total options): u_g(x) = q[g] @ x

    def decode(self, x: np.ndarray, radix: tuple[int, ...]) -> Outcome:
        values = x[self.cols]
        return tuple(int(np.argmax(values[o:o + r])) for o, r in zip(self.offsets, radix, strict=True))


def _require_additive(problem: OracleProblem) -> None:
    if problem.points is None:
        raise ValueError(
            "the MILP oracles need additive rewards (points per option); this problem has only a dense "
            "utility matrix, so use method='enumeration'"
        )


def _x(model: Model, problem: OracleProblem) -> _X:
    assert problem.points is not None
    radix = problem.radix
    cols = model.add(sum(radix), 0.0, 1.0, integer=True)
    offsets = np.concatenate([[0], np.cumsum(radix)[:-1]]).astype(np.int64)
    for o, r in zip(offsets, radix, strict=True):
        model.row(cols[o:o + r], np.ones(r), 1.0, 1.0)
    return _X(cols, offsets, np.concatenate(problem.points, axis=1))


def _accept_all(model: Model, problem: OracleProblem, x: _X, margin: float, groups: range | list[int]) -> None:
    rho = problem.reservations
    for g in groups:
        if rho[g] > ACCEPT_TOL:
            model.row(x.cols, x.q[g], lo=rho[g] + margin)


def _rule(model: Model, problem: OracleProblem, x: _X, margin: float) -> None:
    """Constraints: the rule passes when the groups accept honestly (acceptance within margin)."""
    rule, rho, shares = problem.rule, problem.reservations, problem.shares
    g_all = range(problem.n_groups)
    forced = set(g_all) if rule.kind == "unanimous" else set(rule.vetoes)
    _accept_all(model, problem, x, margin, sorted(forced))
    if rule.kind == "unanimous":
        return
    free = [g for g in g_all if g not in forced]
    optional = [g for g in free if rho[g] > ACCEPT_TOL]
    certain = [g for g in g_all if g in forced or rho[g] <= ACCEPT_TOL]
    a = model.add(len(optional), 0.0, 1.0, integer=True)
    for col, g in zip(a, optional, strict=True):
        model.row(np.append(x.cols, col), np.append(x.q[g], -(rho[g] + margin)), lo=0.0)
    if rule.kind == "quorum":
        need = rule.min_accept - len(certain)
        if need > 0:
            model.row(a, np.ones(len(a)), lo=float(need))
    else:
        share_needed = rule.threshold + MAJORITY_MARGIN - float(shares[certain].sum())
        if share_needed > 0:
            model.row(a, shares[optional], lo=share_needed)


def _certified(
    problem: OracleProblem,
    build: Callable[[float], tuple[Model, _X]],
    value_of: Callable[[Outcome], float],
    feasible: Callable[[Outcome], bool],
    time_budget: float,
) -> tuple[Solution, Outcome | None, float, bool, dict]:
    """Solve, re-check the outcome exactly, re-solve with a safety margin if it fails.
    Returns (first solution, outcome or None, its exact value, exact?, info)."""
    deadline = time.perf_counter() + time_budget
    model, x = build(0.0)
    first = model.solve(time_budget)
    info: dict = {"solver": first.message, "nodes": first.nodes, "solver_bound": first.bound}
    if first.status == "error":
        raise RuntimeError(f"HiGHS failed: {first.message}")
    if first.x is None:
        return first, None, -math.inf, first.status == "infeasible", info
    outcome = x.decode(first.x, problem.radix)
    certified = first.status == "optimal"
    if not feasible(outcome):
        info["resolved_with_margin"] = SAFETY_MARGIN
        model, x = build(SAFETY_MARGIN)
        second = model.solve(max(deadline - time.perf_counter(), 0.01))
        info["nodes"] += second.nodes
        certified = certified and second.status == "optimal"
        if second.x is None:
            return first, None, -math.inf, False, info
        outcome = x.decode(second.x, problem.radix)
        if not feasible(outcome):  # pragma: no cover - a margin of 10x the tolerance
            return first, None, -math.inf, False, info
    value = value_of(outcome)
    exact = certified and first.bound - value <= EXACT_TOL
    return first, outcome, value, exact, info


def _oracle_result(
    problem: OracleProblem, value: float, outcome: Outcome | None, exact: bool, bound: float,
    started: float, info: dict,
) -> OracleResult:
    if exact:
        bound, gap = value, 0.0
    else:
        bound = max(bound, value)
        gap = bound - value
    utilities = tuple(problem.utilities(outcome).tolist()) if outcome is not None else None
    return OracleResult(
        value=value, outcome=outcome, status="exact" if exact else "bound", bound=bound, gap=gap,
        method="milp", utilities=utilities, seconds=time.perf_counter() - started, info=info,
    )


# -- max-min ----------------------------------------------------------------------------------------


def maxmin_model(
    problem: OracleProblem, margin: float, *, constraint: str, rows: np.ndarray, scale: np.ndarray,
    offset: np.ndarray, floor: float,
) -> tuple[Model, _X]:
    """max t s.t. t <= scale_r u_r(x) + offset_r for r in rows; constraint: "none" | "rule" | "all"."""
    model = Model()
    x = _x(model, problem)
    top = float(np.min(scale + offset)) if len(rows) else 1.0  # u <= 1
    t = model.add(1, lb=floor, ub=max(top, floor), cost=1.0)
    for r, a, b in zip(rows, scale, offset, strict=True):
        model.row(np.append(x.cols, t), np.append(a * x.q[r], -1.0), lo=-b)
    if constraint == "rule":
        _rule(model, problem, x, margin)
    elif constraint == "all":
        _accept_all(model, problem, x, margin, range(problem.n_groups))
    return model, x


def maxmin(
    problem: OracleProblem, *, constraint: str, time_budget: float, rows: np.ndarray | None = None,
    scale: np.ndarray | None = None, offset: np.ndarray | None = None, floor: float = 0.0,
) -> OracleResult:
    """max over x of min_r (scale_r u_r(x) + offset_r), subject to `constraint`, with value > floor
    required only in the sense that nothing at or below `floor` is reported (outcome None)."""
    _require_additive(problem)
    started = time.perf_counter()
    rows = np.arange(problem.n_groups) if rows is None else np.asarray(rows)
    scale = np.ones(len(rows)) if scale is None else np.asarray(scale, dtype=np.float64)
    offset = np.zeros(len(rows)) if offset is None else np.asarray(offset, dtype=np.float64)

    def value_of(outcome: Outcome) -> float:
        u = problem.utilities(outcome)
        return float((scale * u[rows] + offset).min()) if len(rows) else 1.0

    def feasible(outcome: Outcome) -> bool:
        u = problem.utilities(outcome)
        if constraint == "rule":
            return bool(problem.passes(u[:, None])[0])
        if constraint == "all":
            return bool(problem.accepts(u).all())
        return True

    first, outcome, value, exact, info = _certified(
        problem,
        lambda margin: maxmin_model(problem, margin, constraint=constraint, rows=rows, scale=scale,
                                    offset=offset, floor=floor),
        value_of, feasible, time_budget,
    )
    if outcome is None or value <= floor:
        # Nothing strictly above the floor: exact when the solver proved it (infeasible, or optimal).
        proved = first.status == "infeasible" or (exact and outcome is not None)
        bound = floor if proved else max(first.bound, floor)
        return _oracle_result(problem, floor, None, proved, bound, started, info)
    return _oracle_result(problem, value, outcome, exact, first.bound, started, info)


def maxmin_unconstrained(problem: OracleProblem, time_budget: float) -> OracleResult:
    return maxmin(problem, constraint="none", time_budget=time_budget, floor=-1.0)


def maxmin_oracle(problem: OracleProblem, time_budget: float) -> OracleResult:
    result = maxmin(problem, constraint="rule", time_budget=time_budget, floor=problem.no_deal_value)
    result.info["no_deal"] = problem.no_deal_value
    return result


# -- utilitarian ------------------------------------------------------------------------------------


def utilitarian_optimum(problem: OracleProblem, time_budget: float) -> OracleResult:
    _require_additive(problem)
    started = time.perf_counter()
    shares = problem.shares

    def build(margin: float) -> tuple[Model, _X]:
        model = Model()
        x = _x(model, problem)
        model.cost[0] = shares @ x.q
        _rule(model, problem, x, margin)
        return model, x

    first, outcome, value, exact, info = _certified(
        problem, build, lambda o: float(shares @ problem.utilities(o)), problem.passes_outcome, time_budget
    )
    no_deal = float(shares @ problem.reservations)
    info["no_deal"] = no_deal
    if outcome is None:
        proved = first.status == "infeasible"
        return _oracle_result(problem, no_deal, None, proved, no_deal if proved else first.bound, started, info)
    return _oracle_result(problem, value, outcome, exact, first.bound, started, info)


# -- Pareto -----------------------------------------------------------------------------------------


def pareto_improvement(problem: OracleProblem, reference: np.ndarray, time_budget: float) -> OracleResult:
    """max sum_g u_g(x) - r_g s.t. u_g(x) >= r_g for all g: dominated iff it is > DOMINANCE_TOL."""
    _require_additive(problem)
    started = time.perf_counter()
    r = np.asarray(reference, dtype=np.float64)

    def build(margin: float) -> tuple[Model, _X]:
        model = Model()
        x = _x(model, problem)
        model.cost[0] = x.q.sum(axis=0)
        for g in range(problem.n_groups):
            model.row(x.cols, x.q[g], lo=r[g] - ACCEPT_TOL / 2 + margin)
        return model, x

    def total(outcome: Outcome) -> float:
        return float(problem.utilities(outcome).sum())

    def weakly(outcome: Outcome) -> bool:
        return bool((problem.utilities(outcome) - r).min() >= -ACCEPT_TOL)

    first, outcome, value, exact, info = _certified(problem, build, total, weakly, time_budget)
    bound = first.bound - float(r.sum())
    info["solver_bound"] = bound
    if outcome is not None and (problem.utilities(outcome) - r).max() > DOMINANCE_TOL:
        return _oracle_result(problem, value - float(r.sum()), outcome, exact, bound, started, info)
    # Not dominated (no feasible improvement): exact when the solver proved the optimum ~ 0.
    proved = first.status == "infeasible" or (first.status == "optimal" and bound <= DOMINANCE_TOL + EXACT_TOL)
    return _oracle_result(problem, 0.0, None, proved, max(bound, 0.0), started, info)


def pareto_frontier_2(
    problem: OracleProblem, rows: np.ndarray, time_budget: float, max_points: int = 500
) -> ParetoFrontier:
    """Epsilon-constraint method for two groups a, b: from the best for a downwards, each point
    maximises u_a subject to u_b at least FRONTIER_STEP above the previous point, then u_b
    subject to that u_a (lexicographic, so every point is non-dominated)."""
    _require_additive(problem)
    started = time.perf_counter()
    deadline = started + time_budget
    a, b = (int(r) for r in rows)
    found: list[tuple[np.ndarray, Outcome]] = []
    floor_b = -math.inf
    complete = True
    while True:
        if len(found) >= max_points or time.perf_counter() >= deadline:
            complete = False
            break
        # stage 1: max u_a with u_b >= floor_b
        model = Model()
        x = _x(model, problem)
        model.cost[0] = x.q[a].copy()
        if floor_b > -math.inf:
            model.row(x.cols, x.q[b], lo=floor_b)
        sol = model.solve(max(deadline - time.perf_counter(), 0.01))
        if sol.status == "infeasible":
            break
        if sol.status != "optimal" or sol.x is None:
            complete = False
            break
        best_a = problem.utilities(x.decode(sol.x, problem.radix))[a]
        # stage 2: max u_b with u_a >= best_a (and the floor)
        model = Model()
        x = _x(model, problem)
        model.cost[0] = x.q[b].copy()
        model.row(x.cols, x.q[a], lo=best_a - FEASIBILITY_TOL)
        if floor_b > -math.inf:
            model.row(x.cols, x.q[b], lo=floor_b)
        sol = model.solve(max(deadline - time.perf_counter(), 0.01))
        if sol.status != "optimal" or sol.x is None:
            complete = False
            break
        outcome = x.decode(sol.x, problem.radix)
        u = problem.utilities(outcome)[[a, b]]
        found.append((u, outcome))
        floor_b = float(u[1]) + FRONTIER_STEP
    if found:
        vectors = np.array([u for u, _ in found])
        keep = nondominated(vectors, np.arange(len(found)))
    else:
        keep = []
    points = tuple(FrontierPoint(tuple(found[k][0].tolist()), found[k][1]) for k in keep)
    return ParetoFrontier(
        (problem.group_ids[a], problem.group_ids[b]), points, "exact" if complete else "bound", "milp",
        time.perf_counter() - started,
    )


# -- Nash -------------------------------------------------------------------------------------------

#: log-gain floor of the outer approximation (a gain of about 1e-26 or less counts as this).
LOG_FLOOR = -60.0
#: Tangents of the log are taken at gains of at least this (coefficients 1/c stay moderate).
CUT_MIN = 1e-7
#: Nash: stop when the log of the bound is within this of the log of the best product found.
NASH_LOG_TOL = 1e-9


def nash_optimum(problem: OracleProblem, time_budget: float, max_rounds: int = 50) -> OracleResult:
    """max prod_g (u_g - rho_g) over outcomes every group accepts, by outer approximation.

    First the largest worst gain m = max min_g (u_g - rho_g) over those outcomes (a max-min MILP):
    none acceptable, or m = 0 (every acceptable outcome leaves some group at its reservation), and
    the optimum product is 0, settled. Otherwise the optimum's product is at least m^G, so each of
    its gains is at least L_g = m^G / prod_{h != g} (1 - rho_h). Then the concave log of each gain on
    [L_g, 1 - rho_g] is replaced by the minimum of its tangents (a concave relaxation, so the
    programme's optimum bounds the true log-product from above); after each solve, tangents at the
    new outcome's gains are added, until the bound meets the best product found (exact) or the
    budget runs out (bound). Every outcome found is feasible, so the best is a lower bound."""
    _require_additive(problem)
    started = time.perf_counter()
    deadline = started + time_budget
    rho, g_count = problem.reservations, problem.n_groups
    top = 1.0 - rho  # the largest gain each group can have
    worst = maxmin(problem, constraint="all", time_budget=time_budget / 3, offset=-rho, floor=-1.0)
    info: dict = {"rounds": 0, "worst_gain": worst.value, "worst_gain_status": worst.status}
    if worst.outcome is None or worst.bound <= 0:
        # no acceptable outcome, or none where every group gains: the best product is 0
        exact = worst.status == "exact"
        value_outcome = worst.outcome
        return _oracle_result(problem, 0.0, value_outcome, exact, 0.0, started, info)
    best_outcome = worst.outcome
    best_log = float(np.log(np.maximum(problem.utilities(best_outcome) - rho, 0)).sum()) if worst.value > 0 else -math.inf
    log_low = g_count * math.log(worst.value) - (np.log(top).sum() - np.log(top)) if worst.value > 0 else np.full(g_count, LOG_FLOOR)
    log_low = np.maximum(log_low, LOG_FLOOR)
    low = np.exp(log_low)
    cuts: list[list[float]] = []
    for g in range(g_count):
        points = np.geomspace(max(low[g], CUT_MIN), top[g], 8) if top[g] > max(low[g], CUT_MIN) else np.array([top[g]])
        cuts.append([float(c) for c in points])
    bound_log = math.inf
    rounds, exact, margin = 0, False, 0.0
    while rounds < max_rounds and time.perf_counter() < deadline:
        rounds += 1
        model = Model()
        x = _x(model, problem)
        z = model.add(g_count, lb=log_low, ub=np.log(top), cost=1.0)
        for g in range(g_count):
            # gain at least its lower bound L_g (and at least 0: acceptance), with the margin if any
            floor = max(float(low[g]), 0.0) + margin
            model.row(x.cols, x.q[g], lo=rho[g] + floor)
            for c in cuts[g]:
                # z_g <= log c - 1 + (u_g - rho_g) / c
                model.row(np.append(x.cols, z[g]), np.append(-x.q[g] / c, 1.0), hi=math.log(c) - 1 - rho[g] / c)
        sol = model.solve(max(deadline - time.perf_counter(), 0.01))
        if sol.status == "error":
            raise RuntimeError(f"HiGHS failed: {sol.message}")
        if sol.x is None:
            break
        if margin == 0.0:  # only the unrestricted programme's bound bounds the true optimum
            bound_log = min(bound_log, sol.bound)
        outcome = x.decode(sol.x, problem.radix)
        gains = problem.utilities(outcome) - rho
        if gains.min() < -ACCEPT_TOL:
            # outside the acceptable set by the solver's tolerance: solve on with a margin
            info["resolved_with_margin"] = margin = SAFETY_MARGIN
            continue
        log_value = float(np.log(gains).sum()) if gains.min() > 0 else -math.inf
        if log_value > best_log:
            best_log, best_outcome = log_value, outcome
        if sol.status == "optimal" and bound_log - best_log <= NASH_LOG_TOL:
            exact = True
            break
        new = False
        for g in range(g_count):
            c = float(max(gains[g], CUT_MIN))
            if all(abs(c - old) > 1e-12 * c for old in cuts[g]):
                cuts[g].append(c)
                new = True
        if not new:
            break
    info["rounds"] = rounds
    info["log_value"] = best_log
    info["log_bound"] = bound_log
    value = math.exp(best_log) if best_log > -math.inf else 0.0
    return _oracle_result(problem, value, best_outcome, exact, math.exp(min(bound_log, 700)), started, info)


# -- Kalai-Smorodinsky ------------------------------------------------------------------------------


def ideal_point(problem: OracleProblem, time_budget: float) -> tuple[np.ndarray | None, bool, dict]:
    """Each group's best utility over outcomes every group accepts (None: there are none)."""
    deadline = time.perf_counter() + time_budget
    ideal = np.zeros(problem.n_groups)
    exact = True
    nodes = 0
    for g in range(problem.n_groups):
        model = Model()
        x = _x(model, problem)
        model.cost[0] = x.q[g].copy()
        _accept_all(model, problem, x, 0.0, range(problem.n_groups))
        sol = model.solve(max(deadline - time.perf_counter(), 0.01))
        nodes += sol.nodes
        if sol.status == "infeasible":
            return None, True, {"nodes": nodes}
        if sol.x is None:
            return None, False, {"nodes": nodes, "solver": sol.message}
        found = problem.utilities(x.decode(sol.x, problem.radix))[g]
        exact = exact and sol.status == "optimal" and sol.bound - found <= EXACT_TOL
        # the bound, not the point found, is what makes the KS scaling certain; they agree when exact
        ideal[g] = found if exact else min(sol.bound, 1.0)
    return ideal, exact, {"nodes": nodes}
