"""Mediators: they hold every group's reward model and propose settlements."""

from dialectic.strategies.mediators import (  # noqa: F401  (registers them)
    aggregate,
    critique,
    dialectical,
    dvao,
    election,
    kalai_smorodinsky,
)
from dialectic.strategies.rational import suggested  # noqa: F401  (registers `receptive`, the dialectical mediator's cast)
