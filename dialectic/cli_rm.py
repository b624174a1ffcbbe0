"""`dialectic rm`: reward models learned from pairwise preferences (docs/learned.md).

    dialectic rm fit DATA --kind bt|mixture [-k K | --k-range 1..6] --features onehot|minilm [--scenario FILE]
                     [--estep hard|soft] [--restarts N] [--seed S] [--heldout-comparisons F]
                     [--heldout-annotators F] -o DIR
    dialectic rm eval DIR DATA [--json]
    dialectic rm export DIR -o OUT     (a minilm model as a checkpoint vLLM serves: `dialectic serve --reward-model OUT`)

DATA is a comparisons JSONL file (dialectic.preferences) or a Polis export folder (items are the comments'
texts). Bad input (a malformed file, an unknown feature kind, K above the number of annotators, a model
directory that does not load) is one located error line and exit 2, never a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dialectic.cli_errors import fail

rm_app = typer.Typer(no_args_is_help=True, help="Reward models learned from preferences: fit and evaluate.")
console = Console()
errors = Console(stderr=True)

#: Held-out shares and K range when none are given.
HELDOUT = 0.2
DEFAULT_K_RANGE = (1, 6)


class BadInput(ValueError):
    """A located problem with the command's input (printed as one error line, exit 2)."""


def _fail(error: Exception) -> typer.Exit:
    return fail(error)


def parse_k_range(text: str) -> tuple[int, ...]:
    """'1..6' or '2-5' (inclusive) or '2,3,5' -> the K values."""
    text = text.strip()
    span = re.fullmatch(r"(\d+)\s*(?:\.\.|-)\s*(\d+)", text)
    if span:
        low, high = int(span.group(1)), int(span.group(2))
        if 1 <= low <= high:
            return tuple(range(low, high + 1))
    elif re.fullmatch(r"\d+(\s*,\s*\d+)*", text):
        values = sorted({int(v) for v in text.split(",")})
        if values[0] >= 1:
            return tuple(values)
    raise BadInput(f"--k-range: expected LOW..HIGH (1 <= LOW <= HIGH) or a list like 2,3,5, found {text!r}")


def read_data(path: Path, pass_pairs: bool) -> tuple[Any, str]:
    """Comparisons from a JSONL file or a Polis folder, and the reader's name."""
    from dialectic.preferences import read_comparisons, read_polis_comparisons

    if path.is_dir():
        data, counts = read_polis_comparisons(path, pass_pairs=pass_pairs)
        errors.print(f"read {path}: {counts.annotators} annotators ({counts.annotators_with_group} with a Polis "
                     f"group), {counts.statements} statements, {counts.total} comparisons "
                     f"({', '.join(f'{k} {v}' for k, v in counts.comparisons.items())})", highlight=False)
        return data, "polis"
    if not path.exists():
        raise BadInput(f"{path}: expected a comparisons JSONL file or a Polis export folder, found no such path")
    return read_comparisons(path), "jsonl"


def encode_items(spec: Any, data: Any, where: str) -> Any:
    """The feature rows of the data's items, or a located error when the items are not what the feature
    kind reads."""
    from dialectic.learned import build_features

    if spec.name == "onehot" and data.item_kind != "outcome":
        raise BadInput(f"{where}: --features onehot: expected outcome items {{issue: option}}, found statement texts "
                       "(use --features minilm)")
    if spec.name == "minilm" and data.item_kind != "text":
        raise BadInput(f"{where}: --features minilm: expected statement texts, found outcome items "
                       "(use --features onehot with --scenario)")
    features = build_features(spec)
    if spec.name == "onehot":
        rows = []
        for i, key in enumerate(data.items):
            try:
                rows.append(features.encode([key]))
            except ValueError as error:
                raise BadInput(f"{where}: item {i + 1} ({key}): {error}") from None
        import numpy as np

        return np.concatenate(rows) if rows else np.zeros((0, spec.dim))
    return features.encode(list(data.items))


def _feature_spec(name: str, scenario: Path | None, data: Any) -> Any:
    from dialectic.learned import feature_spec, features

    if name not in features:
        raise BadInput(f"--features: expected one of {', '.join(features)}, found {name!r}")
    space = None
    if name == "onehot":
        if scenario is None:
            raise BadInput("--features onehot: expected --scenario FILE (the scenario whose space the outcomes "
                           "come from), found none")
        from dialectic.scenario import load_scenario
        from dialectic.space import build_space

        loaded = load_scenario(scenario)
        if loaded.space.kind == "continuous":
            raise BadInput(f"{scenario}: space.kind: expected a discrete space or statement pool for onehot "
                           "features, found continuous")
        space = build_space(loaded.space)
    return feature_spec(name, space)


@rm_app.command("fit")
def fit(
    data_path: Annotated[Path, typer.Argument(metavar="DATA", help="Comparisons JSONL file or Polis export folder.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Directory to write the fitted model to.")],
    kind: Annotated[str, typer.Option(help="bt: one pooled Bradley-Terry model; mixture: EM mixture of K.")]
    = "mixture",
    k: Annotated[int | None, typer.Option("-k", "--k", help="Number of components (mixture).")] = None,
    k_range: Annotated[str | None, typer.Option(help="Choose K over a range, e.g. 1..6 (default when no -k).")]
    = None,
    features: Annotated[str | None, typer.Option(
        help="onehot (outcomes; needs --scenario) or minilm (statement texts); default by the data's items.")]
    = None,
    scenario: Annotated[Path | None, typer.Option(help="Scenario whose discrete space the outcomes come from.")]
    = None,
    estep: Annotated[str, typer.Option(help="hard (each annotator to one component) or soft.")] = "hard",
    restarts: Annotated[int, typer.Option(min=1, help="EM runs from different seedings; the best is kept.")] = 4,
    init: Annotated[str, typer.Option(
        help="auto (first run incremental, the others k-means++), kmeans++ or random seeding.")] = "auto",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the EM seedings and of the split.")] = 0,
    l2: Annotated[float, typer.Option(min=0.0, help="L2 penalty on each head's weights.")] = 1.0,
    criterion: Annotated[str, typer.Option(help="How --k-range chooses K: heldout or bic.")] = "heldout",
    heldout_comparisons: Annotated[float, typer.Option(
        help="Share of each seen annotator's comparisons held out.")] = HELDOUT,
    heldout_annotators: Annotated[float, typer.Option(help="Share of annotators held out whole.")] = HELDOUT,
    pass_pairs: Annotated[bool, typer.Option(help="Polis: also agree>pass and pass>disagree pairs.")] = False,
    names: Annotated[str, typer.Option(
        help="Component names: index (c0, c1, ...) or group (the most common known true group of each).")]
    = "index",
    max_iter: Annotated[int, typer.Option(min=1, help="EM iterations at most.")] = 100,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Fit a pooled Bradley-Terry model or an EM mixture of K; print the K curve; write the model directory."""
    try:
        model, curve = _fit(data_path, out, kind, k, k_range, features, scenario, estep, restarts, init,
                                    seed, l2, criterion, heldout_comparisons, heldout_annotators, pass_pairs, names,
                                    max_iter, quiet)
    except (BadInput, ValueError, KeyError) as error:
        raise _fail(error) from None
    _print_fit(model, curve)
    console.print(f"model: {out}", highlight=False)


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadInput(f"{option}: expected one of {', '.join(allowed)}, found {value!r}")
    return value


def _fit(data_path: Path, out: Path, kind: str, k: int | None, k_range: str | None, features: str | None,
         scenario: Path | None, estep: str, restarts: int, init: str, seed: int, l2: float, criterion: str,
         heldout_comparisons: float, heldout_annotators: float, pass_pairs: bool, names: str, max_iter: int,
         quiet: bool) -> tuple[Any, list[Any]]:
    from dialectic.learned import FitOptions, fit_preferences
    from dialectic.learned._model import SplitInfo
    from dialectic.preferences import split_annotators

    _choice("--kind", kind, ("bt", "mixture"))
    _choice("--estep", estep, ("hard", "soft"))
    _choice("--init", init, ("auto", "kmeans++", "random"))
    _choice("--criterion", criterion, ("heldout", "bic"))
    _choice("--names", names, ("index", "group"))
    if k is not None and k_range is not None:
        raise BadInput("-k and --k-range: expected one of them, found both")
    if kind == "bt" and ((k is not None and k != 1) or k_range is not None):
        raise BadInput("--kind bt: expected no -k / --k-range (a pooled model has one component), found "
                       f"{k if k is not None else k_range}")
    if k is not None and k < 1:
        raise BadInput(f"-k: expected a whole number >= 1, found {k}")
    ks = parse_k_range(k_range) if k_range is not None else ()
    data, reader = read_data(data_path, pass_pairs)
    if features is None:
        features = "onehot" if data.item_kind == "outcome" else "minilm"
    spec = _feature_spec(features, scenario, data)
    X = encode_items(spec, data, str(data_path))
    split = split_annotators(data, heldout_comparisons=heldout_comparisons, heldout_annotators=heldout_annotators,
                             seed=seed)
    seen = int((split.train.per_annotator > 0).sum())
    if kind == "mixture" and k is None and not ks:
        low, high = DEFAULT_K_RANGE
        ks = tuple(range(low, min(high, seen) + 1))
    info = SplitInfo(heldout_comparisons=heldout_comparisons, heldout_annotators=heldout_annotators, seed=seed,
                     train=len(split.train), heldout_seen=len(split.heldout_seen),
                     heldout_unseen=len(split.heldout_unseen))
    options = FitOptions(kind=kind, k=k, k_range=ks, criterion=criterion, estep=estep,  # type: ignore[arg-type]
                         restarts=restarts, init=init, seed=seed, l2=l2, max_iter=max_iter,  # type: ignore[arg-type]
                         names=names, progress=not quiet and sys.stderr.isatty())  # type: ignore[arg-type]
    model, curve = fit_preferences(data, split.train, split.heldout_seen, X, spec, info, options,
                                   reader=reader, pass_pairs=pass_pairs)  # type: ignore[arg-type]
    model.save(out)
    return model, curve


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_fit(model: Any, curve: list[Any]) -> None:
    m = model.manifest
    console.print(f"{m.kind} on {m.data.source}: {m.data.comparisons} comparisons, {m.data.annotators} annotators, "
                  f"{m.data.items} items; features {m.features.describe()}; split train {m.split.train}, "
                  f"held-out {m.split.heldout_seen} (seen) + {m.split.heldout_unseen} (unseen)", highlight=False)
    if curve:
        table = Table(title=f"K by {m.k_selection} (chosen: {m.k})")
        for column in ("K", "train loglik", "held-out loglik", "per comparison", "BIC"):
            table.add_column(column, justify="right")
        for point in curve:
            mark = " *" if point.k == m.k else ""
            table.add_row(f"{point.k}{mark}", _num(point.train_loglik, 1), _num(point.heldout_loglik, 1),
                          _num(point.heldout_mean), _num(point.bic, 1))
        console.print(table)
    table = Table(title=f"{m.k} component(s)")
    for column in ("component", "annotators", "share", "train comparisons"):
        table.add_column(column, justify="right" if column != "component" else "left")
    for component in m.components:
        table.add_row(component.name, str(component.annotators), f"{component.share:.3f}", str(component.comparisons))
    console.print(table)
    fitted = "" if m.kind == "bt" else f"; EM iterations {m.iterations}, restarts {m.restarts}"
    console.print(f"log-likelihood per comparison: train {_num(m.loglik.train_mean)}, held-out "
                  f"{_num(m.loglik.heldout_mean)}{fitted}", highlight=False)


@rm_app.command("eval")
def evaluate(
    model_dir: Annotated[Path, typer.Argument(metavar="DIR", help="A model directory written by `rm fit`.")],
    data_path: Annotated[Path, typer.Argument(metavar="DATA", help="Comparisons JSONL file or Polis folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation as one JSON object.")] = False,
    pass_pairs: Annotated[bool | None, typer.Option(
        help="Polis: agree>pass and pass>disagree pairs (default: as the fit read them).")] = None,
) -> None:
    """Held-out accuracy and log-likelihood per component and per true group, pooled and oracle models beside the
    mixture, adjusted Rand index of the components against the true groups."""
    try:
        result = _evaluate(model_dir, data_path, pass_pairs)
    except (BadInput, ValueError, KeyError) as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), sort_keys=True))
        return
    _print_evaluation(result)


def _evaluate(model_dir: Path, data_path: Path, pass_pairs: bool | None) -> Any:
    from dialectic.learned import FittedModel
    from dialectic.learned._evaluate import evaluate_preferences
    from dialectic.preferences import split_annotators

    model = FittedModel.load(model_dir)
    m = model.manifest
    data, _ = read_data(data_path, m.data.pass_pairs if pass_pairs is None else pass_pairs)
    X = encode_items(m.features, data, str(data_path))
    split = None
    if data.sha256() == m.data.sha256:
        split = split_annotators(data, heldout_comparisons=m.split.heldout_comparisons,
                                 heldout_annotators=m.split.heldout_annotators, seed=m.split.seed)
    return evaluate_preferences(model, data, X, split, seed=m.split.seed)


def _print_evaluation(result: Any) -> None:
    scope = ("the fit's held-out comparisons (same data)" if result.same_data
             else "every comparison (data other than the fit's)")
    console.print(f"{result.model} on {result.data}: {scope}; annotators {result.seen_annotators} seen, "
                  f"{result.unseen_annotators} unseen (assigned on half of their comparisons)", highlight=False)
    console.print(f"mixture accuracy {_num(result.mixture.accuracy, 3)} (loglik {_num(result.mixture.loglik)}), "
                  f"pooled {_num(result.pooled.accuracy, 3)} (loglik {_num(result.pooled.loglik)}); "
                  f"ARI {_num(result.ari, 3)} (seen {_num(result.ari_seen, 3)}, unseen {_num(result.ari_unseen, 3)})",
                  highlight=False)
    table = Table(title="Components (held-out)")
    for column in ("component", "annotators", "comparisons", "accuracy", "loglik", "true groups"):
        table.add_column(column, justify="left" if column in ("component", "true groups") else "right")
    for row in result.components:
        groups = ", ".join(f"{g} {n}" for g, n in sorted(row.groups.items(), key=lambda x: -x[1]))
        table.add_row(row.component, str(row.annotators), str(row.heldout.comparisons), _num(row.heldout.accuracy, 3),
                      _num(row.heldout.loglik), groups or "-")
    console.print(table)
    if result.groups:
        table = Table(title="True groups: held-out accuracy (acc) and mean log-likelihood (ll) by model")
        for column in ("group", "annotators", "component", "comparisons", "mixture acc", "pooled acc", "oracle acc",
                       "mixture ll", "pooled ll", "oracle ll"):
            table.add_column(column, justify="left" if column in ("group", "component") else "right")
        for row in result.groups:
            oracle = row.oracle
            table.add_row(row.group, str(row.annotators), row.component or "-", str(row.mixture.comparisons),
                          _num(row.mixture.accuracy, 3), _num(row.pooled.accuracy, 3),
                          _num(None if oracle is None else oracle.accuracy, 3), _num(row.mixture.loglik, 3),
                          _num(row.pooled.loglik, 3), _num(None if oracle is None else oracle.loglik, 3))
        console.print(table)
        for label, worst in (("mixture", result.worst_mixture), ("pooled", result.worst_pooled),
                             ("oracle", result.worst_oracle)):
            if worst is not None:
                console.print(f"worst-off group under the {label} model: {worst.group} "
                              f"({_num(worst.accuracy, 3)})", highlight=False)


@rm_app.command("export")
def export(
    model_dir: Annotated[Path, typer.Argument(metavar="DIR", help="A statement model (minilm) written by `rm fit`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Directory to write the checkpoint to.")],
) -> None:
    """Export a fitted statement model as one BertForSequenceClassification checkpoint with an output per component
    (mean pooling), for `dialectic serve --reward-model OUT` (docs/serving.md)."""
    from dialectic.learned import export_fitted_model

    try:
        written = export_fitted_model(model_dir, out)
    except (ValueError, OSError) as error:
        raise _fail(error) from None
    from dialectic.learned import ExportedModel

    outputs = ", ".join(f"{i}={name}" for i, name in enumerate(ExportedModel(written).outputs))
    console.print(f"exported {model_dir} -> {written} (outputs {outputs}); serve it with "
                  f"`dialectic serve --reward-model {written}`", highlight=False, soft_wrap=True)
