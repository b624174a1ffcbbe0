"""From preference data to a FittedModel: the fit (a pooled Bradley-Terry model or the EM mixture, K fixed or
chosen over a range), the reference models kept beside it (the pooled model; one model per known true group,
fitted on its true members: the "oracle" the evaluation compares with), and the manifest.

Works on any data object shaped like ``dialectic.preferences.PreferenceData`` (``Preferences`` below), so
this package does not import the preference readers; train and held-out parts are subsets of one data set
(item and annotator indices shared). True groups are read only for the reference models and, when asked,
to name components after them, never by the mixture's fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

import dialectic
from dialectic.learned._bt import L2, fit_bt
from dialectic.learned._features import FeatureSpec
from dialectic.learned._mixture import EStep, Init, MixtureFit, fit_mixture
from dialectic.learned._model import (
    SCHEMA_VERSION,
    Assignment,
    Component,
    CurvePoint,
    DataInfo,
    FittedModel,
    Loglik,
    Manifest,
    SplitInfo,
)
from dialectic.learned._select import Comparisons, Criterion, KPoint, comparison_loglik, select_k

Kind = Literal["bt", "mixture"]
Naming = Literal["index", "group"]


class Preferences(Protocol):
    """What the fit reads of a preference data set (dialectic.preferences.PreferenceData has it)."""

    @property
    def items(self) -> tuple[str, ...]: ...
    @property
    def item_kind(self) -> Literal["text", "outcome"]: ...
    @property
    def annotators(self) -> tuple[str, ...]: ...
    @property
    def groups(self) -> tuple[str | None, ...]: ...
    @property
    def chosen(self) -> np.ndarray: ...
    @property
    def rejected(self) -> np.ndarray: ...
    @property
    def annotator(self) -> np.ndarray: ...
    @property
    def source(self) -> str: ...
    def sha256(self) -> str: ...
    def __len__(self) -> int: ...


def comparisons(data: Preferences) -> Comparisons:
    return Comparisons(np.asarray(data.chosen), np.asarray(data.rejected), np.asarray(data.annotator))


@dataclass(frozen=True)
class FitOptions:
    kind: Kind = "mixture"
    k: int | None = None  # a fixed K (mixture), or None with ``k_range``
    k_range: tuple[int, ...] = ()
    criterion: Criterion = "heldout"
    estep: EStep = "hard"
    restarts: int = 4
    init: Init = "auto"
    seed: int = 0
    l2: float = L2
    max_iter: int = 100
    tol: float = 1e-8
    names: Naming = "index"
    progress: bool = False


def _component_names(fit: MixtureFit, groups: Sequence[str | None], naming: Naming, seen: np.ndarray) -> list[str]:
    """c0, c1, ... or, with naming "group", each component after the most common known true group of its
    training annotators (``seen``) when that names every component differently (else c0, c1, ...)."""
    index = [f"c{k}" for k in range(fit.k)]
    if naming == "index":
        return index
    names = []
    for k in range(fit.k):
        members = [groups[int(a)] for a in np.flatnonzero((fit.assignment == k) & seen) if groups[int(a)] is not None]
        names.append(Counter(members).most_common(1)[0][0] if members else None)
    if None in names or len(set(names)) != len(names):
        return index
    return [str(n) for n in names]


def _oracle(X: np.ndarray, train: Comparisons, groups: Sequence[str | None], l2: float
            ) -> tuple[list[str], np.ndarray | None]:
    """One head per known true group with training comparisons, fitted on its true members only."""
    names = sorted({g for g in groups if g is not None})
    group_of = np.array([names.index(g) if g is not None else -1 for g in groups], dtype=np.int64)
    kept, heads = [], []
    for j, name in enumerate(names):
        mask = group_of[train.annotator] == j
        if mask.any():
            kept.append(name)
            heads.append(fit_bt(X, train.chosen[mask], train.rejected[mask], l2=l2))
    return kept, (np.stack(heads) if heads else None)


def _single(X: np.ndarray, train: Comparisons, n_annotators: int, l2: float) -> MixtureFit:
    """The pooled Bradley-Terry model as a one-component fit."""
    from dialectic.learned._bt import bt_loglik

    w = fit_bt(X, train.chosen, train.rejected, l2=l2)
    loglik = float(bt_loglik(X, w, train.chosen, train.rejected).sum())
    objective = loglik - 0.5 * l2 * float(w @ w)
    return MixtureFit(weights=w[None, :], assignment=np.zeros(n_annotators, dtype=np.int64),
                      responsibilities=np.ones((n_annotators, 1)), mixing=np.ones(1), loglik_trace=[objective],
                      loglik=loglik, objective=objective, sizes=np.array([n_annotators]),
                      restart_objectives=[objective], iterations=1, estep="hard", converged=True)


def fit_preferences(data: Preferences, train: Preferences, heldout_seen: Preferences, X: np.ndarray,
                    features: FeatureSpec, split: SplitInfo, options: FitOptions, *,
                    reader: Literal["jsonl", "polis", "arrays"] = "arrays",
                    pass_pairs: bool = False) -> tuple[FittedModel, list[KPoint]]:
    """Fit ``options.kind`` on ``train`` (a subset of ``data``, whose item features are the rows of ``X``),
    score it on ``heldout_seen``, fit the reference models, and return the model and the K curve."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape != (len(data.items), features.dim):
        raise ValueError(f"features: expected one {features.dim}-d row per item ({len(data.items)}), found "
                         f"{X.shape}")
    n_annotators = len(data.annotators)
    tr, held = comparisons(train), comparisons(heldout_seen)
    if not len(tr):
        raise ValueError(f"{data.source}: no training comparisons (the split held everything out)")
    seen = np.bincount(tr.annotator, minlength=n_annotators) > 0
    curve: list[KPoint] = []
    if options.kind == "bt":
        fit, selection = _single(X, tr, n_annotators, options.l2), "fixed"
    elif options.k is not None:
        if options.k > int(seen.sum()):
            raise ValueError(f"-k: expected at most the number of training annotators "
                             f"({int(seen.sum())}), found {options.k}")
        fit = fit_mixture(X, tr.chosen, tr.rejected, tr.annotator, n_annotators, options.k, estep=options.estep,
                          restarts=options.restarts, seed=options.seed, init=options.init, l2=options.l2,
                          max_iter=options.max_iter, tol=options.tol, progress=options.progress)
        selection = "fixed"
    else:
        ks = [k for k in options.k_range]
        if not ks or min(ks) < 1:
            raise ValueError(f"--k-range: expected whole numbers >= 1, found {ks}")
        if max(ks) > int(seen.sum()):
            raise ValueError(f"--k-range: expected K at most the number of training annotators "
                             f"({int(seen.sum())}), found {max(ks)}")
        best_k, curve = select_k(X, tr, held, n_annotators, ks, criterion=options.criterion, estep=options.estep,
                                 restarts=options.restarts, seed=options.seed, init=options.init,
                                 l2=options.l2, max_iter=options.max_iter, tol=options.tol, progress=options.progress)
        fit = next(p.fit for p in curve if p.k == best_k)
        selection = options.criterion
    heldout = comparison_loglik(X, fit, held) if len(held) else None
    names = _component_names(fit, data.groups, options.names, seen)
    per_annotator = np.bincount(tr.annotator, minlength=n_annotators)
    seen_ids = np.flatnonzero(seen)
    components = [Component(name=names[k], annotators=int(np.sum(fit.assignment[seen_ids] == k)),
                            share=float(fit.mixing[k]),
                            comparisons=int(per_annotator[seen_ids][fit.assignment[seen_ids] == k].sum()))
                  for k in range(fit.k)]
    oracle_groups, oracle = _oracle(X, tr, data.groups, options.l2)
    pooled = fit.weights[0] if options.kind == "bt" else fit_bt(X, tr.chosen, tr.rejected, l2=options.l2)
    manifest = Manifest(
        version=SCHEMA_VERSION, kind=options.kind, features=features, k=fit.k, components=components,
        data=DataInfo(source=data.source, reader=reader, pass_pairs=pass_pairs, sha256=data.sha256(),
                      item_kind=data.item_kind, items=len(data.items), comparisons=len(data),
                      annotators=n_annotators),
        split=split, seed=options.seed, l2=options.l2, estep=None if options.kind == "bt" else options.estep,
        restarts=options.restarts, init=options.init, max_iter=options.max_iter, tol=options.tol,
        k_selection=selection,  # type: ignore[arg-type]
        k_curve=[CurvePoint(k=p.k, train_loglik=p.train_loglik, heldout_loglik=p.heldout_loglik,
                            heldout_mean=p.heldout_mean, bic=p.bic) for p in curve],
        loglik=Loglik(train=fit.loglik, train_mean=fit.loglik / len(tr),
                      heldout=None if heldout is None else float(heldout.sum()),
                      heldout_mean=None if heldout is None else float(heldout.mean()), objective=fit.objective),
        loglik_trace=list(fit.loglik_trace), restart_objectives=list(fit.restart_objectives),
        iterations=fit.iterations, converged=fit.converged, oracle_groups=oracle_groups,
        created_by=f"dialectic {dialectic.__version__}",
    )
    assignment = Assignment(
        annotators=[data.annotators[a] for a in seen_ids], component=[int(fit.assignment[a]) for a in seen_ids],
        responsibilities=None if fit.estep == "hard" or options.kind == "bt"
        else [[float(r) for r in fit.responsibilities[a]] for a in seen_ids],
    )
    return FittedModel(manifest, fit.weights, assignment, pooled, oracle), curve
