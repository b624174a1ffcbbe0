"""`dialectic report`: traces, trace folders and bench stores as one self-contained HTML page (the
dialogue timeline with filters, utilities per turn, the acceptability matrix, welfare against the
max-min oracle, utility space with the Pareto frontier, LLM candidates and prompts, leaderboards).

`render_report` loads on first use, so mounting the command (`dialectic.report.command`) stays light."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialectic.report._render import render_report

__all__ = ["render_report"]


def __getattr__(name: str) -> Any:
    if name != "render_report":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module("dialectic.report._render"), name)
