"""The metrics registry: every Evaluation field is a registered metric, the others land in
`Evaluation.metrics`, and a new metric is one new module with nothing else changed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dialectic.evaluate import (
    CORE_FIELDS,
    METRICS,
    Context,
    Evaluation,
    assemble,
    compute_metrics,
    evaluate,
    load_metrics,
    metric,
)
from dialectic.evaluate import _metric as metric_module
from dialectic.trace import Trace
from tests.evaluate.test_evaluate_cases import GAME, dialogue, o

NEW_METRICS = {
    "concession_moves", "unreciprocated_concessions", "first_flip_turn", "rounds_to_settlement",
    "turns_to_settlement", "view_diversity", "candidate_spread", "influence",
}


def consensus_trace() -> Trace:
    return (
        dialogue()
        .say("b", o("x1y1"), accepts=False)
        .say("c", o("x1y1"), proposal=o("x1y1"), accepts=False)
        .say("a", o("x1y1"), accepts=True)
        .end(o("x1y1"), ["a", "c"])
    )


def test_every_field_is_a_registered_metric_with_a_one_line_definition() -> None:
    registry = load_metrics()
    assert set(CORE_FIELDS) <= set(registry)
    assert NEW_METRICS <= set(registry)
    for name, spec in registry.items():
        assert spec.name == name and spec.definition and "\n" not in spec.definition, name
        assert spec.module.startswith("dialectic.evaluate.metrics."), name


def test_evaluation_splits_fields_and_metrics() -> None:
    evaluation = evaluate(GAME, consensus_trace())
    # generated_statements is left out (OMIT) of runs in which no statement was generated, the injection
    # metrics of runs in which no utterance carried an attack, the topology metrics of runs without a
    # topology (everyone hears everyone)
    omitted = {"generated_statements", "injections", "injection_exposed", "injection_followed",
               "injection_success_rate", "settlement_hops", "spread_turns", "heard_turns"}
    assert set(evaluation.metrics) == set(load_metrics()) - set(CORE_FIELDS) - omitted
    # Every value is plain JSON (no numpy, no NaN) and the record round-trips.
    text = json.dumps(evaluation.model_dump(mode="json"), allow_nan=False)
    assert Evaluation.model_validate_json(text) == evaluation
    # Evaluations written before the registry (no `metrics`) still read.
    old = evaluation.model_dump(mode="json")
    del old["metrics"]
    assert Evaluation.model_validate(old).metrics == {}


def test_compute_selected_metrics_on_one_context() -> None:
    context = Context(GAME, consensus_trace())
    values = compute_metrics(context, ["label", "rounds_to_settlement"])
    assert values == {"label": "consensus", "rounds_to_settlement": 1}


def test_a_missing_core_metric_is_an_error() -> None:
    values = compute_metrics(Context(GAME, consensus_trace()))
    del values["welfare_gini"]
    with pytest.raises(RuntimeError, match="welfare_gini"):
        assemble(values)


def test_names_are_unique_and_definitions_required() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        metric("label", "again")(lambda ctx: None)
    with pytest.raises(ValueError, match="one-line definition"):
        metric("nameless", "  ")(lambda ctx: None)


def test_a_new_metric_is_one_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module dropped into the metrics package is found and its metric appears in evaluations."""
    load_metrics()  # the shipped ones first
    package = tmp_path / "extra_metrics_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "turn_count.py").write_text(
        "from dialectic.evaluate import metric\n\n\n"
        "@metric('planted_turn_count', 'Number of moves in the trace.')\n"
        "def turn_count(ctx):\n"
        "    return len(ctx.steps)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(metric_module, "METRICS_PACKAGE", "extra_metrics_pkg")
    try:
        evaluation = evaluate(GAME, consensus_trace())
        assert evaluation.metrics["planted_turn_count"] == 3
        assert METRICS.get("planted_turn_count").definition == "Number of moves in the trace."
    finally:
        METRICS._items.pop("planted_turn_count", None)
        for name in [m for m in sys.modules if m.startswith("extra_metrics_pkg")]:
            del sys.modules[name]
