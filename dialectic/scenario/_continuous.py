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
from typing import TYPE_CHECKING

import numpy as np

from dialectic.scenario._schema import (
    ContinuousIssue,
    ContinuousSpaceSpec,
    LinearReward,
    QuadraticReward,
    _fail,
)

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.space._polytope import Domain

# dialectic.space imports this module, so its geometry is imported where it is used.

#: A value is on the lattice when it is within this many steps of a lattice point.
LATTICE_TOL = 1e-9


def steps(issue: ContinuousIssue) -> int:
    """Number of steps from low to high (the issue has steps + 1 lattice values)."""
    return round((issue.high - issue.low) / issue.step)


def lattice_value(issue: ContinuousIssue, k: int) -> float:
    return issue.low + k * issue.step if k < steps(issue) else issue.high


def lattice_index(issue: ContinuousIssue, value: float) -> int | None:
    """k with low + k * step == value (within LATTICE_TOL steps), or None off the lattice."""
    position = (value - issue.low) / issue.step
    k = round(position)
    if abs(position - k) > LATTICE_TOL or not 0 <= k <= steps(issue):
        return None
    return int(k)


def format_value(value: float) -> str:
    """The shortest text that reads back as the value to 12 significant digits ('0.35', not 0.35000000000000003)."""
    text = f"{value:.12g}"
    return "0" if text == "-0" else text


def domain(space: ContinuousSpaceSpec) -> Domain:
    from dialectic.space._polytope import Domain
    return Domain(np.array([i.low for i in space.issues]), np.array([i.high for i in space.issues]), space.total)


def total_units(space: ContinuousSpaceSpec) -> int | None:
    """With a total: how many steps the values take above their lows together."""
    if space.total is None:
        return None
    return round((space.total - sum(i.low for i in space.issues)) / space.issues[0].step)


def lattice_size(space: ContinuousSpaceSpec) -> int:
    counts = [steps(i) + 1 for i in space.issues]
    units = total_units(space)
    if units is None:
        return math.prod(counts)
    ways = [1] + [0] * units  # ways[m]: compositions of m steps over the issues seen so far
    for count in counts:
        ways = [sum(ways[m - k] for k in range(min(count - 1, m) + 1)) for m in range(units + 1)]
    return ways[units]


def check_space(space: ContinuousSpaceSpec) -> None:
    from dialectic.space._polytope import MAX_SIMPLEX_ISSUES

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
    from dialectic.space._polytope import lattice_quadratic_max

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


def quadratic_terms(space: ContinuousSpaceSpec, reward: QuadraticReward) -> tuple[np.ndarray, np.ndarray, float]:
    """r(x) = b.x - q.(x*x) + constant for r(x) = -sum_i w_i (x_i - a_i)^2."""
    ids = [issue.id for issue in space.issues]
    w = np.array([reward.weights.get(i, 0.0) for i in ids])
    a = np.array([reward.ideal.get(i, 0.0) for i in ids])
    return 2 * w * a, w, -float(w @ (a * a))


def parse_number(value: object) -> float | None:
    """A finite number from YAML or a trace (a number, or its text); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def check_point(space: ContinuousSpaceSpec, named: Mapping[str, object], where: str) -> tuple[int, ...]:
    """The lattice indices of {issue: number}; a located error unless every issue is named once, on
    its lattice, and (with a total) the values sum to it."""
    ids = [issue.id for issue in space.issues]
    missing = [i for i in ids if i not in named]
    unknown = [i for i in named if i not in ids]
    if missing or unknown:
        raise _fail(where, f"a number for each issue ({', '.join(ids)})", f"missing {missing}, unknown {unknown}")
    picked = []
    for issue in space.issues:
        raw = named[issue.id]
        number = parse_number(raw)
        k = None if number is None else lattice_index(issue, number)
        if k is None:
            raise _fail(f"{where}.{issue.id}", f"a number on the lattice {format_value(issue.low)}, "
                        f"{format_value(issue.low + issue.step)}, ..., {format_value(issue.high)}", repr(raw))
        picked.append(k)
    units = total_units(space)
    if units is not None and sum(picked) != units:
        assert space.total is not None
        values = sum(lattice_value(issue, k) for issue, k in zip(space.issues, picked, strict=True))
        raise _fail(where, f"values summing to {space.total:g}", f"a sum of {values:.12g}")
    return tuple(picked)
