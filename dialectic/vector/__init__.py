"""Vectorised rational runs: many dialogues (one scenario and card, different seeds) advanced together,
one LangGraph step per turn of every live dialogue, so the graph's per-step cost is paid once per batch
(as reinforcement learning's vector environments step many environments at once)."""

from dialectic.vector._run import arun_vector, build_vector_graph, run_vector

__all__ = ["arun_vector", "build_vector_graph", "run_vector"]
