"""A small model builder over scipy's HiGHS `milp`, with the solver's status turned into a certificate.

Every solve runs with relative and absolute MIP gap 0, so "optimal" means the branch-and-bound tree
was closed; a time limit leaves a feasible point (maybe) and HiGHS's dual bound. HiGHS prints some
diagnostics straight to the C-level stdout; they are silenced while it runs.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Silence HiGHS's C-level prints on stdout while it solves (file descriptor 1 is redirected for the
#: duration, which also hides other threads' output then; set False to keep it).
QUIET = True
#: Primal and MIP feasibility tolerance given to HiGHS (its defaults are 1e-7 and 1e-6): utilities
#: are in [0, 1], so constraints may be violated by at most this much.
FEASIBILITY_TOL = 1e-9


@dataclass
class Solution:
    status: str  # "optimal" | "time_limit" | "infeasible" | "error"
    x: np.ndarray | None
    objective: float | None  # in the maximisation sense
    bound: float  # upper bound on the maximum (+inf when unknown)
    message: str
    nodes: int
    seconds: float


class Model:
    """Variables and sparse rows for `scipy.optimize.milp`, maximising `cost @ x`."""

    def __init__(self) -> None:
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.n = 0
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._data: list[np.ndarray] = []
        self.row_lb: list[float] = []
        self.row_ub: list[float] = []

    def add(self, count: int, lb: float | np.ndarray = 0.0, ub: float | np.ndarray = 1.0,
            integer: bool = False, cost: float | np.ndarray = 0.0) -> np.ndarray:
        """Add `count` variables; returns their column indices."""
        cols = np.arange(self.n, self.n + count)
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (count,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (count,)).copy())
        self.integer.append(np.full(count, 1 if integer else 0, dtype=np.int8))
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (count,)).copy())
        self.n += count
        return cols

    def row(self, cols: np.ndarray, coefs: np.ndarray, lo: float = -math.inf, hi: float = math.inf) -> None:
        """lo <= coefs @ x[cols] <= hi."""
        k = len(self.row_lb)
        cols = np.asarray(cols, dtype=np.int64)
        self._rows.append(np.full(len(cols), k, dtype=np.int64))
        self._cols.append(cols)
        self._data.append(np.asarray(coefs, dtype=np.float64))
        self.row_lb.append(lo)
        self.row_ub.append(hi)

    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.concatenate(self.lb), np.concatenate(self.ub), np.concatenate(self.integer)

    def solve(self, time_limit: float) -> Solution:
        started = time.perf_counter()
        integer = self._flat()[2]
        res = self._run(integer, time_limit)
        seconds = time.perf_counter() - started
        status = {0: "optimal", 1: "time_limit", 2: "infeasible"}.get(int(res.status), "error")
        x = None if res.x is None else np.asarray(res.x)
        objective = None if res.fun is None or x is None else -float(res.fun)
        dual = getattr(res, "mip_dual_bound", None)
        if dual is not None and np.isfinite(dual):
            bound = -float(dual)
        elif status == "optimal" and objective is not None:
            bound = objective
        elif status == "time_limit":
            # no dual bound reported: the LP relaxation's optimum bounds the programme's
            relaxed = self._run(np.zeros_like(integer), max(time_limit, 1.0))
            bound = -float(relaxed.fun) if relaxed.status == 0 and relaxed.fun is not None else math.inf
        else:
            bound = math.inf
        nodes = int(getattr(res, "mip_node_count", 0) or 0)
        return Solution(status, x, objective, bound, str(res.message), nodes, seconds)

    def _run(self, integrality: np.ndarray, time_limit: float) -> Any:
        """One scipy `milp` call (an OptimizeResult) on this model, HiGHS's output silenced."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_matrix

        lb, ub, _ = self._flat()
        cost = np.concatenate(self.cost)
        constraints = None
        if self.row_lb:
            matrix = csr_matrix(
                (np.concatenate(self._data), (np.concatenate(self._rows), np.concatenate(self._cols))),
                shape=(len(self.row_lb), self.n),
            )
            constraints = LinearConstraint(matrix, np.array(self.row_lb), np.array(self.row_ub))
        options = {
            "mip_rel_gap": 0.0,
            "time_limit": max(float(time_limit), 0.01),
            "presolve": True,
            # passed to HiGHS verbatim (scipy warns that it does so)
            "mip_abs_gap": 0.0,
            "mip_feasibility_tolerance": FEASIBILITY_TOL,
            "primal_feasibility_tolerance": FEASIBILITY_TOL,
        }
        with warnings.catch_warnings(), (_quiet_stdout() if QUIET else contextlib.nullcontext()):
            warnings.filterwarnings("ignore", message="Unrecognized options", category=RuntimeWarning)
            return milp(-cost, integrality=integrality, bounds=Bounds(lb, ub), constraints=constraints,
                        options=options)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to stdout (HiGHS debug lines) for the duration; Python's own stdout is
    flushed first. A no-op where file descriptor 1 cannot be redirected."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)
