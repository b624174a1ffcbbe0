"""EM mixture of K Bradley-Terry models over annotators (MaxMin-RLHF, arXiv:2402.08925).

Each annotator a belongs to one component k; its comparisons follow component k's head w_k. With
L[a, k] = sum over a's comparisons of log sigmoid(w_k . (x_chosen - x_rejected)):

- **hard EM** (default) maximises J = sum_a L[a, z_a] - l2/2 sum_k |w_k|^2 over the assignment z and the
  heads W. E-step: each annotator to its best component (a tie keeps the current one); M-step: each w_k
  refitted on its annotators' comparisons (warm start from the current w_k), maximising exactly its share
  of J. Neither step can lower J.
- **soft EM** maximises J = sum_a log sum_k pi_k exp(L[a, k]) - l2/2 sum_k |w_k|^2. E-step: the
  responsibilities R[a, k] proportional to pi_k exp(L[a, k]); M-step: pi = mean of R, each w_k refitted with
  per-comparison weights R[annotator, k].

The recorded trace is J after each iteration; a step that would lower it (it cannot, up to floating-point
rounding) is not taken and the fit stops, so the trace never decreases. The fit stops when an E-step
changes no assignment (hard), when J improves by less than ``tol * (1 + |J|)``, or after ``max_iter``.

Initialisation: k-means++ seeding on the annotators' preference directions v_a = sum over a's comparisons
of (x_chosen - x_rejected), unit length: greedy k-means++ (the first centre uniformly at random, each
further one the best of 2 + log K draws with probability proportional to the squared distance to the
nearest centre so far), refined by up to ``LLOYD_ITER`` Lloyd iterations; every annotator goes to its
nearest centre and the first M-step fits the heads. ``init="random"`` assigns annotators uniformly at
random instead. Each of ``restarts`` runs draws its own seeding from the seed; the run with the highest
final J is kept (the others' J are reported). ``init="auto"`` (the default) makes the first run
incremental and the others k-means++: the incremental seeding grows the mixture one component at a time
(K = 1: the pooled model; to go from j - 1 to j components, the share 1 / (2j) of annotators that their
component explains worst (lowest mean log-likelihood per comparison) seeds the new one, then hard EM
runs to convergence), so a small group that every current head explains badly gets its own component;
k-means on preference directions tends instead to split a large noisy group before it isolates a small
one (measured on harbour-sport-park 10:3:1: 2 of 10 seeds stuck with 4 k-means++ restarts, none with the
incremental run among them).

Empty components (hard EM): an E-step may leave a component with no annotator. It is re-seeded: its head is
fitted on the comparisons of the annotator its current component explains worst (lowest mean
log-likelihood per comparison), and the E-step is repeated; the re-seed is kept only if J does not drop
(else the next-worst annotator is tried, up to ``RESEED_TRIES``). A component still empty after that
keeps w_k = 0 (what the M-step gives it) and size 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from dialectic.learned._bt import L2, Pairs, fit_pairs, log_sigmoid, one_blas_thread, pair_margins, pairs_of

EStep = Literal["hard", "soft"]
Init = Literal["auto", "kmeans++", "random"]

#: Annotators tried, worst-explained first, when re-seeding an empty component.
RESEED_TRIES = 3
#: Lloyd's iterations refining the k-means++ seeding.
LLOYD_ITER = 20
#: Default EM limits.
MAX_ITER = 100
TOL = 1e-8


@dataclass
class MixtureFit:
    """The kept run of an EM fit; components are ordered by size (largest first, ties by head order)."""

    weights: np.ndarray  # (k, d) heads
    assignment: np.ndarray  # (n_annotators,) component of each annotator (the argmax of responsibilities)
    responsibilities: np.ndarray  # (n_annotators, k): one-hot for hard EM
    mixing: np.ndarray  # (k,) pi: share of annotators (hard) or mean responsibility (soft)
    loglik_trace: list[float]  # penalised objective J after each iteration, non-decreasing
    loglik: float  # unpenalised log-likelihood of the training comparisons under the final fit
    objective: float  # the final J
    sizes: np.ndarray  # (k,) annotators per component (hard assignment)
    restart_objectives: list[float] = field(default_factory=list)  # final J of every restart
    iterations: int = 0
    estep: EStep = "hard"
    converged: bool = False
    refused_drop: float = 0.0  # the decrease of J a step would have made and was refused (rounding; else 0)

    @property
    def k(self) -> int:
        return int(self.weights.shape[0])


@dataclass(frozen=True)
class _Problem:
    """The training data, prepared once for every restart: the comparisons as distinct item pairs, and two
    sparse (annotators, pairs) count matrices (comparisons of each annotator on each pair won by the pair's
    first item, and by its second), so an annotator's log-likelihood under every head is two sparse
    products and a component's pair counts are one."""

    X: np.ndarray
    pairs: Pairs
    annotator: np.ndarray
    n_annotators: int
    l2: float
    active: np.ndarray  # (n_annotators,) bool: annotators with comparisons (sizes and shares count only them)
    first_won: Any  # scipy.sparse csr (n_annotators, n_pairs)
    second_won: Any

    @classmethod
    def build(cls, X: np.ndarray, pairs: Pairs, annotator: np.ndarray, n_annotators: int, l2: float) -> _Problem:
        from scipy.sparse import csr_matrix

        shape = (n_annotators, len(pairs))
        second = pairs.second_won.astype(np.float64)
        first_won = csr_matrix((1.0 - second, (annotator, pairs.index)), shape=shape)
        second_won = csr_matrix((second, (annotator, pairs.index)), shape=shape)
        for matrix in (first_won, second_won):
            matrix.sum_duplicates()
            matrix.eliminate_zeros()
        active = np.bincount(annotator, minlength=n_annotators) > 0
        return cls(X, pairs, annotator, n_annotators, l2, active, first_won, second_won)

    def shares(self, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(sizes, shares) of the components among the active annotators."""
        sizes = np.bincount(z[self.active], minlength=k)
        return sizes, sizes / max(int(sizes.sum()), 1)

    def annotator_loglik(self, W: np.ndarray) -> np.ndarray:
        """L (n_annotators, k): each annotator's total log-likelihood under each head (a first-item win adds
        log sigmoid(m), a second-item win log sigmoid(m) - m, m the pair's margin)."""
        margins = pair_margins(self.X, W, self.pairs)
        log_first = log_sigmoid(margins)
        return np.asarray(self.first_won @ log_first + self.second_won @ (log_first - margins))

    def penalty(self, W: np.ndarray) -> float:
        return 0.5 * self.l2 * float(np.sum(W * W))

    def counts(self, R: np.ndarray) -> np.ndarray:
        """(k, 2, n_pairs): each component's pair counts (first-item wins, second-item wins), every
        annotator's comparisons weighted by its responsibility R[a, k] (one-hot for a hard assignment)."""
        return np.stack([np.asarray(self.first_won.T @ R).T, np.asarray(self.second_won.T @ R).T], axis=1)

    def hard_counts(self, z: np.ndarray, k: int) -> np.ndarray:
        R = np.zeros((self.n_annotators, k))
        R[np.arange(self.n_annotators), z] = 1.0
        return self.counts(R)

    def annotator_counts(self, a: int) -> np.ndarray:
        """(2, n_pairs): one annotator's pair counts."""
        return np.stack([self.first_won[a].toarray()[0], self.second_won[a].toarray()[0]])

    def m_step(self, counts: np.ndarray, W: np.ndarray) -> np.ndarray:
        return np.stack([fit_pairs(self.X, self.pairs, counts[k], l2=self.l2, w0=W[k])
                         for k in range(len(W))])


def _unit_directions(problem: _Problem) -> np.ndarray:
    """Each annotator's preference direction sum(x_chosen - x_rejected), unit length (zero if none)."""
    from scipy.sparse import csr_matrix

    pairs, n_pairs = problem.pairs, len(problem.pairs)
    rows = np.concatenate([np.arange(n_pairs), np.arange(n_pairs)])
    incidence = csr_matrix((np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
                            (rows, np.concatenate([pairs.first, pairs.second]))), shape=(n_pairs, len(problem.X)))
    net_items = (problem.first_won - problem.second_won) @ incidence  # (annotators, items), sparse
    directions = np.asarray(net_items @ problem.X)
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    return np.divide(directions, norms, out=np.zeros_like(directions), where=norms > 0)


def kmeanspp_assignment(directions: np.ndarray, k: int, rng: np.random.Generator,
                        candidates: np.ndarray | None = None) -> np.ndarray:
    """Greedy k-means++ seeding on the rows (centres drawn among the ``candidates`` rows, all by default:
    each new centre the best of 2 + log k draws proportional to the squared distance to the nearest centre
    so far), refined by Lloyd's iterations on the candidates; every row goes to its nearest centre."""
    pool = np.arange(len(directions)) if candidates is None else np.flatnonzero(candidates)
    points = directions[pool]
    norms = np.sum(points * points, axis=1)
    tries = 2 + int(np.log(k))

    def sq(centres: np.ndarray, of: np.ndarray = points, of_norms: np.ndarray = norms) -> np.ndarray:
        """(rows, centres) squared distances."""
        return np.maximum(of_norms[:, None] + np.sum(centres * centres, axis=1)[None, :] - 2.0 * of @ centres.T, 0.0)

    C = points[[rng.integers(len(points))]]
    nearest = sq(C)[:, 0]
    for _ in range(1, k):
        total = nearest.sum()
        picks = (rng.integers(len(points), size=tries) if total <= 0
                 else rng.choice(len(points), size=tries, p=nearest / total))
        options = np.minimum(nearest[:, None], sq(points[picks]))
        best = int(np.argmin(options.sum(axis=0)))
        C = np.vstack([C, points[picks[best]]])
        nearest = options[:, best]
    for _ in range(LLOYD_ITER):
        labels = np.argmin(sq(C), axis=1)
        moved = C.copy()
        for j in range(k):
            if np.any(labels == j):
                moved[j] = points[labels == j].mean(axis=0)
        if np.allclose(moved, C):
            break
        C = moved
    return np.argmin(sq(C, directions, np.sum(directions * directions, axis=1)), axis=1).astype(np.int64)


def incremental_assignment(problem: _Problem, k: int, max_iter: int, tol: float) -> np.ndarray:
    """The incremental seeding (module docstring): components added one at a time, each seeded by the
    annotators the current ones explain worst, hard EM to convergence in between."""
    z = np.zeros(problem.n_annotators, dtype=np.int64)
    seen = np.bincount(problem.annotator, minlength=problem.n_annotators)
    d = problem.X.shape[1]
    for j in range(2, k + 1):
        W = problem.m_step(problem.hard_counts(z, j - 1), np.zeros((j - 1, d)))
        L = problem.annotator_loglik(W)
        own = L[np.arange(len(z)), z] / np.maximum(seen, 1)
        candidates = np.flatnonzero(problem.active)
        worst = candidates[np.argsort(own[candidates], kind="stable")]
        z = z.copy()
        z[worst[: max(1, round(len(candidates) / (2 * j)))]] = j - 1
        z = _run(problem, j, z, "hard", max_iter, tol, lambda: None).assignment
    return z


def _hard_estep(L: np.ndarray, current: np.ndarray) -> np.ndarray:
    best = np.argmax(L, axis=1)
    keep = L[np.arange(len(L)), current] >= L[np.arange(len(L)), best]
    return np.where(keep, current, best).astype(np.int64)


def _hard_value(problem: _Problem, L: np.ndarray, z: np.ndarray, W: np.ndarray) -> float:
    """J of hard EM from the annotators' log-likelihoods L under the heads W."""
    return float(L[np.arange(len(z)), z].sum()) - problem.penalty(W)


def _hard_objective(problem: _Problem, W: np.ndarray, z: np.ndarray) -> float:
    return _hard_value(problem, problem.annotator_loglik(W), z, W)


def logsumexp_rows(A: np.ndarray) -> np.ndarray:
    """log sum_k exp(A[:, k]) of each row, stable (a row of -inf gives -inf)."""
    top = np.max(A, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return (top + np.log(np.sum(np.exp(A - top), axis=1, keepdims=True)))[:, 0]


def _soft_objective(problem: _Problem, W: np.ndarray, pi: np.ndarray) -> tuple[float, np.ndarray]:
    """J and the responsibilities it implies."""
    with np.errstate(divide="ignore"):
        A = problem.annotator_loglik(W) + np.log(pi)[None, :]
    total = logsumexp_rows(A)
    return float(total.sum()) - problem.penalty(W), np.exp(A - total[:, None])


def _reseed(problem: _Problem, W: np.ndarray, z: np.ndarray, objective: float, L: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Re-seed empty components (module docstring); return (W, z, J, L), never with a lower J."""
    k = len(W)
    seen = np.bincount(problem.annotator, minlength=problem.n_annotators)
    for empty in np.flatnonzero(problem.shares(z, k)[0] == 0):
        own = L[np.arange(len(z)), z] / np.maximum(seen, 1)
        candidates = [int(a) for a in np.argsort(own, kind="stable") if seen[a] > 0][:RESEED_TRIES]
        for a in candidates:
            trial = W.copy()
            trial[empty] = fit_pairs(problem.X, problem.pairs, problem.annotator_counts(a), l2=problem.l2)
            L_trial = problem.annotator_loglik(trial)
            moved = _hard_estep(L_trial, z)
            value = _hard_value(problem, L_trial, moved, trial)
            if value >= objective and np.any(moved[problem.active] == empty):
                W, z, objective, L = trial, moved, value, L_trial
                break
    return W, z, objective, L


def _run(problem: _Problem, k: int, z0: np.ndarray, estep: EStep, max_iter: int, tol: float,
         tick: Callable[[], None]) -> MixtureFit:
    d = problem.X.shape[1]
    W = problem.m_step(problem.hard_counts(z0, k), np.zeros((k, d)))
    converged = False
    refused_drop = 0.0
    iterations = 0
    if estep == "hard":
        z = z0
        L = problem.annotator_loglik(W)
        J = _hard_value(problem, L, z, W)
        trace = [J]
        for _ in range(max_iter):
            iterations += 1
            tick()
            z_new = _hard_estep(L, z)
            W_new, z_new, _, L_new = _reseed(problem, W, z_new, _hard_value(problem, L, z_new, W), L)
            if np.array_equal(z_new, z) and np.array_equal(W_new, W):
                converged = True
                break
            W_new = problem.m_step(problem.hard_counts(z_new, k), W_new)
            L_new = problem.annotator_loglik(W_new)
            J_new = _hard_value(problem, L_new, z_new, W_new)
            if J_new < J:  # only by rounding: keep the better state and stop
                converged, refused_drop = True, J - J_new
                break
            W, z, L = W_new, z_new, L_new
            trace.append(J_new)
            if J_new - J < tol * (1.0 + abs(J)):
                converged = True
                J = J_new
                break
            J = J_new
        # The returned assignment is the E-step of the returned heads (what a seen annotator keeps).
        z_final = _hard_estep(L, z)
        J_final = _hard_value(problem, L, z_final, W)
        if not np.array_equal(z_final, z) and J_final >= J:
            z, J = z_final, J_final
            trace.append(J)
        R = np.eye(k)[z]
        pi = problem.shares(z, k)[1]
    else:
        pi = problem.shares(z0, k)[1]
        J, R = _soft_objective(problem, W, pi)
        trace = [J]
        for _ in range(max_iter):
            iterations += 1
            tick()
            pi_new = R[problem.active].mean(axis=0)
            W_new = problem.m_step(problem.counts(R), W)
            J_new, R_new = _soft_objective(problem, W_new, pi_new)
            if J_new < J:
                converged, refused_drop = True, J - J_new
                break
            W, pi, R = W_new, pi_new, R_new
            trace.append(J_new)
            improved = J_new - J
            J = J_new
            if improved < tol * (1.0 + abs(J)):
                converged = True
                break
        z = np.argmax(R, axis=1).astype(np.int64)
    loglik = J + problem.penalty(W)  # hard: sum_a L[a, z_a]; soft: the mixture log-likelihood
    return MixtureFit(weights=W, assignment=z, responsibilities=R, mixing=np.asarray(pi, dtype=np.float64),
                      loglik_trace=trace, loglik=loglik, objective=J,
                      sizes=problem.shares(z, k)[0], iterations=iterations, estep=estep, converged=converged,
                      refused_drop=refused_drop)


def _ordered(fit: MixtureFit) -> MixtureFit:
    """Components by size, largest first (ties: head order), so labels do not depend on the seeding."""
    order = np.lexsort((np.arange(fit.k), -fit.sizes))
    inverse = np.empty_like(order)
    inverse[order] = np.arange(fit.k)
    fit.weights = fit.weights[order]
    fit.responsibilities = fit.responsibilities[:, order]
    fit.mixing = fit.mixing[order]
    fit.sizes = fit.sizes[order]
    fit.assignment = inverse[fit.assignment]
    return fit


def fit_mixture(X: np.ndarray, chosen: np.ndarray, rejected: np.ndarray, annotator: np.ndarray,
                n_annotators: int, k: int, *, estep: EStep = "hard", restarts: int = 4, seed: int = 0,
                init: Init = "auto", l2: float = L2, max_iter: int = MAX_ITER, tol: float = TOL,
                progress: bool = False) -> MixtureFit:
    """EM mixture of ``k`` Bradley-Terry heads over annotators (module docstring). ``annotator[n]`` is the
    annotator (0..n_annotators-1) of comparison n. Deterministic under ``seed``; ``progress`` shows a bar on
    stderr when it is a terminal."""
    X = np.asarray(X, dtype=np.float64)
    annotator = np.asarray(annotator, dtype=np.int64)
    if k < 1:
        raise ValueError(f"k must be at least 1, found {k}")
    if restarts < 1:
        raise ValueError(f"restarts must be at least 1, found {restarts}")
    if estep not in ("hard", "soft"):
        raise ValueError(f"estep must be 'hard' or 'soft', found {estep!r}")
    pairs = pairs_of(chosen, rejected, len(X))
    if annotator.shape != pairs.index.shape:
        raise ValueError("annotator must give one annotator per comparison")
    if len(annotator) and (annotator.min() < 0 or annotator.max() >= n_annotators):
        raise ValueError(f"annotator indices must lie in [0, {n_annotators})")
    active = np.bincount(annotator, minlength=n_annotators) > 0
    if k > int(active.sum()):
        raise ValueError(f"k = {k} components need at least {k} annotators with comparisons; found "
                         f"{int(active.sum())}")
    problem = _Problem.build(X, pairs, annotator, n_annotators, l2)
    if init not in ("auto", "kmeans++", "random"):
        raise ValueError(f"init must be 'auto', 'kmeans++' or 'random', found {init!r}")
    directions = _unit_directions(problem) if init != "random" else None
    streams = np.random.SeedSequence(seed).spawn(restarts)
    best: MixtureFit | None = None
    objectives: list[float] = []
    with one_blas_thread(), _progress(progress, restarts * max_iter, f"EM k={k}") as tick:
        for run, stream in enumerate(streams):
            rng = np.random.default_rng(stream)
            if init == "auto" and run == 0:
                z0 = incremental_assignment(problem, k, max_iter, tol)
            elif directions is not None:
                z0 = kmeanspp_assignment(directions, k, rng, active)
            else:
                z0 = rng.integers(k, size=n_annotators).astype(np.int64)
            fit = _run(problem, k, z0, estep, max_iter, tol, tick)
            objectives.append(fit.objective)
            if best is None or fit.objective > best.objective:
                best = fit
    assert best is not None
    best.restart_objectives = objectives
    return _ordered(best)


class _progress:
    """A rich progress bar on stderr while fitting, quiet when not a terminal or not asked for."""

    def __init__(self, enabled: bool, total: int, label: str):
        self.enabled = enabled
        self.total = total
        self.label = label
        self.bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import Progress

        console = Console(stderr=True)
        if not console.is_terminal:
            return lambda: None
        self.bar = Progress(console=console, transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        bar = self.bar
        return lambda: bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
