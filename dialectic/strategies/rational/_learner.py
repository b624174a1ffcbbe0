"""Inferring another group's priorities from the public record alone.

A group is modelled as additive with a threshold, in the evaluator's units: a weight per option, the
options of issue i in [0, top_i] with sum_i top_i = 1 (its best outcome scores 1), and a threshold t
in [0, 1]; it tolerates (accepts) x iff score(x) >= t. Its opening view, if it was its own (not the
opening proposal it had to table), holds its best option on every issue, whose weight is then top_i
itself. Every public yes of the group is a constraint score(x) >= t, every no score(x) < t: together
they cut the prior box down to the models that agree with everything it said (its version space).

The learner keeps a Gaussian approximation of the uniform distribution over that version space,
fitted by expectation propagation with one site per constraint (as in Cunningham, Hennig and
Lacoste-Julien, "Gaussian probabilities and expectation propagation", 2011), and predicts for any
outcome the probability that the group tolerates it. Stances get a little probit noise, so a group
that no additive model explains (its threshold moves, say) blurs the fit instead of breaking it.
Everything is deterministic: the same record gives the same prediction.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import log_ndtr, ndtr

from dialectic.space import DiscreteSpace, Outcome

#: A "no" scores at least this far below the threshold (normalised utility).
NO_MARGIN = 1e-3
#: Probit noise on stances (normalised utility): a stance this close to the threshold may be a slip.
STANCE_NOISE = 0.01
#: Damped parallel EP sweeps: for the prior box once per layout, and after each new batch of stances.
PRIOR_SWEEPS, UPDATE_SWEEPS, DAMPING = 30, 2, 0.5
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_MAX_SITE_PRECISION = 1e10


class _Sites:
    """Damped parallel expectation propagation for a Gaussian prior N(0, I) on u truncated to the
    constraints g_j . u <= c_j (each blurred by its probit noise variance)."""

    def __init__(self, g: np.ndarray, c: np.ndarray, noise: np.ndarray, tau: np.ndarray, nu: np.ndarray):
        self.g, self.c, self.noise, self.tau, self.nu = g, c, noise, tau, nu
        self._identity = np.eye(g.shape[1])
        self._posterior()

    def _posterior(self) -> None:
        precision = self._identity + (self.g.T * self.tau) @ self.g
        self.cov = np.linalg.inv(precision)
        self.mean = self.cov @ (self.g.T @ self.nu)

    def sweep(self, sweeps: int) -> None:
        g, c, noise = self.g, self.c, self.noise
        for _ in range(sweeps):
            mean = g @ self.mean
            # A constraint the parameters cannot move (a zero row: e.g. a one-issue space, whose single
            # top weight the normalisation fixes) has no variance and is left without a site.
            spread = ((g @ self.cov) * g).sum(axis=1)
            degenerate = spread <= 1e-14
            var = np.where(degenerate, 1.0, spread)
            cavity_precision = 1.0 / var - self.tau
            ok = (cavity_precision > 1e-12) & ~degenerate  # no proper cavity: the site is left as it is
            if not ok.all():
                cavity_precision = np.where(ok, cavity_precision, 1.0 / var)
            cav_var = 1.0 / cavity_precision
            cav_mean = cav_var * (mean / var - self.nu)
            scale = np.sqrt(cav_var + noise)
            alpha = (c - cav_mean) / scale
            ratio = np.exp(-0.5 * alpha**2 - _LOG_SQRT_2PI - log_ndtr(alpha))  # phi(alpha) / Phi(alpha)
            tilted_mean = cav_mean - cav_var * ratio / scale
            tilted_var = np.maximum(cav_var - cav_var**2 * ratio * (alpha + ratio) / scale**2, 1e-12)
            tau = np.clip(1.0 / tilted_var - cavity_precision, 0.0, _MAX_SITE_PRECISION)
            nu = (tilted_mean / tilted_var - cav_mean * cavity_precision) * (tau > 0.0)
            if not ok.all():
                tau, nu = np.where(ok, tau, self.tau), np.where(ok, nu, self.nu)
            self.tau = (1.0 - DAMPING) * self.tau + DAMPING * tau
            self.nu = (1.0 - DAMPING) * self.nu + DAMPING * nu
            self._posterior()


class _Layout:
    """The parameters of one model shape and its prior box, fitted once and shared (read-only).

    Parameters z: a weight per option that is not a known best (issue by issue), then top_i per
    issue, then the threshold t. Box: 0 <= w <= top_i, top_i >= 0, 0 <= t <= 1, and sum_i top_i = 1,
    kept exactly by writing z = centre + basis @ u."""

    def __init__(self, free_per_issue: tuple[int, ...]):
        n_issues = len(free_per_issue)
        issue_of = np.repeat(np.arange(n_issues), free_per_issue)
        n_free = len(issue_of)
        self.tops = np.arange(n_free, n_free + n_issues)
        self.threshold = n_free + n_issues
        dim = self.threshold + 1
        m = 2 * n_free + n_issues + 2
        rows, bounds = np.zeros((m, dim)), np.zeros(m)
        free = np.arange(n_free)
        rows[free, free] = -1.0
        rows[n_free + free, free] = 1.0
        rows[n_free + free, self.tops[issue_of]] = -1.0
        rows[2 * n_free + np.arange(n_issues), self.tops] = -1.0
        rows[m - 2, self.threshold] = -1.0
        rows[m - 1, self.threshold] = 1.0
        bounds[m - 1] = 1.0
        centre = np.zeros(dim)
        centre[self.tops] = 1.0 / n_issues
        centre[free] = 0.5 / n_issues
        centre[self.threshold] = 0.5
        equality = np.zeros((1, dim))
        equality[0, self.tops] = 1.0
        self.basis = np.linalg.svd(equality)[2][1:].T  # (dim, dim - 1), orthogonal to the equality
        self.centre = centre
        fit = _Sites(rows @ self.basis, bounds - rows @ centre, np.zeros(m), np.zeros(m), np.zeros(m))
        fit.sweep(PRIOR_SWEEPS)
        self.prior = fit
        for array in (self.basis, self.centre, fit.g, fit.c, fit.noise, fit.tau, fit.nu):
            array.flags.writeable = False


@lru_cache(maxsize=32)
def _layout(free_per_issue: tuple[int, ...]) -> _Layout:
    return _Layout(free_per_issue)


class AcceptanceModel:
    """What one observer believes about one other group's acceptance, from that group's stances."""

    def __init__(self, space: DiscreteSpace, best: Outcome | None):
        radix = [int(r) for r in space.radix]
        self.layout = layout = _layout(tuple(r - (best is not None) for r in radix))
        self.offsets = np.concatenate([[0], np.cumsum(radix)[:-1]]).astype(np.int64)
        self.column = np.empty(sum(radix), dtype=np.int64)
        free = 0
        for issue, r in enumerate(radix):
            for option in range(r):
                if best is not None and best[issue] == option:
                    self.column[self.offsets[issue] + option] = layout.tops[issue]
                else:
                    self.column[self.offsets[issue] + option] = free
                    free += 1
        self.data: dict[Outcome, bool] = {}
        self.fit = layout.prior

    def _linear(self, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """score(x) - t of each outcome as h @ u + h0."""
        cols = self.column[outcomes + self.offsets[None, :]]
        basis, centre, t = self.layout.basis, self.layout.centre, self.layout.threshold
        return basis[cols].sum(axis=1) - basis[t], centre[cols].sum(axis=1) - centre[t]

    def update(self, data: dict[Outcome, bool]) -> None:
        """Condition on the group's latest stances (outcome -> yes); unchanged stances keep their sites."""
        if data == self.data:
            return
        prior, fit = self.layout.prior, self.fit
        p = len(prior.c)
        state = {x: (tau, nu) for x, tau, nu in zip(self.data, fit.tau[p:], fit.nu[p:], strict=True)
                 if data.get(x) == self.data[x]}
        self.data = dict(data)
        yes = np.array(list(data.values()), dtype=bool)
        h, h0 = self._linear(np.array(list(data), dtype=np.int64))
        sign = np.where(yes, -1.0, 1.0)  # yes: t - score <= 0; no: score - t <= -NO_MARGIN
        kept = np.array([state.get(x, (0.0, 0.0)) for x in data]).reshape(-1, 2)
        self.fit = _Sites(
            np.vstack([prior.g, h * sign[:, None]]),
            np.concatenate([prior.c, np.where(yes, 0.0, -NO_MARGIN) - h0 * sign]),
            np.concatenate([prior.noise, np.full(len(data), STANCE_NOISE**2)]),
            np.concatenate([fit.tau[:p], kept[:, 0]]),
            np.concatenate([fit.nu[:p], kept[:, 1]]),
        )
        self.fit.sweep(UPDATE_SWEEPS)

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        """The group's expected score of each outcome under the fitted model (its best outcome scores 1):
        an estimate of its normalised utility, from its public stances alone."""
        cols = self.column[np.asarray(outcomes, dtype=np.int64) + self.offsets[None, :]]
        weights = self.layout.centre + self.layout.basis @ self.fit.mean
        return np.asarray(weights[cols].sum(axis=1))

    def tolerance(self, outcomes: np.ndarray) -> np.ndarray:
        """Probability that the group tolerates each outcome (rows of option indices)."""
        h, h0 = self._linear(np.asarray(outcomes, dtype=np.int64))
        mean = h0 + h @ self.fit.mean
        var = ((h @ self.fit.cov) * h).sum(axis=1)
        return ndtr(mean / np.sqrt(np.maximum(var, 1e-18)))
