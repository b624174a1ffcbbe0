"""Checks of continuous spaces and their rewards, with errors located as every scenario error is.

A continuous space's issues are numeric ranges [low, high] with a lattice step (the dialogue moves on
low + k * step); with `total`, the values sum to it, and every issue then shares one step, so the
lattice is the set of whole-step compositions of the total. Rewards are `linear` or `quadratic`; their
range over the continuous domain is computed exactly (dialectic/space/_polytope.py), and a
reservation must be reachable on the lattice, since the dialogue can only propose lattice points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from dialectic.scenario._schema import (
    ContinuousSpaceSpec,
    LinearReward,
    QuadraticReward,
    _fail,
)
from dialectic.space._lattice import (
    LATTICE_TOL,
    LatticeError,
    domain,
    lattice_point,
    lattice_size,
    quadratic_terms,
    steps,
    total_units,
)
from dialectic.space._polytope import MAX_SIMPLEX_ISSUES, lattice_quadratic_max

# The lattice maths lives in dialectic.space (the lower layer); here its checks become located errors.


def check_space(space: ContinuousSpaceSpec) -> None:
    ids = [issue.id for issue in space.issues]
    if len(set(ids)) != len(ids):
        raise _fail("space.issues", "distinct issue ids", ids)
    for k, issue in enumerate(space.issues):
        if not issue.high > issue.low:
            raise _fail(f"space.issues[{k}].high", f"a number above low ({issue.low:g})", f"{issue.high:g}")
        position = (issue.high - issue.low) / issue.step
        if abs(position - round(position)) > LATTICE_TOL * max(1.0, position):
            raise _fail(f"space.issues[{k}].step", f"a step dividing high - low ({issue.high - issue.low:g}) "
                        "into whole steps", f"{issue.step:g} ({position:.6g} steps)")
    if space.total is None:
        return
    first = space.issues[0].step
    if any(not math.isclose(issue.step, first, rel_tol=1e-12) for issue in space.issues):
        raise _fail("space.issues[*].step", "one step for every issue when the values sum to a total",
                    {issue.id: issue.step for issue in space.issues})
    if len(space.issues) > MAX_SIMPLEX_ISSUES:
        raise _fail("space.issues", f"at most {MAX_SIMPLEX_ISSUES} issues when the values sum to a total",
                    f"{len(space.issues)} issues")
    lows, highs = sum(i.low for i in space.issues), sum(i.high for i in space.issues)
    if not lows - LATTICE_TOL * first <= space.total <= highs + LATTICE_TOL * first:
        raise _fail("space.total", f"a total between the sum of the lows and of the highs ({lows:g} to {highs:g})",
                    f"{space.total:g}")
    units = (space.total - lows) / first
    if abs(units - round(units)) > LATTICE_TOL * max(1.0, units):
        raise _fail("space.total", f"a total on the lattice: the sum of the lows ({lows:g}) plus whole steps "
                    f"of {first:g}", f"{space.total:g}")
    if lattice_size(space) < 2:
        raise _fail("space.total", "a total that leaves at least two lattice points", f"{space.total:g}")


def _issue_weights(space: ContinuousSpaceSpec, named: Mapping[str, float], where: str) -> None:
    ids = [issue.id for issue in space.issues]
    unknown = [i for i in named if i not in ids]
    if unknown:
        raise _fail(where, f"issues of the space ({', '.join(ids)})", f"unknown {unknown}")


def reward_range(
    space: object, reward: object, reservation: float, where: str,
) -> tuple[float, float]:
    """Check a linear or quadratic reward and its group's reservation; return (worst over the domain,
    best on the lattice)."""
    if not isinstance(space, ContinuousSpaceSpec):
        raise _fail(f"{where}.kind", "'linear' and 'quadratic' rewards only in a continuous space",
                    f"a {getattr(space, 'kind', 'discrete')} space")
    if not isinstance(reward, LinearReward | QuadraticReward):
        raise _fail(f"{where}.kind", "'linear' or 'quadratic' in a continuous space", repr(getattr(reward, "kind", "")))
    ids = [issue.id for issue in space.issues]
    box = domain(space)
    if isinstance(reward, LinearReward):
        _issue_weights(space, reward.weights, f"{where}.weights")
        c = np.array([reward.weights.get(i, 0.0) for i in ids])
        worst = box.linear_min(c)[0] + reward.constant
        # Every vertex of the domain is a lattice point, so the lattice reaches the linear best.
        best = lattice_best = box.linear_max(c)[0] + reward.constant
    else:
        _issue_weights(space, reward.weights, f"{where}.weights")
        _issue_weights(space, reward.ideal, f"{where}.ideal")
        if not reward.weights:
            raise _fail(f"{where}.weights", "at least one weighted issue", "none")
        for issue_id, weight in reward.weights.items():
            if not weight > 0 or not math.isfinite(weight):
                raise _fail(f"{where}.weights.{issue_id}", "a weight above 0", weight)
        missing = [i for i in reward.weights if i not in reward.ideal]
        unweighted = [i for i in reward.ideal if i not in reward.weights]
        if missing:
            raise _fail(f"{where}.ideal", "an ideal value for every weighted issue", f"missing {missing}")
        if unweighted:
            raise _fail(f"{where}.weights", "a weight for every issue with an ideal value", f"missing {unweighted}")
        for issue in space.issues:
            value = reward.ideal.get(issue.id)
            if value is not None and not issue.low <= value <= issue.high:
                raise _fail(f"{where}.ideal.{issue.id}", f"a value in [{issue.low:g}, {issue.high:g}]", value)
        b, q, constant = quadratic_terms(space, reward)
        worst = box.quadratic_min(b, q)[0] + constant
        best = box.quadratic_max(b, q)[0] + constant
        lattice_best = lattice_quadratic_max(
            b, q, box.low, np.array([steps(i) for i in space.issues]), np.array([i.step for i in space.issues]),
            total_units(space),
        )[0] + constant
    if reservation > lattice_best:
        group = where.removesuffix(".reward")
        raise _fail(f"{group}.reservation", f"a reservation reachable on the step lattice (at most the best reward "
                    f"there, {lattice_best:g}; over the continuous domain {best:g})", f"{reservation:g}")
    return worst, lattice_best


def check_point(space: ContinuousSpaceSpec, named: Mapping[str, object], where: str) -> tuple[int, ...]:
    """The lattice indices of {issue: number}; a located error unless every issue is named once, on
    its lattice, and (with a total) the values sum to it."""
    try:
        return lattice_point(space, named, where)
    except LatticeError as problem:
        raise _fail(problem.where, problem.expected, problem.found) from None
