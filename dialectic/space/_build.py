"""The space of a scenario's space spec, by kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialectic.space._continuous import ContinuousSpace
from dialectic.space._discrete import DiscreteSpace
from dialectic.space._statements import StatementSpace

if TYPE_CHECKING:  # pragma: no cover
    from dialectic.scenario import ContinuousSpaceSpec, DiscreteSpaceSpec, StatementPoolSpec


def build_space(spec: DiscreteSpaceSpec | StatementPoolSpec | ContinuousSpaceSpec) -> DiscreteSpace:
    """DiscreteSpace, StatementSpace or ContinuousSpace (all enumerate outcomes as option-index tuples),
    by the spec's `kind` ('statements', 'continuous', else discrete), so the space needs no scenario class."""
    if spec.kind == "statements":
        return StatementSpace(spec)
    if spec.kind == "continuous":
        return ContinuousSpace(spec)
    return DiscreteSpace(spec)
