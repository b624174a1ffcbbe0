"""Concave maximisation over a continuous domain with a certified bound: Kelley's cutting planes.

A linear programme (HiGHS through scipy.optimize.linprog, status checked) over the domain with
tangent cuts of every concave function contains the true feasible set, so its optimum is an upper
bound; every LP point, and an SLSQP polish of the best one, is evaluated exactly and, when feasible,
gives the lower bound. Cuts at the polished point make the LP tight (at an optimum x*, the programme
linearised at x* has x* as an optimum: same KKT conditions), so the gap closes in a few rounds.
Linear functions need no cuts: their rows are exact. Used by dialectic/oracles/_convex.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog, minimize

from dialectic.oracles._continuous import ContinuousProblem
from dialectic.rules import ACCEPT_TOL
from dialectic.space._polytope import Domain

#: The cutting planes stop once the gap is at most this.
TARGET_GAP = 1e-9
#: A constraint h(x) >= 0 counts as met when h(x) >= -FEAS_TOL (as a group accepts: ACCEPT_TOL).
FEAS_TOL = ACCEPT_TOL
MAX_ITERATIONS = 400
_HIGHS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


@dataclass(frozen=True)
class Rows:
    """Separable concave quadratics h_k(x) = B[k].x - Q[k].(x*x) + C[k], one per row."""

    B: np.ndarray
    Q: np.ndarray
    C: np.ndarray

    @classmethod
    def of(cls, problem: ContinuousProblem, groups: Sequence[int] | np.ndarray | None = None,
           scale: np.ndarray | None = None, offset: np.ndarray | None = None) -> Rows:
        """scale * u_g + offset for the chosen groups (default: all, scale 1, offset 0)."""
        idx = np.arange(problem.n_groups) if groups is None else np.asarray(groups, dtype=np.int64)
        a = np.ones(len(idx)) if scale is None else np.asarray(scale, dtype=np.float64)
        o = np.zeros(len(idx)) if offset is None else np.asarray(offset, dtype=np.float64)
        return cls(problem.b[idx] * a[:, None], problem.q[idx] * a[:, None], problem.c[idx] * a + o)

    @classmethod
    def empty(cls, n: int) -> Rows:
        return cls(np.zeros((0, n)), np.zeros((0, n)), np.zeros(0))

    def __len__(self) -> int:
        return len(self.C)

    def values(self, x: np.ndarray) -> np.ndarray:
        return self.B @ x - self.Q @ (x * x) + self.C

    def gradients(self, x: np.ndarray) -> np.ndarray:
        return self.B - 2 * self.Q * x[None, :]

    @property
    def curved(self) -> np.ndarray:
        return np.any(self.Q > 0, axis=1)


@dataclass(frozen=True)
class Solution:
    """Best feasible value found (-inf: none) and its point; `bound` >= the optimum (-inf: the set
    is certified empty)."""

    value: float
    bound: float
    x: np.ndarray | None
    iterations: int = 0

    @property
    def gap(self) -> float:
        return max(self.bound - self.value, 0.0) if self.x is not None else math.inf


class _Cuts:
    """The LP's inequality rows A y <= rhs, grown by tangent cuts."""

    def __init__(self, width: int):
        self.rows: list[np.ndarray] = []
        self.rhs: list[float] = []
        self.width = width

    def add(self, row: np.ndarray, rhs: float) -> None:
        self.rows.append(row)
        self.rhs.append(rhs)

    def arrays(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        if not self.rows:
            return None, None
        return np.array(self.rows), np.array(self.rhs)


def _solve_lp(objective: np.ndarray, cuts: _Cuts, domain: Domain, bounds: list[tuple[float, float]]):
    """maximise objective.y; returns (status, value, y): status 0 optimal, 2 infeasible, else trouble."""
    a_ub, b_ub = cuts.arrays()
    a_eq = b_eq = None
    if domain.total is not None:
        a_eq = np.zeros((1, cuts.width))
        a_eq[0, :domain.n] = 1.0
        b_eq = np.array([domain.total])
    res = linprog(-objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs",
                  options=_HIGHS)
    if res.status != 0:
        return res.status, math.nan, None
    return 0, -float(res.fun), np.asarray(res.x, dtype=np.float64)


def _inside(domain: Domain, x: np.ndarray) -> np.ndarray:
    """x pulled onto the domain (bounds exactly, the total to rounding) from a solver's answer."""
    x = np.clip(x, domain.low, domain.high)
    if domain.total is not None:
        residue = domain.total - float(x.sum())
        room = np.where(residue > 0, domain.high - x, x - domain.low)
        if room.sum() > 0:
            x = np.clip(x + residue * room / room.sum(), domain.low, domain.high)
    return x


def _slsqp(y0: np.ndarray, objective: Callable, gradient: Callable, cons: list[dict], domain: Domain,
           extra_bounds: list[tuple[float, float]] | None = None) -> np.ndarray | None:
    bounds = list(zip(domain.low, domain.high, strict=True)) + (extra_bounds or [])
    try:
        res = minimize(objective, y0, jac=gradient, bounds=bounds, constraints=cons, method="SLSQP",
                       options={"ftol": 1e-15, "maxiter": 300})
    except (ValueError, FloatingPointError):  # pragma: no cover - defensive: a failed polish is skipped
        return None
    y = np.asarray(res.x, dtype=np.float64)
    return y if np.all(np.isfinite(y)) else None


def maximise_min(domain: Domain, objective: Rows, constraints: Rows, *, cutoff: float = -math.inf,
                 deadline: float = math.inf, start: Sequence[np.ndarray] = (), tolerance: float = FEAS_TOL,
                 ) -> Solution:
    """max over x in domain with constraints(x) >= -tolerance of min_k objective_k(x), by cutting planes.

    With constraints, their centre (the point maximising the smallest constraint) is found first: if
    even it violates them, the set is empty (certified when its bound is below -tolerance). Every
    candidate point is then pulled toward the centre just far enough to meet the constraints (they
    are concave, so the segment's values lie above the chord), so the reported point meets them.
    Returns early once the bound is at or below `cutoff` (the caller already has that value)."""
    n = domain.n
    centre: np.ndarray | None = None
    if len(constraints):
        slack = maximise_min(domain, constraints, Rows.empty(n), deadline=deadline, start=start)
        if slack.x is None or slack.value < -tolerance:
            return Solution(-math.inf, -math.inf if slack.bound < -tolerance else math.inf, None, slack.iterations)
        centre = slack.x
    width = n + 1
    cuts = _Cuts(width)
    top = min(domain.quadratic_max(objective.B[k], objective.Q[k])[0] + objective.C[k] for k in range(len(objective)))
    floor = min(domain.quadratic_min(objective.B[k], objective.Q[k])[0] + objective.C[k]
                for k in range(len(objective)))
    bounds = list(zip(domain.low.tolist(), domain.high.tolist(), strict=True)) + [(floor - 1.0, top)]
    lp_objective = np.zeros(width)
    lp_objective[n] = 1.0

    def cut_objective(k: int, x: np.ndarray) -> None:  # h_k(x0) + grad.(x - x0) >= t
        grad = objective.gradients(x)[k]
        row = np.concatenate([-grad, [1.0]])
        cuts.add(row, float(objective.values(x)[k] - grad @ x))

    def cut_constraint(j: int, x: np.ndarray) -> None:  # h_j(x0) + grad.(x - x0) >= 0
        grad = constraints.gradients(x)[j]
        cuts.add(np.concatenate([-grad, [0.0]]), float(constraints.values(x)[j] - grad @ x))

    for k in np.flatnonzero(~objective.curved).tolist():
        cut_objective(int(k), np.zeros(n))  # exact for a linear row
    for j in np.flatnonzero(~constraints.curved):
        cut_constraint(int(j), np.zeros(n))
    seeds = [np.asarray(x, dtype=np.float64) for x in start] + [domain.vertices.mean(axis=0)]
    seeds += [domain.quadratic_max(objective.B[k], objective.Q[k])[1] for k in np.flatnonzero(objective.curved)]
    if centre is not None:
        seeds.append(centre)
    for x in seeds:
        _cut_all(x, objective, constraints, cut_objective, cut_constraint)

    def feasible(x: np.ndarray) -> np.ndarray | None:
        """x, or x moved toward the centre until the constraints hold; None if that fails."""
        x = _inside(domain, x)
        if centre is None:
            return x
        h = constraints.values(x)
        if h.min() >= -tolerance:
            return x
        at_centre = constraints.values(centre)
        low = h < 0
        theta = float(np.max(-h[low] / np.maximum(at_centre[low] - h[low], 1e-300)))
        for step in (theta, min(1.0, theta * (1 + 1e-9) + 1e-15), 1.0):
            moved = x + min(step, 1.0) * (centre - x)
            if constraints.values(moved).min() >= -tolerance:
                return moved
        return None

    best, best_x = -math.inf, None

    def consider(x: np.ndarray | None) -> None:
        nonlocal best, best_x
        point = None if x is None else feasible(x)
        if point is not None:
            v = float(objective.values(point).min())
            if v > best:
                best, best_x = v, point

    for x in seeds:
        consider(x)
    bound = top
    iterations = 0
    for iterations in range(1, MAX_ITERATIONS + 1):
        status, lp_value, y = _solve_lp(lp_objective, cuts, domain, bounds)
        if status == 2:
            return Solution(best, -math.inf, None, iterations) if best_x is None else Solution(
                best, best, best_x, iterations)
        if status != 0 or y is None:
            break
        bound = min(bound, lp_value)
        consider(y[:n])
        if bound <= cutoff or bound - best <= TARGET_GAP or time.perf_counter() > deadline:
            break
        if iterations & (iterations - 1) == 0 or iterations % 16 == 0:  # polish at 1, 2, 4, 8, 16, 32, 48, ...
            polished = _polish_maxmin(domain, objective, constraints, best_x if best_x is not None else y[:n])
            if polished is not None:
                consider(polished)
                _cut_all(polished, objective, constraints, cut_objective, cut_constraint)
        t = y[n]
        violated_obj = np.flatnonzero(objective.curved & (objective.values(y[:n]) < t - 1e-13))
        violated_con = np.flatnonzero(constraints.curved & (constraints.values(y[:n]) < -1e-13))
        for row in violated_obj.tolist():
            cut_objective(row, y[:n])
        for row in violated_con.tolist():
            cut_constraint(row, y[:n])
        if not len(violated_obj) and not len(violated_con):
            break  # the LP point meets the exact programme: its value is the optimum
    if best_x is not None:
        bound = max(bound, best)
    return Solution(best, bound, best_x, iterations)


def _cut_all(x: np.ndarray, objective: Rows, constraints: Rows, cut_objective: Callable,
             cut_constraint: Callable) -> None:
    for k in np.flatnonzero(objective.curved).tolist():
        cut_objective(int(k), x)
    for j in np.flatnonzero(constraints.curved):
        cut_constraint(int(j), x)


def _polish_maxmin(domain: Domain, objective: Rows, constraints: Rows, x0: np.ndarray) -> np.ndarray | None:
    n = domain.n
    y0 = np.concatenate([x0, [float(objective.values(x0).min())]])
    cons = [{"type": "ineq", "fun": lambda y: objective.values(y[:n]) - y[n],
             "jac": lambda y: np.column_stack([objective.gradients(y[:n]), -np.ones(len(objective))])}]
    if len(constraints):
        cons.append({"type": "ineq", "fun": lambda y: constraints.values(y[:n]),
                     "jac": lambda y: np.column_stack([constraints.gradients(y[:n]), np.zeros(len(constraints))])})
    unit = np.zeros(n + 1)
    unit[n] = -1.0
    y = _slsqp(y0, lambda y: -y[n], lambda y: unit, cons + _total_constraint(domain, n + 1), domain,
               [(-math.inf, math.inf)])
    return None if y is None else _inside(domain, y[:n])


def _total_constraint(domain: Domain, width: int) -> list[dict]:
    if domain.total is None:
        return []
    n = domain.n
    row = np.concatenate([np.ones(n), np.zeros(width - n)])[None, :]
    return [{"type": "eq", "fun": lambda y: np.array([y[:n].sum() - domain.total]), "jac": lambda y: row}]


def maximise_log_sum(domain: Domain, gains: Rows, low: np.ndarray, high: np.ndarray, *,
                     deadline: float = math.inf, start: Sequence[np.ndarray] = ()) -> Solution:
    """max over x in domain of sum_k log(gains_k(x)), where an optimum has low_k <= gains_k(x) <= high_k
    (low > 0: the caller's bounds), by cutting planes on (x, s, z): s_k <= gains_k(x), z_k <= log s_k,
    maximise sum z. Values and bounds are in log units."""
    n, m = domain.n, len(gains)
    width = n + 2 * m
    cuts = _Cuts(width)
    s_at, z_at = n + np.arange(m), n + m + np.arange(m)
    bounds = (list(zip(domain.low.tolist(), domain.high.tolist(), strict=True))
              + list(zip(low.tolist(), high.tolist(), strict=True))
              + list(zip(np.log(low).tolist(), np.log(high).tolist(), strict=True)))
    lp_objective = np.zeros(width)
    lp_objective[z_at] = 1.0

    def cut_gain(k: int, x: np.ndarray) -> None:  # gains_k(x0) + grad.(x - x0) >= s_k
        grad = gains.gradients(x)[k]
        row = np.zeros(width)
        row[:n], row[s_at[k]] = -grad, 1.0
        cuts.add(row, float(gains.values(x)[k] - grad @ x))

    def cut_log(k: int, s: float) -> None:  # log s0 + (s - s0) / s0 >= z_k
        row = np.zeros(width)
        row[s_at[k]], row[z_at[k]] = -1.0 / s, 1.0
        cuts.add(row, math.log(s) - 1.0)

    for k in range(m):
        if not gains.curved[k]:
            cut_gain(k, np.zeros(n))
        for s in np.geomspace(low[k], high[k], 8):
            cut_log(k, float(s))

    def value(x: np.ndarray) -> float:
        g = gains.values(x)
        return float(np.log(g).sum()) if g.min() > 0 else -math.inf

    def polish(x0: np.ndarray) -> np.ndarray | None:
        floor = np.asarray(low, dtype=np.float64)
        cons = [{"type": "ineq", "fun": lambda x: gains.values(x) - floor, "jac": lambda x: gains.gradients(x)}]
        y = _slsqp(x0, lambda x: -float(np.log(np.maximum(gains.values(x), 1e-300)).sum()),
                   lambda x: -(gains.gradients(x) / np.maximum(gains.values(x), 1e-300)[:, None]).sum(axis=0),
                   cons + _total_constraint(domain, n), domain)
        return None if y is None else _inside(domain, y)

    best, best_x = -math.inf, None
    for x in start:
        x = _inside(domain, np.asarray(x, dtype=np.float64))
        if value(x) > best:
            best, best_x = value(x), x
        for k in np.flatnonzero(gains.curved).tolist():
            cut_gain(int(k), x)
    bound = float(np.log(high).sum())
    iterations = 0
    for iterations in range(1, MAX_ITERATIONS + 1):
        status, lp_value, y = _solve_lp(lp_objective, cuts, domain, bounds)
        if status != 0 or y is None:
            break
        bound = min(bound, lp_value)
        x = _inside(domain, y[:n])
        if value(x) > best:
            best, best_x = value(x), x
        if math.exp(bound) - math.exp(best) <= TARGET_GAP * 1e-3 or bound - best <= TARGET_GAP \
                or time.perf_counter() > deadline:
            break
        if best_x is not None and (iterations & (iterations - 1) == 0 or iterations % 16 == 0):
            polished = polish(best_x)
            if polished is not None:
                if value(polished) > best:
                    best, best_x = value(polished), polished
                for k in np.flatnonzero(gains.curved).tolist():
                    cut_gain(int(k), polished)
                for k, s in enumerate(gains.values(polished)):
                    if s > 0:
                        cut_log(k, float(np.clip(s, low[k], high[k])))
        added = False
        for k in np.flatnonzero(gains.curved & (gains.values(y[:n]) < y[s_at] - 1e-13)).tolist():
            cut_gain(int(k), y[:n])
            added = True
        for k in np.flatnonzero(y[z_at] > np.log(y[s_at]) + 1e-13).tolist():
            cut_log(int(k), float(y[s_at[k]]))
            added = True
        if not added:
            break
    if best_x is not None:
        bound = max(bound, best)
    return Solution(best, bound, best_x, iterations)
