"""The metrics registry: `@metric("name", "one-line definition")` on a function of the shared
`Context` that returns a JSON-able value (None, bool, int, float, str, lists and str-keyed dicts).

Every module of `dialectic.evaluate.metrics` is imported by `load_metrics()`, so adding a metric is
one new file there and nothing else. Metrics whose name is a field of `Evaluation` fill that field;
every other metric goes to `Evaluation.metrics[name]`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dialectic.evaluate._context import Context
from dialectic.registry import Registry

Compute = Callable[[Context], Any]


@dataclass(frozen=True)
class Metric:
    name: str
    definition: str
    compute: Compute
    module: str


METRICS: Registry[Metric] = Registry("metric")


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


#: What a metric returns for a run it does not concern (e.g. no statement was generated): it is left out of
#: that run's evaluation, so evaluations of other runs are written exactly as before it existed.
OMIT: Any = _Omit()

#: The package whose modules define the shipped metrics.
METRICS_PACKAGE = "dialectic.evaluate.metrics"


def metric(name: str, definition: str) -> Callable[[Compute], Compute]:
    """Register `function(context) -> JSON-able value` under `name` with a one-line definition."""
    text = " ".join(definition.split())
    if not text:
        raise ValueError(f"metric {name!r} needs a one-line definition")

    def add(function: Compute) -> Compute:
        METRICS.register(name)(Metric(name, text, function, function.__module__))
        return function

    return add


def load_metrics() -> Registry[Metric]:
    """Import every module of the metrics package (once) and return the registry."""
    package = importlib.import_module(METRICS_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{METRICS_PACKAGE}.{info.name}")
    return METRICS


def compute_metrics(context: Context, names: list[str] | None = None) -> dict[str, Any]:
    """Every registered metric (or the named ones) on one context, by name in sorted order; a metric that
    returns OMIT is left out."""
    registry = load_metrics()
    chosen = list(registry) if names is None else names
    values = {name: registry.get(name).compute(context) for name in chosen}
    return {name: value for name, value in values.items() if value is not OMIT}
