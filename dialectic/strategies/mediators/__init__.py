"""Mediators: they hold every group's reward model and propose settlements."""

from dialectic.strategies.mediators import aggregate  # noqa: F401  (registers them)
