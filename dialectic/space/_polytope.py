"""Exact geometry of a continuous domain: a box [low, high], optionally cut by sum(x) = total.

Used by the scenario checks, the reward normalisation and the distance D, so every figure is
computed one way. Everything here is exact up to floating point (closed forms and finite
enumerations, no iterative solver):

- the domain's vertices (a box's corners; on the hyperplane, points with every coordinate but one
  at a bound), its diameter (the largest distance between two vertices: |x - y|^2 is convex, so its
  maximum over the polytope x polytope is at a pair of vertices);
- the extremes of a linear function (greedy filling when there is a total);
- the maximum of a separable concave quadratic sum_i (b_i x_i - q_i x_i^2) (water-filling on the
  multiplier of the sum, solved exactly between the sorted breakpoints), and its minimum (at a
  vertex: the function is concave);
- the same maximum on the step lattice (greedy marginal allocation, exact for separable concave
  functions of integer steps).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import cached_property

import numpy as np

#: Most issues a domain with a total may have: its vertices are enumerated (issues x 2^(issues-1)).
MAX_SIMPLEX_ISSUES = 16
#: Two sums are equal when they differ by at most this, relative to the scale of the domain.
SUM_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Domain:
    low: np.ndarray
    high: np.ndarray
    total: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", np.asarray(self.low, dtype=np.float64).reshape(-1))
        object.__setattr__(self, "high", np.asarray(self.high, dtype=np.float64).reshape(-1))
        if self.low.shape != self.high.shape or np.any(self.high < self.low):
            raise ValueError("a domain needs low <= high, one pair per issue")
        if self.total is not None:
            if self.n > MAX_SIMPLEX_ISSUES:
                raise ValueError(f"a domain with a total has at most {MAX_SIMPLEX_ISSUES} issues")
            if not self.low.sum() - self.tol <= self.total <= self.high.sum() + self.tol:
                raise ValueError(f"total {self.total} is outside [{self.low.sum()}, {self.high.sum()}]")

    @property
    def n(self) -> int:
        return len(self.low)

    @property
    def tol(self) -> float:
        return SUM_TOL * max(1.0, float(np.abs(self.high).sum()), float(np.abs(self.low).sum()))

    def contains(self, x: np.ndarray, tol: float | None = None) -> bool:
        tol = self.tol if tol is None else tol
        x = np.asarray(x, dtype=np.float64)
        inside = bool(np.all(x >= self.low - tol) and np.all(x <= self.high + tol))
        return inside and (self.total is None or abs(float(x.sum()) - self.total) <= tol)

    # -- vertices and diameter ----------------------------------------------------------------------

    @cached_property
    def vertices(self) -> np.ndarray:
        """(v, n) distinct vertices of the domain."""
        n = self.n
        if self.total is None:
            bits = (np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1
            corners = np.where(bits == 1, self.high[None, :], self.low[None, :])
            return np.unique(corners, axis=0)
        found = []
        others = n - 1
        bits = (np.arange(1 << others)[:, None] >> np.arange(others)[None, :]) & 1
        for free in range(n):
            rest = [i for i in range(n) if i != free]
            at_bounds = np.where(bits == 1, self.high[rest][None, :], self.low[rest][None, :])
            value = self.total - at_bounds.sum(axis=1)
            ok = (value >= self.low[free] - self.tol) & (value <= self.high[free] + self.tol)
            points = np.empty((int(ok.sum()), n))
            points[:, rest] = at_bounds[ok]
            points[:, free] = np.clip(value[ok], self.low[free], self.high[free])
            found.append(points)
        points = np.concatenate(found)
        # Near-duplicates (a coordinate at a bound computed two ways) collapse on a fine rounding.
        _, keep = np.unique(np.round(points / max(self.tol, 1e-300)), axis=0, return_index=True)
        return points[np.sort(keep)]

    @cached_property
    def diameter(self) -> float:
        """Largest Euclidean distance between two points of the domain."""
        if self.total is None:
            return float(np.linalg.norm(self.high - self.low))
        v = self.vertices
        best = 0.0
        for start in range(0, len(v), 512):
            block = v[start:start + 512]
            squared = ((block[:, None, :] - v[None, :, :]) ** 2).sum(axis=2)
            best = max(best, float(squared.max()))
        return float(np.sqrt(best))

    # -- linear functions -------------------------------------------------------------------------

    def linear_max(self, c: np.ndarray) -> tuple[float, np.ndarray]:
        """max c.x over the domain and a maximiser (a vertex)."""
        c = np.asarray(c, dtype=np.float64)
        if self.total is None:
            x = np.where(c > 0, self.high, self.low)
            return float(c @ x), x
        # Start every issue at its low end and spend the rest of the total on the best issues first.
        x = self.low.copy()
        left = self.total - float(self.low.sum())
        for i in np.argsort(-c, kind="stable"):
            take = min(self.high[i] - self.low[i], max(left, 0.0))
            x[i] += take
            left -= take
        return float(c @ x), x

    def linear_min(self, c: np.ndarray) -> tuple[float, np.ndarray]:
        value, x = self.linear_max(-np.asarray(c, dtype=np.float64))
        return -value, x

    # -- separable concave quadratics: f(x) = sum_i (b_i x_i - q_i x_i^2), q >= 0 -------------------

    def quadratic_max(self, b: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray]:
        """max f over the domain and its maximiser."""
        b, q = np.asarray(b, dtype=np.float64), np.asarray(q, dtype=np.float64)
        if self.total is None:
            x = np.array([_best_on_interval(bi, qi, lo, hi)
                          for bi, qi, lo, hi in zip(b, q, self.low, self.high, strict=True)])
        else:
            x = _water_fill(b, q, self.low, self.high, self.total)
        return float(b @ x - q @ (x * x)), x

    def quadratic_min(self, b: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray]:
        """min f over the domain (f is concave: at a vertex) and a minimiser."""
        b, q = np.asarray(b, dtype=np.float64), np.asarray(q, dtype=np.float64)
        if self.total is None:  # separable on a box: each coordinate at its worse end
            ends = np.stack([self.low, self.high])
            values = b * ends - q * ends**2
            x = ends[np.argmin(values, axis=0), np.arange(self.n)]
            return float(b @ x - q @ (x * x)), x
        v = self.vertices
        values = v @ b - (v * v) @ q
        k = int(np.argmin(values))
        return float(values[k]), v[k]


def _best_on_interval(b: float, q: float, low: float, high: float) -> float:
    if q > 0:
        return float(np.clip(b / (2 * q), low, high))
    return high if b > 0 else low


def _water_fill(b: np.ndarray, q: np.ndarray, low: np.ndarray, high: np.ndarray, total: float) -> np.ndarray:
    """argmax sum_i (b_i x_i - q_i x_i^2) s.t. low <= x <= high, sum x = total, by its KKT conditions.

    With multiplier nu on the sum, x_i(nu) = argmax over [low_i, high_i] of (b_i - nu) x - q_i x^2:
    clip((b_i - nu) / (2 q_i)) where q_i > 0, an end where q_i = 0 (anything at nu = b_i). S(nu) =
    sum_i x_i(nu) is non-increasing; bisection brackets the nu* with S = total to adjacent floats, and
    the total is met on the segment between the two bracketing points (which differ only where a
    linear issue sits exactly at nu*, or by a rounding), so the result satisfies the KKT conditions to
    floating point.
    """
    curved = q > 0
    safe_q = np.where(curved, q, 1.0)

    def x_at(nu: float) -> np.ndarray:
        # A tiny curvature overflows the quotient to +-inf, which the clip maps to the bound it tends to: the
        # right x_i, so the overflow is not worth a warning (the fuzzer found q = 1e-300).
        with np.errstate(over="ignore"):
            free = (b - nu) / (2 * safe_q)
        return np.where(curved, np.clip(free, low, high), np.where(b > nu, high, low))

    ends = np.concatenate([b - 2 * q * high, b - 2 * q * low, b])
    nu_lo, nu_hi = float(ends.min()) - 1.0, float(ends.max()) + 1.0  # S(nu_lo) = sum high, S(nu_hi) = sum low
    for _ in range(200):
        mid = 0.5 * (nu_lo + nu_hi)
        if mid in (nu_lo, nu_hi):
            break
        if x_at(mid).sum() >= total:
            nu_lo = mid
        else:
            nu_hi = mid
    under, over = x_at(nu_hi), x_at(nu_lo)
    spread = float((over - under).sum())
    share = 0.0 if spread <= 0 else min(max((total - float(under.sum())) / spread, 0.0), 1.0)
    return _fill_between(under + share * (over - under), low, high, total)


def _fill_between(x: np.ndarray, low: np.ndarray, high: np.ndarray, total: float) -> np.ndarray:
    """Remove a rounding residue of sum(x) - total (about 1e-16) on coordinates away from their bounds."""
    x = np.clip(x, low, high)
    residue = total - float(x.sum())
    for i in np.argsort(-(np.minimum(x - low, high - x))):
        if residue == 0:
            break
        new = float(np.clip(x[i] + residue, low[i], high[i]))
        residue -= new - x[i]
        x[i] = new
    return x


def lattice_quadratic_max(
    b: np.ndarray, q: np.ndarray, low: np.ndarray, counts: np.ndarray, step: np.ndarray, units: int | None,
) -> tuple[float, np.ndarray]:
    """max of sum_i (b_i x_i - q_i x_i^2) over lattice points x_i = low_i + k_i step_i, 0 <= k_i <= counts_i,
    and sum k_i = units when `units` is given (a total with one step for every issue); returns the
    value and the k. Exact: with a total, greedy marginal allocation is optimal for separable concave
    functions of integer steps; without one, each issue independently."""
    b, q, low, step = (np.asarray(a, dtype=np.float64) for a in (b, q, low, step))
    counts = np.asarray(counts, dtype=np.int64)

    def f(i: int, k: int) -> float:
        x = low[i] + k * step[i]
        return float(b[i] * x - q[i] * x * x)

    if units is None:
        k = np.empty(len(b), dtype=np.int64)
        for i in range(len(b)):
            if q[i] > 0:
                centre = (b[i] / (2 * q[i]) - low[i]) / step[i]
                near = {int(np.clip(np.floor(centre), 0, counts[i])), int(np.clip(np.ceil(centre), 0, counts[i]))}
            else:
                near = {0, int(counts[i])}
            values = {j: f(i, j) for j in sorted(near)}
            k[i] = max(values, key=values.__getitem__)
    else:
        k = np.zeros(len(b), dtype=np.int64)
        heap = [(-(f(i, 1) - f(i, 0)), i) for i in range(len(b)) if counts[i] > 0]
        heapq.heapify(heap)
        for _ in range(units):
            _, i = heapq.heappop(heap)
            k[i] += 1
            if k[i] < counts[i]:
                heapq.heappush(heap, (-(f(i, int(k[i]) + 1) - f(i, int(k[i]))), i))
    return float(sum(f(i, int(k[i])) for i in range(len(b)))), k
