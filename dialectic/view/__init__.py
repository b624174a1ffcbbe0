"""`dialectic view DIR`: a local web server listing the runs and bench stores under DIR (scenario,
strategy, seed, label; filterable) and serving each run's report, never a file outside DIR.

The names below load on first use, so mounting the command (`dialectic.view.command`) loads no server."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialectic.view._index import Entry, Index, Refused, resolve
    from dialectic.view._server import Viewer, make_server

__all__ = ["Entry", "Index", "Refused", "Viewer", "make_server", "resolve"]

_WHERE = {"Entry": "_index", "Index": "_index", "Refused": "_index", "resolve": "_index", "Viewer": "_server",
          "make_server": "_server"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"dialectic.view.{_WHERE[name]}"), name)
