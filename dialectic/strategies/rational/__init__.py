"""Rational (no LLM) policies, deterministic given the run's seed."""

from dialectic.strategies.rational import concession, controls, dialectical, literature  # noqa: F401  (registers them)
