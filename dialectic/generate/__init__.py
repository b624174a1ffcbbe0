"""Generated scenarios: seeded random discrete scenarios (`dialectic scenario generate`) and families of
them (`dialectic scenario family minority`). Every file states its generator, version, seed and
parameters (the scenario's `generated` block)."""

from dialectic.generate._draw import (
    AUTO_FRACTION,
    GENERATOR,
    VERSION,
    GenerateError,
    Spec,
    draw_points,
    generate,
    scenario_text,
)
from dialectic.generate._family import CONFLICTS, SHARES, minority_family

__all__ = [
    "AUTO_FRACTION",
    "CONFLICTS",
    "GENERATOR",
    "SHARES",
    "VERSION",
    "GenerateError",
    "Spec",
    "draw_points",
    "generate",
    "minority_family",
    "scenario_text",
]
