"""The space of a scenario's space spec, by kind."""

from __future__ import annotations

from dialectic.scenario import ContinuousSpaceSpec, DiscreteSpaceSpec, StatementPoolSpec
from dialectic.space._continuous import ContinuousSpace
from dialectic.space._discrete import DiscreteSpace
from dialectic.space._statements import StatementSpace


def build_space(spec: DiscreteSpaceSpec | StatementPoolSpec | ContinuousSpaceSpec) -> DiscreteSpace:
    """DiscreteSpace, StatementSpace or ContinuousSpace (all enumerate outcomes as option-index tuples)."""
    if isinstance(spec, StatementPoolSpec):
        return StatementSpace(spec)
    if isinstance(spec, ContinuousSpaceSpec):
        return ContinuousSpace(spec)
    return DiscreteSpace(spec)
