"""`dialectic show TRACE`: a saved trace in the terminal (or as JSON), turn by turn, with each group's
utilities against its reservation, an LLM move's candidates, where a cut-off trace stops, and the
evaluation with the evidence for its label.

The names below load on first use, so mounting the command (`dialectic.show.command`) does not load
the evaluator when the CLI starts."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialectic.show._content import Filters, show_content
    from dialectic.show._render import print_show, sanitized

__all__ = ["Filters", "print_show", "sanitized", "show_content"]

_WHERE = {"Filters": "_content", "show_content": "_content", "print_show": "_render", "sanitized": "_render"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"dialectic.show.{_WHERE[name]}"), name)
