"""Rational (no LLM) policies, deterministic given the run's seed."""

from dialectic.strategies.rational import (  # noqa: F401  (registers them)
    concession,
    controls,
    critic,
    dialectical,
    fair,
    literature,
)
