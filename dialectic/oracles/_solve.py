"""The public oracles and the dispatcher that picks a method for each problem.

method "auto": enumeration when the space is small enough to scan (outcomes x groups at most
ENUMERATION_CELLS, or a dense utility matrix, which is scanned as it is); otherwise, for additive
rewards, branch and bound for the max-min objectives (maxmin, maxmin_unconstrained, the
Kalai-Smorodinsky point) and the HiGHS MILP for the rest. For maxmin and maxmin_unconstrained,
when enumerating would fit the time budget (at ENUMERATION_RATE), branch and bound gets half of
that estimate and enumeration settles what it leaves open (unstructured points and many groups are
where enumeration wins). Table rewards on spaces too large to
hold as a matrix are refused when the problem is built (`OracleProblem.from_scenario`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from dialectic.oracles import _bnb, _convex, _enumerate, _milp
from dialectic.oracles._continuous import ContinuousProblem
from dialectic.oracles._problem import OracleProblem
from dialectic.oracles._result import OracleResult, ParetoFrontier

#: Largest outcomes x groups that "auto" enumerates: about 0.5-1 s at the ~1e9 cells/s measured on
#: 2 cores (10^6 outcomes x 100 groups is 1e8 cells).
ENUMERATION_CELLS = 500_000_000
#: Enumeration throughput assumed by "auto" (outcomes x groups per second; ~1e9 measured on 2 cores).
ENUMERATION_RATE = 1e9
#: Default time budget (seconds) of a solver call.
DEFAULT_BUDGET = 60.0

Objective = Literal[
    "maxmin", "maxmin_unconstrained", "utilitarian", "nash", "kalai_smorodinsky", "pareto_improvement",
]
Method = Literal["auto", "enumeration", "milp", "bnb", "convex"]
OBJECTIVES: tuple[str, ...] = (
    "maxmin", "maxmin_unconstrained", "utilitarian", "nash", "kalai_smorodinsky", "pareto_improvement",
)
_MAXMIN_KIND = {"maxmin", "maxmin_unconstrained", "kalai_smorodinsky"}


def as_problem(source: Any) -> OracleProblem | ContinuousProblem:
    """An OracleProblem from itself, a Game (its exact utility matrix) or a Scenario; a
    ContinuousProblem for a continuous space."""
    if isinstance(source, OracleProblem | ContinuousProblem):
        return source
    from dialectic.game import Game
    from dialectic.scenario import Scenario

    if isinstance(source, Game):
        return OracleProblem.from_game(source)
    if isinstance(source, Scenario):
        return OracleProblem.from_scenario(source)
    raise TypeError(f"expected an OracleProblem, Game or Scenario, found {type(source).__name__}")


def enumerable(problem: OracleProblem, cells: float | None = None) -> bool:
    """Does "auto" enumerate this problem (a dense matrix, or at most `cells` outcomes x groups)?"""
    limit = ENUMERATION_CELLS if cells is None else cells
    return problem.matrix is not None or problem.size * problem.n_groups <= limit


def choose_method(problem: OracleProblem | ContinuousProblem, objective: str, method: str = "auto") -> str:
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if isinstance(problem, ContinuousProblem):
        if method not in ("auto", "convex", "enumeration"):
            raise ValueError(f"a continuous space's oracles are 'convex' (auto) or 'enumeration', not {method!r}")
        return "enumeration" if method == "enumeration" else "convex"
    if method == "auto":
        if enumerable(problem):
            return "enumeration"
        if problem.points is None:  # pragma: no cover - a dense problem is always enumerable
            raise ValueError("table rewards on a space this large cannot be solved")
        return "bnb" if objective in _MAXMIN_KIND else "milp"
    if method == "enumeration":
        if problem.matrix is None and problem.size > 1 << 40:
            raise ValueError(f"a space of {problem.size:.3g} outcomes is too large to enumerate")
        return method
    if method in ("milp", "bnb"):
        if problem.points is None:
            raise ValueError(
                f"method {method!r} needs additive rewards; this problem has table rewards, use 'enumeration'"
            )
        if method == "bnb" and objective not in _MAXMIN_KIND:
            raise ValueError(f"method 'bnb' solves {sorted(_MAXMIN_KIND)}, not {objective!r}")
        return method
    raise ValueError(f"unknown method {method!r}; expected auto, enumeration, milp or bnb")


def solve(
    problem: Any, objective: str, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET,
    reference: Sequence[float] | np.ndarray | None = None,
) -> OracleResult:
    """Run one oracle. `reference` (utilities per group) is for objective "pareto_improvement".
    A continuous problem is solved by convex programmes ("auto"), or on its lattice ("enumeration")."""
    problem = as_problem(problem)
    if isinstance(problem, ContinuousProblem):
        ref = None if reference is None else np.asarray(reference, dtype=np.float64)
        return _convex.solve(problem, objective, method=method, time_budget=time_budget, reference=ref)
    chosen = choose_method(problem, objective, method)
    if method == "auto" and chosen == "bnb" and objective in ("maxmin", "maxmin_unconstrained"):
        # Branch and bound first, for part of the time enumeration would take; if that does not
        # settle it and enumeration fits the budget, enumerate (hard instances with many groups).
        estimate = problem.size * problem.n_groups / ENUMERATION_RATE
        if estimate <= time_budget:
            started = time.perf_counter()
            result = solve(problem, objective, method="bnb", time_budget=min(time_budget, estimate) / 2)
            if result.exact:
                return result
            if time.perf_counter() - started + estimate <= time_budget:
                exact = solve(problem, objective, method="enumeration")
                exact.info["bnb_first"] = {"seconds": result.seconds, "gap": result.gap}
                return exact
            return result
    if objective == "pareto_improvement":
        if reference is None:
            raise ValueError("objective 'pareto_improvement' needs a reference utility vector")
        ref = np.asarray(reference, dtype=np.float64)
        if chosen == "enumeration":
            return _enumerate.pareto_improvement(problem, ref)
        return _milp.pareto_improvement(problem, ref, time_budget)
    if objective == "kalai_smorodinsky":
        return _kalai_smorodinsky(problem, chosen, time_budget)
    if chosen == "enumeration":
        return {
            "maxmin": _enumerate.maxmin_oracle,
            "maxmin_unconstrained": _enumerate.maxmin_unconstrained,
            "utilitarian": _enumerate.utilitarian_optimum,
            "nash": _enumerate.nash_optimum,
        }[objective](problem)
    if chosen == "bnb":
        if objective == "maxmin":
            result = _bnb.maxmin(problem, constraint="rule", time_budget=time_budget, floor=problem.no_deal_value)
            result.info["no_deal"] = problem.no_deal_value
            return result
        return _bnb.maxmin(problem, constraint="none", time_budget=time_budget)
    return {
        "maxmin": _milp.maxmin_oracle,
        "maxmin_unconstrained": _milp.maxmin_unconstrained,
        "utilitarian": _milp.utilitarian_optimum,
        "nash": _milp.nash_optimum,
    }[objective](problem, time_budget)


def _kalai_smorodinsky(problem: OracleProblem, method: str, time_budget: float) -> OracleResult:
    if method == "enumeration":
        return _enumerate.kalai_smorodinsky(problem)
    started = time.perf_counter()
    if method == "bnb":
        ideal, ideal_exact, info = _bnb.ideal_point(problem, time_budget / 2)
    else:
        ideal, ideal_exact, info = _milp.ideal_point(problem, time_budget / 2)
    if ideal is None:
        return OracleResult(0.0, None, "exact" if ideal_exact else "bound", 0.0 if ideal_exact else math.inf,
                            0.0 if ideal_exact else math.inf, "milp", seconds=time.perf_counter() - started,
                            info={"ideal": None, **info})
    rows, scale, offset = _enumerate.ks_scaling(problem, ideal)
    remaining = max(time_budget - (time.perf_counter() - started), 0.01)
    solver = _bnb.maxmin if method == "bnb" else _milp.maxmin
    result = solver(problem, constraint="all", time_budget=remaining, rows=rows, scale=scale, offset=offset,
                    floor=-1.0)
    status = result.status if ideal_exact else "bound"
    gap = result.gap if ideal_exact else (math.inf if result.gap == 0 else result.gap)
    return OracleResult(
        value=result.value, outcome=result.outcome, status=status, bound=result.value + gap, gap=gap,
        method=result.method, utilities=result.utilities, seconds=time.perf_counter() - started,
        info={**result.info, "ideal": tuple(ideal.tolist()), "ideal_exact": ideal_exact},
    )


# -- the public oracles --------------------------------------------------------------------------------


def maxmin_oracle(problem: Any, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET) -> OracleResult:
    """The best worst-case welfare an honest process could reach: max over outcomes that pass the
    rule when every group accepts exactly what is at or above its reservation of min_g u_g, and at
    least the no-deal value min_g rho_g (outcome None when no deal is at least as good)."""
    return solve(problem, "maxmin", method=method, time_budget=time_budget)


def maxmin_unconstrained(problem: Any, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET) -> OracleResult:
    """max_x min_g u_g(x), ignoring reservations and the rule (the MaxMin-RLHF objective)."""
    return solve(problem, "maxmin_unconstrained", method=method, time_budget=time_budget)


def utilitarian_optimum(problem: Any, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET) -> OracleResult:
    """max sum_g w_g u_g over honestly passing outcomes; none passing: outcome None and the no-deal
    welfare sum_g w_g rho_g."""
    return solve(problem, "utilitarian", method=method, time_budget=time_budget)


def nash_optimum(problem: Any, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET) -> OracleResult:
    """max prod_g (u_g - rho_g) over outcomes every group accepts (these pass any rule); none:
    outcome None, value 0 (the no-deal product)."""
    return solve(problem, "nash", method=method, time_budget=time_budget)


def kalai_smorodinsky(problem: Any, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET) -> OracleResult:
    """The Kalai-Smorodinsky point among outcomes every group accepts: max over them of
    min_g (u_g - rho_g) / (I_g - rho_g), I the ideal point (info["ideal"]); value: that fraction."""
    return solve(problem, "kalai_smorodinsky", method=method, time_budget=time_budget)


def is_pareto_dominated(
    problem: Any, settlement: Sequence[int] | None, *, method: str = "auto", time_budget: float = DEFAULT_BUDGET,
) -> OracleResult:
    """Is there an outcome at least as good as `settlement` for every group and better (by more
    than 1e-9) for one? settlement None: no deal, judged at the reservations. The result's outcome
    is such an improvement, the one with the largest total gain (itself Pareto optimal), or None
    when the settlement is not dominated; value is that total gain (0 when not dominated) and
    info["dominated"] the answer."""
    problem = as_problem(problem)
    if isinstance(problem, ContinuousProblem):
        return _convex.is_pareto_dominated(problem, settlement, method=method, time_budget=time_budget)
    reference = problem.reservations if settlement is None else problem.utilities(tuple(settlement))
    result = solve(problem, "pareto_improvement", method=method, time_budget=time_budget, reference=reference)
    result.info["dominated"] = result.outcome is not None
    return result


def pareto_frontier(
    problem: Any, groups: Sequence[int | str] | None = None, *, method: str = "auto",
    time_budget: float = DEFAULT_BUDGET, max_points: int = 500,
) -> ParetoFrontier:
    """The non-dominated utility vectors of 2 or 3 groups (default: all groups, when there are 2 or
    3) over the whole space, one outcome each, sorted by the first group's utility descending.
    Enumeration for 2 or 3 groups; on spaces too large to scan, the MILP epsilon-constraint method
    for 2 groups (at most max_points points)."""
    problem = as_problem(problem)
    if groups is None:
        groups = list(range(problem.n_groups))
    rows = np.array([problem.group_index(g) for g in groups], dtype=np.int64)
    if len(rows) not in (2, 3) or len(set(rows.tolist())) != len(rows):
        raise ValueError(f"a Pareto frontier is computed for 2 or 3 distinct groups, not {list(groups)}")
    if isinstance(problem, ContinuousProblem):
        return _convex.frontier(problem, rows, method, max_points)
    use_enumeration = method == "enumeration" or (method == "auto" and enumerable(problem))
    if use_enumeration:
        return _enumerate.pareto_frontier(problem, rows)
    if method not in ("auto", "milp"):
        raise ValueError(f"the Pareto frontier is computed by 'enumeration' or 'milp', not {method!r}")
    if problem.points is None:
        raise ValueError("the MILP frontier needs additive rewards")
    if len(rows) != 2:
        raise ValueError(
            f"a 3-group frontier needs enumeration; this space ({problem.size:.3g} outcomes x "
            f"{problem.n_groups} groups) is too large to scan"
        )
    return _milp.pareto_frontier_2(problem, rows, time_budget, max_points)
