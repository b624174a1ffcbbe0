"""The step lattice of a continuous space: its values, indices, size, domain and text.

A continuous space's issues are numeric ranges [low, high] with a lattice step (the dialogue moves on
low + k * step); with `total`, the values sum to it, and every issue then shares one step, so the
lattice is the set of whole-step compositions of the total. Pure maths on the spec's numbers: the
scenario's checks (dialectic/scenario/_continuous.py) turn its errors into located scenario errors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from dialectic.space._polytope import Domain

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.scenario import ContinuousIssue, ContinuousSpaceSpec, QuadraticReward

#: A value is on the lattice when it is within this many steps of a lattice point.
LATTICE_TOL = 1e-9


class LatticeError(ValueError):
    """A point that is not on the lattice: where, what was expected there and what was found (the
    scenario loader reports the same three as a located error)."""

    def __init__(self, where: str, expected: str, found: object):
        self.where, self.expected, self.found = where, expected, str(found)
        super().__init__(f"{where}: expected {expected}, found {self.found}")


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
    if units < 0:
        return 0
    ways = [1] + [0] * units  # ways[m]: compositions of m steps over the issues seen so far
    for count in counts:
        # ways'[m] = sum of ways[m - k] for k in 0..count-1: a window sum, from prefix sums (linear in units; the
        # plain double loop took 30 s on a fuzzed file whose one issue spans 20,000 steps)
        prefix = list(itertools.accumulate(ways, initial=0))  # prefix[m] = ways[0] + ... + ways[m - 1]
        ways = [prefix[m + 1] - prefix[max(0, m + 1 - count)] for m in range(units + 1)]
    return ways[units]


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


def lattice_point(space: ContinuousSpaceSpec, named: Mapping[str, object], where: str) -> tuple[int, ...]:
    """The lattice indices of {issue: number}; LatticeError unless every issue is named once, on its
    lattice, and (with a total) the values sum to it."""
    ids = [issue.id for issue in space.issues]
    missing = [i for i in ids if i not in named]
    unknown = [i for i in named if i not in ids]
    if missing or unknown:
        raise LatticeError(where, f"a number for each issue ({', '.join(ids)})", f"missing {missing}, unknown {unknown}")
    picked = []
    for issue in space.issues:
        raw = named[issue.id]
        number = parse_number(raw)
        k = None if number is None else lattice_index(issue, number)
        if k is None:
            raise LatticeError(f"{where}.{issue.id}", f"a number on the lattice {format_value(issue.low)}, "
                               f"{format_value(issue.low + issue.step)}, ..., {format_value(issue.high)}", repr(raw))
        picked.append(k)
    units = total_units(space)
    if units is not None and sum(picked) != units:
        assert space.total is not None
        values = sum(lattice_value(issue, k) for issue, k in zip(space.issues, picked, strict=True))
        raise LatticeError(where, f"values summing to {space.total:g}", f"a sum of {values:.12g}")
    return tuple(picked)
