"""Exact max-min for additive rewards by branch and bound over issues, with Lagrangian bounds.

The problem: maximise min over rows r of (scale_r u_r(x) + offset_r), u additive, subject to
nothing, every group accepting (u_g >= rho_g), or the agreement rule under honest acceptance.

Search: depth-first over issues (the most decisive first), a batch of nodes at a time, vectorised.
A node fixes the first d issues; s is its partial utility vector. Bounds on every completion:
- Lagrangian: for any weights lam >= 0 summing to 1 over the rows and mu >= 0 over the groups that
  must accept, max-min <= max_x sum_g v_g u_g(x) + sum lam offset - sum mu rho with
  v = lam * scale + mu, and the max is separable over the remaining issues:
  v.s + sum_{i >= d} max_k v.q[i, k] + const. Each depth keeps a pool of such (v, const): the LP
  relaxation's duals at the root and at some nodes, and multipliers improved for sampled nodes by
  a few steps of batched exponentiated-gradient descent on the dual; a node's bound is the least
  over its depth's pool (computed from the parent's projections before any child is built);
- ideal: min_r scale_r (s_r + the best r can still get) + offset_r;
- feasibility: a group that can no longer reach its reservation cannot accept; a node where the
  groups that still can would not pass the rule is dropped.
Any multipliers give a valid bound, so how well they are chosen only changes the speed. A node is
pruned when its bound is at most the incumbent + PRUNE_TOL. The incumbent starts from a
multi-start local search (rounding the root LP). The result is exact when the tree is exhausted;
when the time budget runs out, the largest bound among the open nodes is a certified upper bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from dialectic.oracles._problem import OracleProblem
from dialectic.oracles._result import OracleResult
from dialectic.rules import ACCEPT_TOL

#: A node is pruned when its bound is at most incumbent + PRUNE_TOL (exact to this tolerance).
PRUNE_TOL = 1e-9
#: Work per step, as cells (children x max(groups, pool entries)).
BATCH_CELLS = 1 << 21
#: Node LPs solved per depth to seed its pool, and each depth's pool cap.
LPS_PER_DEPTH = 2
POOL_MAX = 96
#: Starts of the multi-start local search, and how many of the best it polishes with 2-issue moves.
HEURISTIC_STARTS = 64
HEURISTIC_POLISH = 4
#: Nodes whose multipliers are refined per batch, iterations and step of the refinement.
REFINE_NODES = 32
REFINE_ITERATIONS = 25
REFINE_STEP = 3.0
#: Multipliers are learnt only where at least this many issues remain.
LEARN_DEPTH_LEFT = 2

Outcome = tuple[int, ...]


@dataclass
class _Pool:
    """Multipliers for the nodes of one depth: v (entries, groups) and each entry's constant
    sum_{i >= depth} max_k v.q[i, k] + const."""

    v: np.ndarray
    c: np.ndarray
    usage: np.ndarray


@dataclass
class _Search:
    problem: OracleProblem
    rows: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    constraint: str  # "none" | "rule" | "all"
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    q: list[np.ndarray] = field(default_factory=list)  # per depth: (options, groups)
    suffix_best: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (depth+1, groups)
    forced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pools: list[_Pool] = field(default_factory=list)
    lps: int = 0
    last_x: np.ndarray | None = None
    root_x: list[np.ndarray] | None = None
    _pad_cache: dict = field(default_factory=dict)

    # -- set-up -----------------------------------------------------------------------------------

    def setup(self) -> None:
        p = self.problem
        assert p.points is not None
        g = p.n_groups
        if self.constraint == "all" or (self.constraint == "rule" and p.rule.kind == "unanimous"):
            self.forced = np.flatnonzero(p.reservations > ACCEPT_TOL)
        elif self.constraint == "rule":
            self.forced = np.array([v for v in p.rule.vetoes if p.reservations[v] > ACCEPT_TOL], dtype=np.int64)
        else:
            self.forced = np.zeros(0, dtype=np.int64)
        q_natural = [np.ascontiguousarray(t.T) for t in p.points]  # (options, groups)
        root_v, root_c, _ = self._lp(q_natural, np.zeros(g))
        root_x = self.last_x if root_v is not None else None
        weights = root_v if root_v is not None else np.ones(g)
        spread = np.array([(weights * (t.max(axis=0) - t.min(axis=0))).sum() for t in q_natural])
        self.order = np.argsort(-spread, kind="stable")
        self.q = [q_natural[i] for i in self.order]
        if root_x is not None:  # the LP's fractional choice per issue, in branching order
            offsets = np.concatenate([[0], np.cumsum([t.shape[0] for t in q_natural])])
            self.root_x = [root_x[offsets[i]:offsets[i + 1]] for i in self.order]
        depth = len(self.q)
        self.suffix_best = np.zeros((depth + 1, g))
        for d in range(depth - 1, -1, -1):
            self.suffix_best[d] = self.suffix_best[d + 1] + self.q[d].max(axis=0)
        self.pools = [_Pool(np.zeros((0, g)), np.zeros(0), np.zeros(0)) for _ in range(depth + 1)]
        if root_v is not None:
            for d in range(depth + 1):
                self.add(d, root_v, root_c)

    def add(self, depth: int, v: np.ndarray, const: float) -> None:
        """Add multipliers (v, const) to the pool of this depth, dropping its least used entry
        (never the first, the root's) when full."""
        pool = self.pools[depth]
        c = const + sum(float((t @ v).max()) for t in self.q[depth:])
        if pool.v.shape[0] >= POOL_MAX:
            drop = 1 + int(np.argmin(pool.usage[1:]))
            keep = np.arange(pool.v.shape[0]) != drop
            pool.v, pool.c, pool.usage = pool.v[keep], pool.c[keep], pool.usage[keep] * 0.5
        pool.v = np.vstack([pool.v, v])
        pool.c = np.append(pool.c, c)
        pool.usage = np.append(pool.usage, pool.usage.max() if len(pool.usage) else 0.0)

    def _lp(self, q: list[np.ndarray], s: np.ndarray) -> tuple[np.ndarray | None, float, float]:
        """LP relaxation over the issues `q` with fixed partial sums s: returns (v, const, value)
        from its duals, or (None, 0, -inf) when infeasible or failed."""
        from scipy.optimize import linprog

        self.lps += 1
        p = self.problem
        sizes = [t.shape[0] for t in q]
        nx = sum(sizes)
        qx = np.concatenate([t.T for t in q], axis=1) if q else np.zeros((p.n_groups, 0))  # (groups, nx)
        rows, forced = self.rows, self.forced
        # variables: x (nx), t; maximise t
        c = np.zeros(nx + 1)
        c[-1] = -1.0
        # t - scale_r (s_r + qx_r x) - offset_r <= 0
        a_t = np.hstack([-self.scale[:, None] * qx[rows], np.ones((len(rows), 1))])
        b_t = self.scale * s[rows] + self.offset
        # -(s_g + qx_g x) <= -rho_g for forced groups
        a_f = np.hstack([-qx[forced], np.zeros((len(forced), 1))])
        b_f = s[forced] - p.reservations[forced]
        a_eq = np.zeros((len(q), nx + 1))
        start = 0
        for k, size in enumerate(sizes):
            a_eq[k, start:start + size] = 1.0
            start += size
        bounds = [(0.0, 1.0)] * nx + [(None, None)]
        try:
            res = linprog(c, A_ub=np.vstack([a_t, a_f]), b_ub=np.concatenate([b_t, b_f]),
                          A_eq=a_eq if len(q) else None, b_eq=np.ones(len(q)) if len(q) else None,
                          bounds=bounds, method="highs")
        except ValueError:  # pragma: no cover
            return None, 0.0, -math.inf
        if res.status != 0:
            return None, 0.0, -math.inf
        self.last_x = np.asarray(res.x[:nx])
        duals = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)
        lam, mu = duals[:len(rows)], duals[len(rows):]
        total = lam.sum()
        if total <= 0:
            return None, 0.0, -math.inf
        lam, mu = lam / total, mu / total
        v = np.zeros(p.n_groups)
        np.add.at(v, rows, lam * self.scale)
        np.add.at(v, forced, mu)
        const = float(lam @ self.offset - mu @ p.reservations[forced])
        return v, const, -float(res.fun)

    def refine(self, s: np.ndarray, depth: int, iterations: int | None = None) -> int:
        """Improve the multipliers for the nodes s (m, groups) at this depth by batched
        exponentiated-gradient descent on the Lagrangian dual over the objective rows, from each
        node's best pool entry; multipliers that lower their node's bound join the depth's pool.
        Returns how many joined."""
        rows, scale = self.rows, self.scale
        iterations = REFINE_ITERATIONS if iterations is None else iterations
        if len(rows) == 0 or depth >= len(self.q) or len(s) == 0:
            return 0
        tensor = self._padded(depth)  # (issues left, options, rows), scaled
        m = len(s)
        a = s[:, rows] * scale + self.offset  # (m, rows)
        pool = self.pools[depth]
        if pool.v.shape[0]:
            values = s @ pool.v.T + pool.c
            start = pool.v[np.argmin(values, axis=1)][:, rows] / scale
            current = values.min(axis=1)
        else:
            start = np.ones((m, len(rows)))
            current = np.full(m, np.inf)
        lam = np.maximum(start, 1e-12)
        lam /= lam.sum(axis=1, keepdims=True)
        best, best_lam = np.full(m, np.inf), lam.copy()
        flat = tensor.reshape(-1, len(rows))
        n_issues, n_opts = tensor.shape[0], tensor.shape[1]
        for t in range(iterations + 1):
            scores = (lam @ flat.T).reshape(m, n_issues, n_opts)
            top = scores.argmax(axis=2)
            value = (lam * a).sum(axis=1) + scores.max(axis=2).sum(axis=1)
            better = value < best
            best[better] = value[better]
            best_lam[better] = lam[better]
            if t == iterations:
                break
            grad = a + tensor[np.arange(n_issues)[None, :], top].sum(axis=1)
            grad -= grad.mean(axis=1, keepdims=True)
            lam = lam * np.exp(-REFINE_STEP / math.sqrt(t + 1) * grad)
            lam /= lam.sum(axis=1, keepdims=True)
        added = 0
        for k in np.flatnonzero(best < current - 1e-6):
            v = np.zeros(self.problem.n_groups)
            v[rows] = best_lam[k] * scale
            self.add(depth, v, float(best_lam[k] @ self.offset))
            added += 1
        return added

    def _padded(self, depth: int) -> np.ndarray:
        cached = self._pad_cache.get(depth)
        if cached is None:
            width = max(t.shape[0] for t in self.q[depth:])
            parts = []
            for t in self.q[depth:]:
                sub = t[:, self.rows] * self.scale
                if sub.shape[0] < width:  # repeat the first option: the max is unchanged
                    sub = np.vstack([sub, np.repeat(sub[:1], width - sub.shape[0], axis=0)])
                parts.append(sub)
            cached = self._pad_cache[depth] = np.stack(parts)
        return cached

    # -- bounds -------------------------------------------------------------------------------------

    def child_bounds(self, parents: np.ndarray, depth: int) -> np.ndarray:
        """(n, options) Lagrangian bounds of the children (depth + 1) of these parents (depth),
        from the parents' projections: no child is built."""
        pool = self.pools[depth + 1]
        if pool.v.shape[0] == 0:
            return np.full((len(parents), self.q[depth].shape[0]), np.inf)
        step = self.q[depth] @ pool.v.T + pool.c  # (options, entries)
        values = (parents @ pool.v.T)[:, None, :] + step[None, :, :]
        which = values.argmin(axis=2)
        pool.usage += np.bincount(which.ravel(), minlength=pool.v.shape[0])
        return np.take_along_axis(values, which[:, :, None], axis=2)[:, :, 0]

    def node_bounds(self, s: np.ndarray, depth: int) -> np.ndarray:
        """Ideal bound and feasibility of nodes s (n, groups) at this depth (-inf: infeasible)."""
        best = s + self.suffix_best[depth]
        bound = (best[:, self.rows] * self.scale + self.offset).min(axis=1) if len(self.rows) else np.ones(len(s))
        if self.constraint != "none":
            possible = best >= self.problem.reservations - ACCEPT_TOL
            if self.constraint == "all":
                ok = possible.all(axis=1)
            else:
                ok = self.problem.rule.passes(possible.T, self.problem.shares)
            bound = np.where(ok, bound, -np.inf)
        return bound

    def pool_bounds(self, s: np.ndarray, depth: int) -> np.ndarray:
        pool = self.pools[depth]
        if pool.v.shape[0] == 0:
            return np.full(len(s), np.inf)
        return (s @ pool.v.T + pool.c).min(axis=1)

    def leaf_values(self, s: np.ndarray) -> np.ndarray:
        value = (s[:, self.rows] * self.scale + self.offset).min(axis=1) if len(self.rows) else np.ones(len(s))
        if self.constraint == "all":
            value = np.where(self.problem.accepts(s.T).all(axis=0), value, -np.inf)
        elif self.constraint == "rule":
            value = np.where(self.problem.passes(s.T), value, -np.inf)
        return value

    # -- heuristic ------------------------------------------------------------------------------------

    def heuristic(self, starts: int | None = None, seed: int = 0) -> tuple[float, np.ndarray | None]:
        """Multi-start local search (change one issue, then two issues at once) on the objective
        with a penalty for breaking the constraint; returns the best feasible (value, choices)."""
        rng = np.random.default_rng(seed)
        starts = HEURISTIC_STARTS if starts is None else starts
        depth, g = len(self.q), self.problem.n_groups
        v = self.pools[0].v[0] if self.pools and self.pools[0].v.shape[0] else np.ones(g)
        choice = np.empty((starts, depth), dtype=np.int64)
        for d, t in enumerate(self.q):
            if self.root_x is not None:  # round the LP relaxation, at random around it
                p = np.maximum(self.root_x[d], 0.0) + 0.02
                choice[0, d] = int(np.argmax(self.root_x[d]))
            else:
                score = t @ v
                spread = float(score.max() - score.min()) or 1.0
                p = np.exp((score - score.max()) / (0.3 * spread))
                choice[0, d] = int(np.argmax(score))
            choice[1:, d] = rng.choice(t.shape[0], size=starts - 1, p=p / p.sum())
        s = np.zeros((starts, g))
        for d, t in enumerate(self.q):
            s += t[choice[:, d]]
        value = self._score(s)
        for _ in range(50):  # one-issue moves, all starts at once
            improved = False
            for d, t in enumerate(self.q):
                cand = s[:, None, :] - t[choice[:, d]][:, None, :] + t[None, :, :]
                scores = self._score(cand.reshape(-1, g)).reshape(starts, -1)
                k = scores.argmax(axis=1)
                top = scores[np.arange(starts), k]
                better = top > value + 1e-12
                if better.any():
                    improved = True
                    choice[better, d] = k[better]
                    s[better] = cand[np.flatnonzero(better), k[better]]
                    value[better] = top[better]
            if not improved:
                break
        best_value, best_choice = -math.inf, None
        for j in np.unique(np.argsort(-value)[:HEURISTIC_POLISH]):
            c, sj = choice[j].copy(), s[j].copy()
            c, sj = self._polish(c, sj)
            exact = self.leaf_values(sj[None, :])[0]
            if exact > best_value:
                best_value, best_choice = exact, c
        return best_value, best_choice

    def _polish(self, choice: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best-improvement local search over one- and two-issue changes from one solution."""
        g = self.problem.n_groups
        value = self._score(s[None, :])[0]
        for _ in range(100):
            best = value + 1e-12
            move: tuple[tuple[int, int], ...] | None = None
            for d1, t1 in enumerate(self.q):
                base = s - t1[choice[d1]]
                cand = base[None, :] + t1
                scores = self._score(cand)
                k = int(scores.argmax())
                if scores[k] > best:
                    best, move = scores[k], ((d1, k),)
                for d2 in range(d1 + 1, len(self.q)):
                    t2 = self.q[d2]
                    pair = (base - t2[choice[d2]])[None, None, :] + t1[:, None, :] + t2[None, :, :]
                    scores = self._score(pair.reshape(-1, g))
                    k = int(scores.argmax())
                    if scores[k] > best:
                        best, move = scores[k], ((d1, k // t2.shape[0]), (d2, k % t2.shape[0]))
            if move is None:
                break
            for d, k in move:
                s = s - self.q[d][choice[d]] + self.q[d][k]
                choice[d] = k
            value = best
        return choice, s

    def _score(self, s: np.ndarray) -> np.ndarray:
        """Objective minus a penalty for breaking the constraint (a measure of how far from it)."""
        value = (s[:, self.rows] * self.scale + self.offset).min(axis=1) if len(self.rows) else np.ones(len(s))
        if self.constraint == "none":
            return value
        p = self.problem
        short = np.maximum(p.reservations - s, 0.0)
        short[short <= ACCEPT_TOL] = 0.0
        if self.constraint == "all" or p.rule.kind == "unanimous":
            return value - 10.0 * short.sum(axis=1)
        penalty = short[:, list(p.rule.vetoes)].sum(axis=1) if p.rule.vetoes else np.zeros(len(s))
        free = np.setdiff1d(np.arange(p.n_groups), p.rule.vetoes)
        if free.size:
            sub = short[:, free]
            order = np.argsort(sub, axis=1, kind="stable")
            ranked = np.take_along_axis(sub, order, axis=1)
            covered = np.cumsum(ranked, axis=1)
            if p.rule.kind == "quorum":
                need = p.rule.min_accept - len(p.rule.vetoes)  # groups to bring up, cheapest first
                need = min(max(need, 0), free.size)
                if need:
                    penalty = penalty + covered[:, need - 1]
            else:
                shares = p.shares[free][order]
                target = p.rule.threshold + 1e-9 - p.shares[list(p.rule.vetoes)].sum()
                enough = np.cumsum(shares, axis=1) > target
                first = np.where(enough.any(axis=1), enough.argmax(axis=1), free.size - 1)
                penalty = penalty + covered[np.arange(len(s)), first]
        return value - 10.0 * penalty


def maxmin(
    problem: OracleProblem, *, constraint: str, time_budget: float, rows: np.ndarray | None = None,
    scale: np.ndarray | None = None, offset: np.ndarray | None = None, floor: float = -math.inf,
) -> OracleResult:
    """max over x of min_r (scale_r u_r(x) + offset_r) subject to `constraint`; values at or below
    `floor` do not count (the outcome is then None and the value the floor)."""
    if problem.points is None:
        raise ValueError("branch and bound needs additive rewards; use method='enumeration'")
    started = time.perf_counter()
    reserve = min(0.1 * time_budget, 2.0)  # kept to tighten the bound of the open nodes on a timeout
    deadline = started + time_budget - reserve
    rows = np.arange(problem.n_groups) if rows is None else np.asarray(rows, dtype=np.int64)
    scale = np.ones(len(rows)) if scale is None else np.asarray(scale, dtype=np.float64)
    offset = np.zeros(len(rows)) if offset is None else np.asarray(offset, dtype=np.float64)
    search = _Search(problem, rows, scale, offset, constraint)
    search.setup()
    depth, g = len(search.q), problem.n_groups

    incumbent, best_choice = floor, None
    value, choice = search.heuristic()
    if choice is not None and value > incumbent:
        incumbent, best_choice = value, choice

    rng = np.random.default_rng(0)
    lp_count = [0] * (depth + 1)
    # stack entries: (depth, partial sums (n, g), choices (n, depth), max bound)
    stack: list[tuple[int, np.ndarray, np.ndarray, float]] = [
        (0, np.zeros((1, g)), np.zeros((1, 0), np.int16), math.inf)
    ]
    nodes, refined, timed_out = 0, 0, False
    while stack:
        if time.perf_counter() > deadline:
            timed_out = True
            break
        d, s, chosen, top = stack.pop()
        if top <= incumbent + PRUNE_TOL:
            continue
        q = search.q[d]
        k = q.shape[0]
        nodes += len(s) * k
        if d == depth - 1:
            children = (s[:, None, :] + q[None, :, :]).reshape(-1, g)
            values = search.leaf_values(children)
            j = int(np.argmax(values))
            if values[j] > incumbent:
                incumbent = float(values[j])
                best_choice = np.append(chosen[j // k], j % k).astype(np.int16)
            continue
        # bound the children from the parents' projections, build only those that survive
        bound = search.child_bounds(s, d).ravel()
        alive = np.flatnonzero(bound > incumbent + PRUNE_TOL)
        if alive.size == 0:
            continue
        parent, option = alive // k, alive % k
        children = s[parent] + q[option]
        bound = np.minimum(bound[alive], search.node_bounds(children, d + 1))
        keep = bound > incumbent + PRUNE_TOL
        children, parent, option, bound = children[keep], parent[keep], option[keep], bound[keep]
        left = depth - d - 1
        if left >= LEARN_DEPTH_LEFT and len(children):
            if lp_count[d + 1] < LPS_PER_DEPTH:
                lp_count[d + 1] += 1
                j = int(np.argmax(bound))
                v, const, _ = search._lp(search.q[d + 1:], children[j])
                if v is not None:
                    search.add(d + 1, v, const)
            if REFINE_NODES and len(children) > REFINE_NODES:
                half = REFINE_NODES // 2
                pick = np.union1d(np.argpartition(-bound, half)[:half],
                                  rng.choice(len(children), size=half, replace=False))
                refined += search.refine(children[pick], d + 1)
            bound = np.minimum(bound, search.pool_bounds(children, d + 1))
            keep = bound > incumbent + PRUNE_TOL
            children, parent, option, bound = children[keep], parent[keep], option[keep], bound[keep]
        if len(children) == 0:
            continue
        order = np.argsort(bound, kind="stable")  # ascending: the best batch is pushed last
        children, parent, option, bound = children[order], parent[order], option[order], bound[order]
        child_choice = np.hstack([chosen[parent], option[:, None].astype(np.int16)])
        width = max(g, search.pools[min(d + 2, depth)].v.shape[0])
        per_batch = max(1, BATCH_CELLS // (width * search.q[d + 1].shape[0]))
        for lo in range(0, len(children), per_batch):
            hi = min(lo + per_batch, len(children))
            stack.append((d + 1, children[lo:hi], child_choice[lo:hi], float(bound[hi - 1])))

    open_bound = _open_bound(search, stack, incumbent, deadline + reserve) if timed_out else -math.inf
    info = {"nodes": nodes, "lps": search.lps, "multipliers_learnt": refined,
            "pool": [int(pl.v.shape[0]) for pl in search.pools]}
    outcome: Outcome | None = None
    if best_choice is not None:
        natural = np.zeros(depth, dtype=np.int64)
        natural[search.order] = best_choice
        outcome = tuple(int(c) for c in natural)
        u = problem.utilities(outcome)
        final = float((u[rows] * scale + offset).min()) if len(rows) else 1.0
    else:
        final = float(floor)
    exact = not timed_out
    upper = final if exact else max(float(open_bound), final)
    return OracleResult(
        value=final, outcome=outcome, status="exact" if exact else "bound", bound=upper,
        gap=0.0 if exact else upper - final, method="bnb",
        utilities=tuple(problem.utilities(outcome).tolist()) if outcome is not None else None,
        seconds=time.perf_counter() - started, info=info,
    )


def _open_bound(search: _Search, stack: list, incumbent: float, deadline: float) -> float:
    """Certified upper bound over the open nodes: each one's bound with the multipliers learnt
    since it was pushed; then, while time remains, the best-bounded nodes get multipliers of their
    own (batched refinement, then their exact LP relaxation), which can only lower the maximum."""
    by_depth: dict[int, list[np.ndarray]] = {}
    for d, s, _, top in stack:
        if top > incumbent + PRUNE_TOL:
            by_depth.setdefault(d, []).append(s)
    if not by_depth:
        return -math.inf
    nodes = {d: np.vstack(parts) for d, parts in by_depth.items()}
    bounds = {d: np.minimum(search.pool_bounds(s, d), search.node_bounds(s, d)) for d, s in nodes.items()}
    solved: set[tuple[int, int]] = set()
    while time.perf_counter() < deadline:
        d = max(bounds, key=lambda k: bounds[k].max())
        top = np.argsort(-bounds[d])[:REFINE_NODES]
        if d < len(search.q):
            search.refine(nodes[d][top], d)
        bounds[d][top] = np.minimum(bounds[d][top], search.pool_bounds(nodes[d][top], d))
        j = int(np.argmax(bounds[d]))
        if (d, j) in solved or d >= len(search.q):
            break  # the maximum is an exact LP bound already: no lower bound to find
        v, _, value = search._lp(search.q[d:], nodes[d][j])
        solved.add((d, j))
        bounds[d][j] = min(bounds[d][j], value + 1e-9) if v is not None else bounds[d][j]
    return max(float(b.max()) for b in bounds.values())


def ideal_point(problem: OracleProblem, time_budget: float) -> tuple[np.ndarray | None, bool, dict]:
    """Each group's best utility over the outcomes every group accepts (None: there are none),
    one branch and bound per group; exact unless the budget ran out (then each value is the
    group's certified bound, so the ideal point is not underestimated)."""
    deadline = time.perf_counter() + time_budget
    ideal = np.zeros(problem.n_groups)
    exact, nodes = True, 0
    for g in range(problem.n_groups):
        result = maxmin(problem, constraint="all", rows=np.array([g]), floor=-1.0,
                        time_budget=max(deadline - time.perf_counter(), 0.01))
        nodes += result.info["nodes"]
        if result.outcome is None:
            if result.exact:
                return None, True, {"nodes": nodes}
            return None, False, {"nodes": nodes}
        exact = exact and result.exact
        ideal[g] = result.value if result.exact else min(result.bound, 1.0)
    return ideal, exact, {"nodes": nodes}
