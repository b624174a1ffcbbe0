"""Conformance checks any strategy can run on itself: determinism and the information boundary."""

from dialectic.conformance._boundary import BoundaryReport, ConformanceError, check_boundary
from dialectic.conformance._check import check_determinism, check_strategy
from dialectic.conformance._perturb import OthersRandomised, perturb_others

__all__ = [
    "BoundaryReport",
    "ConformanceError",
    "OthersRandomised",
    "check_boundary",
    "check_determinism",
    "check_strategy",
    "perturb_others",
]
