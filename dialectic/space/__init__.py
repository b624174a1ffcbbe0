"""Outcome spaces: what can be agreed, and how far apart two positions are."""

from dialectic.space._build import build_space
from dialectic.space._continuous import ContinuousSpace
from dialectic.space._discrete import ENUMERATION_LIMIT, DiscreteSpace, Outcome
from dialectic.space._statements import StatementSpace

__all__ = ["ENUMERATION_LIMIT", "ContinuousSpace", "DiscreteSpace", "Outcome", "StatementSpace", "build_space"]
