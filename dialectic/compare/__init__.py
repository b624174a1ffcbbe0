"""`dialectic compare TRACE_A TRACE_B`: the same scenario and seed under two strategies side by side, turn
by turn aligned by round, and the differences of their evaluations; refuses traces of different scenarios
or seeds.

The names below load on first use, so mounting the command (`dialectic.compare.command`) does not load the
evaluator when the CLI starts."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialectic.compare._content import CompareError, check_comparable, compare_content, differences
    from dialectic.compare._html import compare_html
    from dialectic.compare._render import print_compare

__all__ = ["CompareError", "check_comparable", "compare_content", "compare_html", "differences", "print_compare"]

_WHERE = {"CompareError": "_content", "check_comparable": "_content", "compare_content": "_content",
          "differences": "_content", "compare_html": "_html", "print_compare": "_render"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"dialectic.compare.{_WHERE[name]}"), name)
