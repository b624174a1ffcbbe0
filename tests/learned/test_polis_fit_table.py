"""eval/polis_fit_table.py on the smallest shipped conversation (london.youth.policing, real Polis votes): the
table's numbers are consistent with the data and with independent computations (scikit-learn's ARI, an
E-step and accuracies worked out here in numpy, counts of the split's comparisons)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from dialectic.learned._evaluate import halves
from tests.conftest import ROOT

CONVERSATION = "london.youth.policing"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("polis_fit_table", ROOT / "eval" / "polis_fit_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pydantic look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


@pytest.fixture(scope="module")
def computed(script: ModuleType, shared_data: Path) -> Any:
    return script.conversation_table(shared_data / "polis" / CONVERSATION, seed=0)


def scores(tree: Any) -> Iterator[dict[str, Any]]:
    """Every Score ({comparisons, accuracy, loglik}) in a dumped evaluation."""
    if isinstance(tree, dict):
        if set(tree) == {"comparisons", "accuracy", "loglik"}:
            yield tree
        for value in tree.values():
            yield from scores(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from scores(value)


def by_hand_accuracy(scores_: np.ndarray, chosen: np.ndarray, rejected: np.ndarray) -> float:
    margins = scores_[chosen] - scores_[rejected]
    return float(np.mean((margins > 0) + 0.5 * (margins == 0)))


def test_the_fits_and_their_shape(computed: Any, script: ModuleType) -> None:
    result, data = computed.result, computed.data
    assert result.conversation == CONVERSATION and result.comparisons == len(data) and result.items == data.n_items
    assert [g.group for g in result.polis_groups] == ["0", "1", "2"]
    assert result.fits["k_groups"].k == 3  # K = the number of Polis groups
    seen = int((computed.split.train.per_annotator > 0).sum())
    for name, fit in result.fits.items():
        assert sum(fit.component_sizes) == seen == len(fit.assignment), name
        assert computed.models[name].k == fit.k
    # The K curve and both choices follow the documented rules (docs/learned.md, "Choosing K").
    curve = result.k_curve
    assert [p.k for p in curve] == [1, 2, 3, 4, 5, 6]
    best = max(p.heldout_mean for p in curve)
    assert result.fits["k_heldout"].k == min(p.k for p in curve if p.heldout_mean >= best - 1e-3)
    assert result.fits["k_bic"].k == min(curve, key=lambda p: (p.bic, p.k)).k
    assert (result.fits["k_heldout"].selection, result.fits["k_bic"].selection) == ("heldout", "bic")
    # What goes to disk reads back the same.
    assert type(result).model_validate_json(result.model_dump_json()) == result


def test_accuracies_and_logliks_are_in_range(computed: Any) -> None:
    found = list(scores(computed.result.model_dump(mode="json")))
    assert len(found) > 50
    for score in found:
        if score["comparisons"]:
            assert 0.0 <= score["accuracy"] <= 1.0 and score["loglik"] <= 0.0
        else:
            assert score["accuracy"] is None and score["loglik"] is None


def test_ari_equals_scikit_learn_on_seen_and_unseen_annotators(computed: Any) -> None:
    data, split, X = computed.data, computed.split, computed.X
    groups = data.groups
    held = split.heldout_unseen
    first = halves(held.annotator, data.n_annotators, 0)  # the comparisons that assign an unseen annotator
    for name, fit in computed.result.fits.items():
        labelled = [a for a in fit.assignment if groups[data.annotators.index(a)] is not None]
        want = adjusted_rand_score([groups[data.annotators.index(a)] for a in labelled],
                                   [fit.assignment[a] for a in labelled])
        assert fit.seen.ari_seen == pytest.approx(want, abs=1e-12), name
        assert fit.seen.ari == pytest.approx(want, abs=1e-12)
        # Unseen annotators: an E-step by hand (each to the head with the highest log-likelihood of its
        # assigning half), then scikit-learn.
        heads = X @ computed.models[name].heads.T
        truth, assigned = [], []
        for a in np.flatnonzero(split.unseen):
            mine = (held.annotator == a) & first
            margins = heads[held.chosen[mine]] - heads[held.rejected[mine]]  # (n, k)
            loglik = -np.log1p(np.exp(-margins)).sum(axis=0)
            truth.append(groups[a])
            assigned.append(int(np.argmax(loglik)))
        assert fit.unseen.unseen_annotators == len(assigned)
        assert fit.unseen.ari_unseen == pytest.approx(adjusted_rand_score(truth, assigned), abs=1e-12), name


def test_per_group_counts_add_up_and_accuracies_by_hand(computed: Any) -> None:
    data, split, X = computed.data, computed.split, computed.X
    seen_held, unseen_held = split.heldout_seen, split.heldout_unseen
    first = halves(unseen_held.annotator, data.n_annotators, 0)
    for name, fit in computed.result.fits.items():
        model = computed.models[name]
        for part, held, scored in (("seen", seen_held, np.ones(len(seen_held), dtype=bool)),
                                   ("unseen", unseen_held, ~first)):
            evaluation = getattr(fit, part)
            group_of = data.true_group[held.annotator]
            assert evaluation.mixture.comparisons == evaluation.pooled.comparisons == int(scored.sum())
            # per group: exactly that group's scored comparisons; with the ungrouped ones, all of them
            counted = 0
            for g, row in enumerate(evaluation.groups):
                mask = scored & (group_of == g)
                assert row.group == data.group_names[g]
                assert row.mixture.comparisons == row.pooled.comparisons == row.oracle.comparisons == int(mask.sum())
                counted += row.mixture.comparisons
                pooled = by_hand_accuracy(X @ model.pooled, held.chosen[mask], held.rejected[mask])
                oracle = by_hand_accuracy(X @ model.oracle[g], held.chosen[mask], held.rejected[mask])
                assert row.pooled.accuracy == pytest.approx(pooled, abs=1e-12)
                assert row.oracle.accuracy == pytest.approx(oracle, abs=1e-12)
            assert counted + int((scored & (group_of < 0)).sum()) == evaluation.mixture.comparisons
        # seen annotators' held-out comparisons: the mixture scores each by its training component
        heads = X @ model.heads.T
        component = np.array([fit.assignment[data.annotators[a]] for a in seen_held.annotator])
        for g, row in enumerate(fit.seen.groups):
            mask = data.true_group[seen_held.annotator] == g
            margins = (heads[seen_held.chosen[mask], component[mask]]
                       - heads[seen_held.rejected[mask], component[mask]])
            assert row.mixture.accuracy == pytest.approx(float(np.mean((margins > 0) + 0.5 * (margins == 0))))


def test_verdicts_read_the_worst_off_group(computed: Any) -> None:
    result = computed.result
    assert len(result.verdicts) == 6
    for v in result.verdicts:
        rows = getattr(result.fits[v.fit], v.part).groups
        worst = min(rows, key=lambda r: (r.pooled.accuracy, r.group))
        assert v.worst_group == worst.group and v.pooled == worst.pooled.accuracy
        assert v.mixture == worst.mixture.accuracy and v.mixture_worst == min(r.mixture.accuracy for r in rows)
        assert v.beats == (v.mixture > v.pooled)
    # every verdict the mixture does not win is explained, naming its group
    losses = [v for v in result.verdicts if v.beats is False]
    assert len(result.why) == len(losses)
    for v, line in zip(losses, result.why, strict=True):
        assert line.startswith(f"{v.fit} ({v.part}): on the worst-off group {v.worst_group} ")


def test_separability_by_hand(computed: Any) -> None:
    """The win-rate correlation of groups 0 and 1 from a plain loop over the comparisons."""
    data = computed.data
    wins = np.zeros((2, data.n_items))
    losses = np.zeros((2, data.n_items))
    for c, r, a in zip(data.chosen, data.rejected, data.annotator, strict=True):
        g = data.true_group[a]
        if g in (0, 1):
            wins[g, c] += 1
            losses[g, r] += 1
    both = (wins + losses > 0).all(axis=0)
    rates = (wins[:, both] - losses[:, both]) / (wins[:, both] + losses[:, both])
    pair = next(s for s in computed.result.separability if s.groups == ("0", "1"))
    assert pair.comments == int(both.sum())
    assert pair.win_rate_correlation == pytest.approx(float(np.corrcoef(rates)[0, 1]), abs=1e-12)
