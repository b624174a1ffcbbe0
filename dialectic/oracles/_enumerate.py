"""Oracles by enumeration: vectorised over blocks of outcomes, so memory stays bounded.

Additive problems are never densified: the space splits into a head (first issues) and a tail
(last issues); a block of outcomes is a few head rows broadcast against every tail column,
(groups, head rows, tail) -> (groups, columns), in flat order. Every scan keeps, per block, only
the columns that beat the best so far, and checks the agreement rule on those alone.

Every result here is exact; ties go to the first outcome in flat order (first issue slowest).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import numpy as np

from dialectic.oracles._problem import OracleProblem
from dialectic.oracles._result import FrontierPoint, OracleResult, ParetoFrontier
from dialectic.rules import ACCEPT_TOL, accepts_array

#: Outcomes per block (per-group temporaries of this many float64 stay in cache).
BLOCK_COLUMNS = 1 << 16
#: Dense blocks: cells (groups x outcomes) per block.
BLOCK_CELLS = 1 << 21
#: "Better for one group" in Pareto dominance: by more than this.
DOMINANCE_TOL = 1e-9
#: Frontier points are compared (deduplicated, dominated) on this many decimals.
FRONTIER_DECIMALS = 12
#: Candidates checked against the rule first (the best-scoring ones) before all the others.
FIRST_CHECK = 64

#: A score per outcome of a block; -inf excludes an outcome.
Score = Callable[["Block"], np.ndarray]
#: Which candidates (columns of utilities, (groups, n)) are admitted.
Keep = Callable[[np.ndarray], np.ndarray]


class Block:
    """A run of outcomes in flat order, [start, start + n). Dense: a (groups, n) view. Additive: head
    rows (groups, rows) broadcast against the tail (groups, tail), never materialised unless asked."""

    def __init__(self, start: int, dense: np.ndarray | None = None, head: np.ndarray | None = None,
                 tail: np.ndarray | None = None, cache: dict | None = None):
        self.start = start
        self.dense = dense
        empty = np.zeros((0, 0))
        self.head: np.ndarray = head if head is not None else empty
        self.tail: np.ndarray = tail if tail is not None else empty
        self._cache = cache if cache is not None else {}  # tail projections, shared by a scan's blocks
        if dense is not None:
            self.n = dense.shape[1]
        else:
            assert head is not None and tail is not None
            self.n = head.shape[1] * tail.shape[1]

    def full(self, rows: np.ndarray | None = None) -> np.ndarray:
        """(groups, n) utilities (only `rows` of groups if given)."""
        if self.dense is not None:
            return self.dense if rows is None else self.dense[rows]
        head = self.head if rows is None else self.head[rows]
        tail = self.tail if rows is None else self.tail[rows]
        return (head[:, :, None] + tail[:, None, :]).reshape(head.shape[0], -1)

    def take(self, cols: np.ndarray) -> np.ndarray:
        """(groups, len(cols)) utilities of the block's columns `cols`."""
        if len(cols) == self.n:
            return self.full()
        if self.dense is not None:
            return self.dense[:, cols]
        width = self.tail.shape[1]
        return self.head[:, cols // width] + self.tail[:, cols % width]

    def minimum(self, scale: np.ndarray | None = None, offset: np.ndarray | None = None,
                rows: np.ndarray | None = None) -> np.ndarray:
        """min over groups (or `rows`) of scale_g u_g + offset_g, per outcome (n,)."""
        if self.dense is not None:
            u = self.dense if rows is None else self.dense[rows]
            if scale is not None:
                u = u * scale[:, None]
            if offset is not None:
                u = u + offset[:, None]
            return u.min(axis=0)
        head, tail = self.head, self.tail
        if rows is not None:
            head, tail = head[rows], tail[rows]
        if scale is not None:
            head, tail = head * scale[:, None], tail * scale[:, None]
        if offset is not None:
            head = head + offset[:, None]
        out = np.empty((head.shape[1], tail.shape[1]))
        tmp = np.empty_like(out)
        np.add(head[0][:, None], tail[0][None, :], out=out)
        for g in range(1, head.shape[0]):
            np.add(head[g][:, None], tail[g][None, :], out=tmp)
            np.minimum(out, tmp, out=out)
        return out.reshape(-1)

    def masked_max(self, mask: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """(groups,) max of each group's utility over the block's outcomes where mask (n,) holds,
        for the groups whose block maximum could beat `floor` (others, and none masked: -inf)."""
        if self.dense is not None:
            return np.max(self.dense, axis=1, where=mask[None, :], initial=-np.inf)
        head, tail = self.head, self.tail
        where = mask.reshape(head.shape[1], tail.shape[1])
        out = np.full(head.shape[0], -np.inf)
        tmp = np.empty(where.shape)
        reachable = head.max(axis=1) + tail.max(axis=1) > floor
        for g in np.flatnonzero(reachable):
            np.add(head[g][:, None], tail[g][None, :], out=tmp)
            out[g] = np.where(where, tmp, -np.inf).max()
        return out

    def passes(self, problem: OracleProblem) -> np.ndarray:
        """(n,) bool: the rule passes under honest acceptance (no (groups, n) temporaries)."""
        rule, rho = problem.rule, problem.reservations
        if self.dense is not None:
            return problem.passes(self.dense)
        if rule.kind == "unanimous":  # every group (vetoes too) accepts iff the least slack is >= 0
            return self.minimum(offset=-rho) >= -ACCEPT_TOL
        head, tail = self.head, self.tail
        shape = (head.shape[1], tail.shape[1])
        count = np.zeros(shape, dtype=np.int32)
        share = np.zeros(shape, dtype=np.float64)
        vetoes_accept = np.ones(shape, dtype=bool)
        tmp = np.empty(shape)
        accept = np.empty(shape, dtype=bool)
        vetoes = set(rule.vetoes)
        for g in range(head.shape[0]):
            np.add(head[g][:, None], tail[g][None, :], out=tmp)
            accept[...] = accepts_array(tmp, rho[g])
            if g in vetoes:
                vetoes_accept &= accept
            count += accept
            if rule.kind == "majority":
                share += problem.shares[g] * accept
        ok = rule.verdict(vetoes_accept, count, share, head.shape[0])
        return ok.reshape(-1)

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """sum_g weights_g u_g per outcome (separable for additive blocks)."""
        if self.dense is not None:
            return weights @ self.dense
        key = weights.tobytes()
        tail = self._cache.get(key)
        if tail is None:
            tail = self._cache[key] = weights @ self.tail
        return ((weights @ self.head)[:, None] + tail[None, :]).reshape(-1)


def blocks(problem: OracleProblem, columns: int = BLOCK_COLUMNS) -> Iterator[Block]:
    """Blocks covering the space in flat order."""
    g = problem.n_groups
    if problem.matrix is not None:
        width = max(1, BLOCK_CELLS // g)
        for start in range(0, problem.size, width):
            yield Block(start, dense=problem.matrix[:, start:start + width])
        return
    assert problem.points is not None
    radix, points = problem.radix, problem.points
    # Tail: the longest suffix of issues with at most `columns` outcomes (at least the last issue).
    split, tail_size = len(radix) - 1, radix[-1]
    while split > 0 and tail_size * radix[split - 1] <= columns:
        split -= 1
        tail_size *= radix[split]
    tail = _sums(points[split:], g)
    rows = max(1, columns // tail_size)
    head_radix = radix[:split]
    n_head = math.prod(head_radix)
    cache: dict = {}
    for h in range(0, n_head, rows):
        stop = min(h + rows, n_head)
        yield Block(h * tail_size, head=_head_sums(points[:split], head_radix, h, stop, g), tail=tail, cache=cache)


def _head_sums(points: tuple[np.ndarray, ...], radix: tuple[int, ...], start: int, stop: int, g: int) -> np.ndarray:
    """(groups, stop - start) utilities summed over the head issues for head indices [start, stop)
    (computed per block, so the head is never held whole)."""
    total = np.zeros((g, stop - start))
    index = np.arange(start, stop, dtype=np.int64)
    for table, r in zip(reversed(points), reversed(radix), strict=True):
        total += table[:, index % r]
        index //= r
    return total


def _sums(points: tuple[np.ndarray, ...], g: int) -> np.ndarray:
    """(groups, prod of options) utilities summed over these issues, in flat order."""
    total = np.zeros((g, 1))
    for table in points:
        total = (total[:, :, None] + table[:, None, :]).reshape(g, -1)
    return total


def scan(
    problem: OracleProblem, score: Score, keep: Keep | None = None, init: float = -np.inf,
    keep_block: Callable[[Block], np.ndarray] | None = None,
) -> tuple[float, int]:
    """max of score over outcomes that `keep` (if given) admits, strictly above `init`; ties to the
    first in flat order. Returns (value, flat index), index -1 when nothing beats `init`.

    `keep` sees the utilities of the candidates only (those beating the best so far); the
    best-scoring few are checked first, and when one of them passes, only the others that tie
    with it remain to check. `keep_block`, when given, says the same for a whole block at once
    (used when most of a block is a candidate)."""
    best, best_flat = init, -1
    for block in blocks(problem):
        values = score(block)
        candidates = np.flatnonzero(values > best)
        if candidates.size == 0:
            continue
        if keep_block is not None and candidates.size * 8 > block.n:
            candidates = candidates[keep_block(block)[candidates]]
            if candidates.size == 0:
                continue
        elif keep is not None:
            candidates = _admitted(block, values, candidates, keep)
            if candidates.size == 0:
                continue
        j = candidates[int(np.argmax(values[candidates]))]
        best, best_flat = float(values[j]), block.start + int(j)
    return best, best_flat


def _admitted(block: Block, values: np.ndarray, candidates: np.ndarray, keep: Keep) -> np.ndarray:
    """Candidates (ascending) that `keep` admits, enough of them to contain the best admitted one."""
    if candidates.size > FIRST_CHECK:
        top = candidates[np.argpartition(-values[candidates], FIRST_CHECK - 1)[:FIRST_CHECK]]
        ok = keep(block.take(top))
        if ok.any():
            level = values[top][ok].max()
            candidates = candidates[values[candidates] >= level]
    return candidates[keep(block.take(candidates))]


def _result(problem: OracleProblem, value: float, flat: int, started: float, **info: object) -> OracleResult:
    outcome = problem.outcome_at(flat) if flat >= 0 else None
    utilities = tuple(problem.utilities(outcome).tolist()) if outcome is not None else None
    return OracleResult(
        value=value, outcome=outcome, status="exact", bound=value, gap=0.0, method="enumeration",
        utilities=utilities, seconds=time.perf_counter() - started, info=dict(info),
    )


def _worst(block: Block) -> np.ndarray:
    return block.minimum()


def maxmin_unconstrained(problem: OracleProblem) -> OracleResult:
    started = time.perf_counter()
    value, flat = scan(problem, _worst)
    return _result(problem, value, flat, started)


def maxmin_oracle(problem: OracleProblem) -> OracleResult:
    """Max of min_g u_g over honestly passing outcomes, at least the no-deal value (then None)."""
    started = time.perf_counter()
    no_deal = problem.no_deal_value
    value, flat = scan(problem, _worst, problem.passes, init=no_deal, keep_block=_passes(problem))
    return _result(problem, value if flat >= 0 else no_deal, flat, started, no_deal=no_deal)


def _passes(problem: OracleProblem) -> Callable[[Block], np.ndarray]:
    return lambda block: block.passes(problem)


def utilitarian_optimum(problem: OracleProblem) -> OracleResult:
    """Max of sum_g w_g u_g over honestly passing outcomes; none passing: None, the no-deal welfare."""
    started = time.perf_counter()
    shares = problem.shares
    value, flat = scan(problem, lambda block: block.dot(shares), problem.passes, keep_block=_passes(problem))
    no_deal = float(shares @ problem.reservations)
    return _result(problem, value if flat >= 0 else no_deal, flat, started, no_deal=no_deal)


def _acceptable(problem: OracleProblem, block: Block) -> np.ndarray:
    """(n,) bool: every group accepts (u_g >= rho_g within ACCEPT_TOL)."""
    return block.minimum(offset=-problem.reservations) >= -ACCEPT_TOL


def nash_optimum(problem: OracleProblem) -> OracleResult:
    """Max of prod_g (u_g - rho_g) over outcomes every group accepts (these pass every rule);
    none: None with value 0 (the no-deal product). Compared in log space (no underflow); the
    logs are taken only where the AM-GM bound G log(mean gain) beats the best so far."""
    started = time.perf_counter()
    rho = problem.reservations
    g = problem.n_groups
    mean_weights = np.full(g, 1.0 / g)
    best_log, best_flat, first_acceptable = -np.inf, -1, -1
    for block in blocks(problem):
        ok = np.flatnonzero(_acceptable(problem, block))
        if ok.size == 0:
            continue
        if first_acceptable < 0:
            first_acceptable = block.start + int(ok[0])
        mean_gain = block.dot(mean_weights)[ok] - rho.mean()
        with np.errstate(divide="ignore"):
            ceiling = g * np.log(np.maximum(mean_gain, 0.0))
        candidates = ok[ceiling > best_log]
        if candidates.size == 0:
            continue
        gains = block.take(candidates) - rho[:, None]
        positive = gains.min(axis=0) > 0
        if not positive.any():
            continue
        candidates = candidates[positive]
        logs = np.log(gains[:, positive]).sum(axis=0)
        j = int(np.argmax(logs))
        if logs[j] > best_log:
            best_log, best_flat = float(logs[j]), block.start + int(candidates[j])
    if best_flat >= 0:
        return _result(problem, float(np.exp(best_log)), best_flat, started, log_value=best_log)
    # no outcome where every group gains: the first acceptable one (product 0), or none
    return _result(problem, 0.0, first_acceptable, started, log_value=-np.inf)


def ideal_point(problem: OracleProblem) -> np.ndarray | None:
    """Each group's best utility over the outcomes every group accepts (None: there are none)."""
    ideal = np.full(problem.n_groups, -np.inf)
    for block in blocks(problem):
        ok = _acceptable(problem, block)
        if ok.any():
            ideal = np.maximum(ideal, block.masked_max(ok, ideal))
    return None if np.isneginf(ideal[0]) else ideal


def ks_scaling(problem: OracleProblem, ideal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Groups whose ideal is above their reservation, with (u - rho) / (ideal - rho) = a u + b."""
    rows = np.flatnonzero(ideal - problem.reservations > ACCEPT_TOL)
    scale = 1.0 / (ideal[rows] - problem.reservations[rows])
    return rows, scale, -problem.reservations[rows] * scale


def kalai_smorodinsky(problem: OracleProblem) -> OracleResult:
    """The Kalai-Smorodinsky point on the discrete set of outcomes every group accepts: with
    disagreement point rho and ideal point I (each group's best over that set), the outcome that
    maximises min_g (u_g - rho_g) / (I_g - rho_g) (the largest equal fraction of every group's
    possible gain). value: that fraction; None when no outcome is acceptable to all."""
    started = time.perf_counter()
    ideal = ideal_point(problem)
    if ideal is None:
        return _result(problem, 0.0, -1, started, ideal=None)
    rows, scale, offset = ks_scaling(problem, ideal)

    def score(block: Block) -> np.ndarray:
        ratio = block.minimum(scale, offset, rows) if rows.size else np.ones(block.n)
        return np.where(_acceptable(problem, block), ratio, -np.inf)

    value, flat = scan(problem, score)
    return _result(problem, value, flat, started, ideal=tuple(ideal.tolist()))


def pareto_improvement(problem: OracleProblem, reference: np.ndarray) -> OracleResult:
    """The outcome maximising sum_g (u_g - r_g) among those at least as good as `reference` for
    every group and better for one (itself Pareto optimal); None: `reference` is not dominated."""
    started = time.perf_counter()
    r = np.asarray(reference, dtype=np.float64)
    ones = np.ones(problem.n_groups)

    def score(block: Block) -> np.ndarray:
        weakly = block.minimum(offset=-r) >= -ACCEPT_TOL
        return np.where(weakly, block.dot(ones) - r.sum(), -np.inf)

    def strictly(utilities: np.ndarray) -> np.ndarray:
        return (utilities - r[:, None]).max(axis=0) > DOMINANCE_TOL

    value, flat = scan(problem, score, strictly)
    return _result(problem, max(value, 0.0) if flat >= 0 else 0.0, flat, started)


# -- Pareto frontier --------------------------------------------------------------------------------


def pareto_frontier(problem: OracleProblem, rows: np.ndarray, strong: int = 64) -> ParetoFrontier:
    """Non-dominated utility vectors of the groups `rows` (2 or 3) over the whole space."""
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    weights = np.vstack([rng.dirichlet(np.ones(len(rows)), size=strong), np.eye(len(rows))])
    # Pass 1: frontier points (maximisers of positive weighted sums; for a unit weight, the best of
    # its maximisers for the others) that eliminate most outcomes in pass 2.
    tie_break = 1e-6 * (1 - np.eye(len(rows)))
    weights[-len(rows):] += tie_break
    best_score = np.full(len(weights), -np.inf)
    anchors = np.zeros((len(weights), len(rows)))
    for block in blocks(problem):
        sub = block.full(rows)
        scores = weights @ sub
        j = scores.argmax(axis=1)
        top = scores[np.arange(len(weights)), j]
        better = top > best_score
        best_score[better] = top[better]
        anchors[better] = sub[:, j[better]].T
    anchor = np.unique(anchors, axis=0)
    values, flats = [], []
    for block in blocks(problem):
        sub = block.full(rows)
        dominated = np.zeros(sub.shape[1], dtype=bool)
        for a in anchor:  # dominated by a margin, so rounding never removes a frontier point
            ge = (a[:, None] >= sub).all(axis=0)
            gt = (a[:, None] > sub + 1e-11).any(axis=0)
            dominated |= ge & gt
        keep = np.flatnonzero(~dominated)
        values.append(sub[:, keep].T)
        flats.append(block.start + keep)
    vectors = np.concatenate(values)
    flat_all = np.concatenate(flats)
    front = nondominated(vectors, flat_all)
    points = tuple(
        FrontierPoint(tuple(vectors[k].tolist()), problem.outcome_at(int(flat_all[k]))) for k in front
    )
    return ParetoFrontier(
        tuple(problem.group_ids[r] for r in rows), points, "exact", "enumeration", time.perf_counter() - started
    )


def nondominated(vectors: np.ndarray, order_key: np.ndarray) -> list[int]:
    """Indices of the non-dominated rows of `vectors` (2 or 3 columns), one per distinct vector (the
    smallest `order_key`), sorted by the first column descending. Vectors are compared rounded to
    FRONTIER_DECIMALS."""
    n, m = vectors.shape
    if n == 0:
        return []
    # compare on a 1e-12 grid: sums taken in different orders must not make two points of one
    vectors = np.round(vectors, FRONTIER_DECIMALS)
    keys = [order_key] + [-vectors[:, j] for j in range(m - 1, -1, -1)]
    order = np.lexsort(keys)
    v = vectors[order]
    distinct = np.ones(n, dtype=bool)
    distinct[1:] = (v[1:] != v[:-1]).any(axis=1)
    order, v = order[distinct], v[distinct]
    if m == 2:
        # Sorted by u1 desc then u2 desc: a point is dominated iff an earlier one has u2 >= its u2.
        running = np.maximum.accumulate(v[:, 1])
        keep = np.ones(len(v), dtype=bool)
        keep[1:] = v[1:, 1] > running[:-1]
        return order[keep].tolist()
    if m != 3:
        raise ValueError("a Pareto frontier is computed for 2 or 3 groups")
    # Sorted by u1 desc: dominated iff an earlier point has u2 >= and u3 >= (distinct vectors).
    # Staircase of earlier points: u2 ascending, u3 strictly descending.
    import bisect

    stair2: list[float] = []
    stair3: list[float] = []
    kept = []
    for k, (_, b, c) in enumerate(v.tolist()):
        pos = bisect.bisect_left(stair2, b)
        if pos < len(stair2) and stair3[pos] >= c:
            continue  # the earlier point with the smallest u2 >= b has the largest u3 among those
        kept.append(k)
        # insert (b, c); drop staircase points it dominates in (u2, u3): u2 <= b and u3 <= c
        lo = pos
        while lo > 0 and stair3[lo - 1] <= c:
            lo -= 1
        hi = pos
        if hi < len(stair2) and stair2[hi] == b:
            hi += 1  # same u2 and (checked above) smaller u3: replaced
        stair2[lo:hi] = [b]
        stair3[lo:hi] = [c]
    return order[kept].tolist()
