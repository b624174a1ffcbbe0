"""Certified oracles on discrete spaces: the best outcomes an honest process could reach.

Build an `OracleProblem` (from a Game, a Scenario, or arrays), then ask an oracle:

    from dialectic.oracles import OracleProblem, maxmin_oracle
    result = maxmin_oracle(OracleProblem.from_scenario(scenario), time_budget=10)
    result.value, result.outcome, result.status, result.bound, result.gap, result.method

Every oracle returns an `OracleResult`: the value, an outcome attaining it (a tuple of option
indices; None for no deal), status "exact" or "bound" (the optimum lies in [value, bound]), and the
method: "enumeration" (vectorised, chunked scan of the space), "milp" (HiGHS through scipy, gap 0,
status checked) or "bnb" (branch and bound over issues with Lagrangian bounds, for max-min).
Continuous spaces give a `ContinuousProblem`, solved by "convex" programmes (cutting planes with a
certified bound; the result's `point` is the real optimum, its `outcome` the nearest lattice point)
or by "enumeration" of the lattice.
"""

from dialectic.oracles._continuous import ContinuousProblem
from dialectic.oracles._problem import OracleProblem
from dialectic.oracles._result import FrontierPoint, OracleResult, ParetoFrontier
from dialectic.oracles._solve import (
    DEFAULT_BUDGET,
    ENUMERATION_CELLS,
    OBJECTIVES,
    as_problem,
    choose_method,
    is_pareto_dominated,
    kalai_smorodinsky,
    maxmin_oracle,
    maxmin_unconstrained,
    nash_optimum,
    pareto_frontier,
    solve,
    utilitarian_optimum,
)
from dialectic.rules import ACCEPT_TOL, Rule

__all__ = [
    "ACCEPT_TOL",
    "DEFAULT_BUDGET",
    "ENUMERATION_CELLS",
    "OBJECTIVES",
    "ContinuousProblem",
    "FrontierPoint",
    "OracleProblem",
    "OracleResult",
    "ParetoFrontier",
    "Rule",
    "as_problem",
    "choose_method",
    "is_pareto_dominated",
    "kalai_smorodinsky",
    "maxmin_oracle",
    "maxmin_unconstrained",
    "nash_optimum",
    "pareto_frontier",
    "solve",
    "utilitarian_optimum",
]
