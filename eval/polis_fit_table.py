"""Learned subgroup reward models on real Polis votes (issue 9, "Checks that must exist", second bullet).

For every shipped conversation (../shared/data/polis, CC BY 4.0): comparisons from the participants' votes
(agree over disagree, dialectic.preferences.read_polis_comparisons), frozen MiniLM features of the comments
(dialectic.learned.text_features), a seeded annotator-level split (split_annotators: 20% of the annotators
held out whole, 20% of each other annotator's comparisons held out), and these fits on the training part
(dialectic.learned.fit_preferences, which also fits the pooled model and one "oracle" model per Polis group
on its true members):

- ``k_groups``: the EM mixture with K = the number of Polis groups;
- ``k_heldout`` / ``k_bic``: K chosen over 1..6 by held-out log-likelihood / by BIC (one K curve, the rule of
  ``rm fit --criterion``);

each evaluated by dialectic.learned.evaluate_fit twice: on the held-out comparisons of annotators the fit saw
(``seen``), and on the wholly held-out annotators (``unseen``: assigned by an E-step on half of their
comparisons, scored on the other half). Per Polis group: the held-out accuracy of the pooled model, of each
mixture (each annotator by its component) and of the true-group model; the ARI of the components against
Polis's ``group-id``. Verdict: does the mixture beat the pooled model on the worst-off group (the group with
the lowest held-out accuracy under the pooled model)? Where it does not, the table says why, from the group
sizes and how separable the groups' votes are: the correlation of the groups' per-comment win rates, and how
well each group's true-group model predicts the other group's comparisons.

    .venv/bin/python eval/polis_fit_table.py [--seed 0] [--restarts 4] [--conversation NAME ...]

Writes eval/results/polis_fit.json (everything the table shows and the evaluations behind it) and
eval/results/polis_k_curve.json (train and held-out log-likelihood and BIC for K = 1..6 on brexit-consensus).
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.learned import FitOptions, FittedModel, accuracy, feature_spec, fit_preferences, text_features
from dialectic.learned._evaluate import FitEvaluation, evaluate_fit
from dialectic.learned._fit import comparisons
from dialectic.learned._model import CurvePoint, SplitInfo
from dialectic.learned._select import Comparisons
from dialectic.preferences import PreferenceData, Split, read_polis_comparisons, split_annotators

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "polis"
RESULTS = ROOT / "eval" / "results"
K_RANGE = tuple(range(1, 7))
HELDOUT = 0.2
CURVE_CONVERSATION = "brexit-consensus"
FITS = ("k_groups", "k_heldout", "k_bic")
Part = Literal["seen", "unseen"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupInfo(_Out):
    group: str
    annotators: int
    train_annotators: int
    unseen_annotators: int  # wholly held out
    train_comparisons: int
    train_share: float  # of the training comparisons of annotators with a Polis group


class Fit(_Out):
    k: int
    selection: Literal["fixed", "heldout", "bic"]
    component_sizes: list[int]  # training annotators per component
    train_loglik_mean: float
    heldout_loglik_mean: float | None
    seconds: float
    seen: FitEvaluation
    unseen: FitEvaluation
    assignment: dict[str, int]  # training annotator -> component


class Verdict(_Out):
    """Does the mixture beat the pooled model on the worst-off group of one held-out part?"""

    fit: str
    part: Part
    worst_group: str | None  # lowest held-out accuracy under the pooled model
    pooled: float | None
    mixture: float | None  # the mixture's accuracy on that group
    oracle: float | None  # the group's own true-group model on it
    mixture_worst: float | None  # min over groups of the mixture's accuracy (its own worst-off group)
    beats: bool | None  # mixture > pooled on the worst-off group; None where unscored


class Separability(_Out):
    """How different two Polis groups' votes are."""

    groups: tuple[str, str]
    win_rate_correlation: float | None  # Pearson over comments, per-group (wins - losses) / (wins + losses)
    comments: int  # comments compared by both groups
    # held-out (seen) accuracy on the first group's comparisons: its own true-group model, the other's
    own_on_first: float | None
    other_on_first: float | None
    own_on_second: float | None
    other_on_second: float | None


class ConversationResult(_Out):
    conversation: str
    items: int
    comparisons: int
    annotators: int
    annotators_with_group: int
    split: SplitInfo
    polis_groups: list[GroupInfo]
    fits: dict[str, Fit]
    k_curve: list[CurvePoint]
    verdicts: list[Verdict]
    separability: list[Separability]
    why: list[str]  # where the mixture does not beat the pooled model: what the numbers say
    seconds: float


class PolisFitTable(_Out):
    seed: int
    restarts: int
    k_range: list[int]
    heldout_comparisons: float
    heldout_annotators: float
    conversations: list[ConversationResult]
    seconds: float


class KCurve(_Out):
    conversation: str
    seed: int
    restarts: int
    polis_groups: int
    chosen_heldout: int
    chosen_bic: int
    curve: list[CurvePoint]


@dataclass(frozen=True)
class Computed:
    """One conversation's result with what it was computed from (for tests and further analysis)."""

    result: ConversationResult
    data: PreferenceData
    split: Split
    X: np.ndarray
    models: dict[str, FittedModel]


def _empty() -> Comparisons:
    none = np.zeros(0, dtype=np.int64)
    return Comparisons(none, none, none)


def _evaluate(model: FittedModel, X: np.ndarray, data: PreferenceData, split: Split, part: Part,
              seed: int) -> FitEvaluation:
    """evaluate_fit on one held-out part alone: seen annotators' held-out comparisons, or the wholly held-out
    annotators (assigned on half of their comparisons, scored on the other half)."""
    scored, unseen = ((comparisons(split.heldout_seen), _empty()) if part == "seen"
                      else (_empty(), comparisons(split.heldout_unseen)))
    return evaluate_fit(model, X, data.annotators, data.groups, scored, unseen, seed=seed, data_name=data.source,
                        same_data=True)


def _fit(data: PreferenceData, split: Split, X: np.ndarray, info: SplitInfo, options: FitOptions,
         seed: int) -> tuple[FittedModel, list[Any], Fit]:
    started = time.perf_counter()
    model, curve = fit_preferences(data, split.train, split.heldout_seen, X, feature_spec("minilm"), info, options,
                                   reader="polis")
    seconds = time.perf_counter() - started
    m = model.manifest
    fit = Fit(k=m.k, selection=m.k_selection, component_sizes=[c.annotators for c in m.components],
              train_loglik_mean=m.loglik.train_mean, heldout_loglik_mean=m.loglik.heldout_mean, seconds=seconds,
              seen=_evaluate(model, X, data, split, "seen", seed), unseen=_evaluate(model, X, data, split, "unseen", seed),
              assignment=dict(zip(model.assignment.annotators, model.assignment.component, strict=True)))
    return model, curve, fit


def _verdict(name: str, part: Part, evaluation: FitEvaluation) -> Verdict:
    worst = evaluation.worst_pooled
    row = None if worst is None else next(r for r in evaluation.groups if r.group == worst.group)
    mixture = None if row is None else row.mixture.accuracy
    pooled = None if worst is None else worst.accuracy
    return Verdict(fit=name, part=part, worst_group=None if worst is None else worst.group, pooled=pooled,
                   mixture=mixture, oracle=None if row is None or row.oracle is None else row.oracle.accuracy,
                   mixture_worst=None if evaluation.worst_mixture is None else evaluation.worst_mixture.accuracy,
                   beats=None if mixture is None or pooled is None else mixture > pooled)


def _win_rates(data: PreferenceData) -> np.ndarray:
    """(groups, items): per Polis group, each comment's (wins - losses) / (wins + losses) over the group's
    comparisons (nan where the group compared it never)."""
    group = data.true_group[data.annotator]
    n_groups, n_items = len(data.group_names), data.n_items
    rates = np.full((n_groups, n_items), np.nan)
    for g in range(n_groups):
        mask = group == g
        wins = np.bincount(data.chosen[mask], minlength=n_items).astype(np.float64)
        losses = np.bincount(data.rejected[mask], minlength=n_items).astype(np.float64)
        seen = wins + losses > 0
        rates[g, seen] = (wins[seen] - losses[seen]) / (wins[seen] + losses[seen])
    return rates


def _separability(data: PreferenceData, split: Split, X: np.ndarray, model: FittedModel) -> list[Separability]:
    rates = _win_rates(data)
    held = comparisons(split.heldout_seen)
    group_of_comparison = data.true_group[held.annotator]
    oracle_index = {g: j for j, g in enumerate(model.manifest.oracle_groups)}

    def acc(on: int, head_group: str) -> float | None:
        if model.oracle is None or head_group not in oracle_index:
            return None
        mask = group_of_comparison == on
        scores = X @ model.oracle[oracle_index[head_group]]
        value = accuracy(scores[held.chosen[mask]] - scores[held.rejected[mask]])
        return None if not np.isfinite(value) else value

    out = []
    names = data.group_names
    for a, b in itertools.combinations(range(len(names)), 2):
        both = np.isfinite(rates[a]) & np.isfinite(rates[b])
        r = None
        if both.sum() >= 3 and rates[a, both].std() > 0 and rates[b, both].std() > 0:
            r = float(np.corrcoef(rates[a, both], rates[b, both])[0, 1])
        out.append(Separability(groups=(names[a], names[b]), win_rate_correlation=r, comments=int(both.sum()),
                                own_on_first=acc(a, names[a]), other_on_first=acc(a, names[b]),
                                own_on_second=acc(b, names[b]), other_on_second=acc(b, names[a])))
    return out


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _why(result: ConversationResult) -> list[str]:
    """Plain statements of the numbers behind each verdict the mixture loses (or ties)."""
    sizes = {g.group: g for g in result.polis_groups}
    lines = []
    for v in result.verdicts:
        if v.beats is not False or v.worst_group is None:
            continue
        g = sizes[v.worst_group]
        fit = result.fits[v.fit]
        row = next(r for r in (fit.seen if v.part == "seen" else fit.unseen).groups if r.group == v.worst_group)
        pairs = [s for s in result.separability if v.worst_group in s.groups]
        separable = "; ".join(
            f"win-rate correlation with group {s.groups[1] if s.groups[0] == v.worst_group else s.groups[0]} "
            f"{_num(s.win_rate_correlation, 2)} over {s.comments} comments, and on group {v.worst_group}'s held-out "
            f"comparisons its own true-group model scores "
            f"{_num(s.own_on_first if s.groups[0] == v.worst_group else s.own_on_second)} against the other's "
            f"{_num(s.other_on_first if s.groups[0] == v.worst_group else s.other_on_second)}"
            for s in pairs)
        ceiling = ("even its own true-group model is no better than the pooled one "
                   f"({_num(v.oracle)} vs {_num(v.pooled)})" if v.oracle is not None and v.pooled is not None
                   and v.oracle <= v.pooled else f"its true-group model reaches {_num(v.oracle)}")
        if fit.k == 1:
            ceiling += f"; {fit.selection} chose K = 1, so the mixture is the pooled model itself"
        scored = (f"{row.mixture.comparisons} held-out comparisons scored" if v.part == "seen" else
                  f"{row.mixture.comparisons} comparisons scored, all from its {g.unseen_annotators} wholly held-out "
                  f"annotator(s)")
        lines.append(
            f"{v.fit} ({v.part}): on the worst-off group {v.worst_group} the mixture scores {_num(v.mixture)} against "
            f"the pooled model's {_num(v.pooled)}; {ceiling}. Group {v.worst_group}: {g.annotators} annotators "
            f"({g.train_annotators} in training), {g.train_share:.0%} of the grouped training comparisons, "
            f"{scored}; its annotators sit mostly in component {row.component} (components' training sizes "
            f"{fit.component_sizes}, K = {fit.k}); {separable}.")
    return lines


def conversation_table(folder: Path, *, seed: int = 0, restarts: int = 4, k_range: tuple[int, ...] = K_RANGE,
                       heldout: float = HELDOUT) -> Computed:
    """Every number of one conversation's rows (module docstring)."""
    started = time.perf_counter()
    data, counts = read_polis_comparisons(folder)
    X = text_features(list(data.items))
    split = split_annotators(data, heldout_comparisons=heldout, heldout_annotators=heldout, seed=seed)
    info = SplitInfo(heldout_comparisons=heldout, heldout_annotators=heldout, seed=seed, train=len(split.train),
                     heldout_seen=len(split.heldout_seen), heldout_unseen=len(split.heldout_unseen))
    seen_annotators = int((split.train.per_annotator > 0).sum())
    ks = tuple(k for k in k_range if k <= seen_annotators)
    n_groups = len(data.group_names)

    models: dict[str, FittedModel] = {}
    fits: dict[str, Fit] = {}
    models["k_heldout"], curve, fits["k_heldout"] = _fit(
        data, split, X, info, FitOptions(k_range=ks, criterion="heldout", restarts=restarts, seed=seed), seed)
    # BIC on the same curve (select_k's rule: the lowest BIC, then the smallest K): the mixtures of the curve are
    # the fixed-K fits of the same seed, so a fixed-K fit reproduces the chosen one.
    k_bic = min(curve, key=lambda p: (p.bic, p.k)).k
    for name, k in (("k_groups", n_groups), ("k_bic", k_bic)):
        same = next((other for other in models if models[other].k == k), None)
        if same is not None:
            models[name], fits[name] = models[same], fits[same]
        else:
            models[name], _, fits[name] = _fit(data, split, X, info, FitOptions(k=k, restarts=restarts, seed=seed),
                                               seed)
    fits["k_bic"] = fits["k_bic"].model_copy(update={"selection": "bic"})  # copies: a reused Fit keeps its own
    fits["k_groups"] = fits["k_groups"].model_copy(update={"selection": "fixed"})

    train_per_annotator = split.train.per_annotator
    unseen = split.unseen
    grouped_train = float(train_per_annotator[data.true_group >= 0].sum())
    polis_groups = []
    for g, name in enumerate(data.group_names):
        members = data.true_group == g
        polis_groups.append(GroupInfo(
            group=name, annotators=int(members.sum()),
            train_annotators=int((members & (train_per_annotator > 0)).sum()),
            unseen_annotators=int((members & unseen).sum()),
            train_comparisons=int(train_per_annotator[members].sum()),
            train_share=float(train_per_annotator[members].sum() / grouped_train) if grouped_train else 0.0))
    result = ConversationResult(
        conversation=folder.name, items=data.n_items, comparisons=len(data), annotators=data.n_annotators,
        annotators_with_group=counts.annotators_with_group, split=info, polis_groups=polis_groups,
        fits={name: fits[name] for name in FITS},
        k_curve=models["k_heldout"].manifest.k_curve,
        verdicts=[_verdict(name, part, getattr(fits[name], part)) for name in FITS for part in ("seen", "unseen")],
        separability=_separability(data, split, X, models["k_groups"]), why=[], seconds=0.0)
    result = result.model_copy(update={"why": _why(result), "seconds": time.perf_counter() - started})
    return Computed(result, data, split, X, models)


# -- printing ------------------------------------------------------------------------------------------------

def print_table(results: list[ConversationResult]) -> None:
    print("Polis conversations: mixtures on minilm features, seeded annotator split (20% annotators, 20% comparisons)")
    head = (f"{'conversation':27} {'items':>5} {'cmp':>7} {'ann':>4} {'groups (annotators)':22} {'K:G/ho/bic':>10} "
            f"{'ARI seen G/ho/bic':>18} {'ARI unseen G/ho/bic':>20} {'sec':>5}")
    print(head)
    for r in results:
        groups = " ".join(f"{g.group}:{g.annotators}" for g in r.polis_groups)
        ks = "/".join(str(r.fits[n].k) for n in FITS)
        seen = "/".join(_num(r.fits[n].seen.ari_seen, 2) for n in FITS)
        unseen = "/".join(_num(r.fits[n].unseen.ari_unseen, 2) for n in FITS)
        print(f"{r.conversation:27} {r.items:5d} {r.comparisons:7d} {r.annotators:4d} {groups:22} {ks:>10} "
              f"{seen:>18} {unseen:>20} {r.seconds:5.1f}")
    print()
    print("Held-out accuracy per Polis group (seen: held-out comparisons of training annotators; unseen: wholly "
          "held-out annotators, scored on the half that did not assign them)")
    print(f"{'conversation':27} {'group':5} {'part':6} {'n':>5} {'pooled':>7} {'mix G':>7} {'mix ho':>7} "
          f"{'mix bic':>7} {'true-g':>7}")
    for r in results:
        for g in r.polis_groups:
            for part in ("seen", "unseen"):
                rows = {n: next(x for x in getattr(r.fits[n], part).groups if x.group == g.group) for n in FITS}
                first = rows["k_groups"]
                print(f"{r.conversation:27} {g.group:5} {part:6} {first.mixture.comparisons:5d} "
                      f"{_num(first.pooled.accuracy):>7} "
                      + " ".join(f"{_num(rows[n].mixture.accuracy):>7}" for n in FITS)
                      + f" {_num(None if first.oracle is None else first.oracle.accuracy):>7}")
    print()
    print("Worst-off group (lowest pooled accuracy): does the mixture beat the pooled model on it?")
    print(f"{'conversation':27} {'fit':9} {'part':6} {'group':5} {'pooled':>7} {'mixture':>7} {'true-g':>7} "
          f"{'mix min':>7} beats")
    for r in results:
        for v in r.verdicts:
            print(f"{r.conversation:27} {v.fit:9} {v.part:6} {v.worst_group or '-':5} {_num(v.pooled):>7} "
                  f"{_num(v.mixture):>7} {_num(v.oracle):>7} {_num(v.mixture_worst):>7} "
                  f"{'-' if v.beats is None else ('yes' if v.beats else 'NO')}")
    print()
    print("Separability of the Polis groups' votes")
    for r in results:
        for s in r.separability:
            print(f"{r.conversation:27} {s.groups[0]} vs {s.groups[1]}: win-rate correlation "
                  f"{_num(s.win_rate_correlation, 2)} ({s.comments} comments); true-group models on {s.groups[0]}'s "
                  f"held-out: own {_num(s.own_on_first)}, other {_num(s.other_on_first)}; on {s.groups[1]}'s: own "
                  f"{_num(s.own_on_second)}, other {_num(s.other_on_second)}")
    why = [(r.conversation, line) for r in results for line in r.why]
    if why:
        print()
        print("Where the mixture does not beat the pooled model:")
        for conversation, line in why:
            print(f"- {conversation}: {line}")


def print_curve(curve: KCurve) -> None:
    print(f"K curve on {curve.conversation} ({curve.polis_groups} Polis groups; chosen: held-out K = "
          f"{curve.chosen_heldout}, BIC K = {curve.chosen_bic})")
    print(f"{'K':>3} {'train loglik':>13} {'held-out loglik':>16} {'per comparison':>15} {'BIC':>10}")
    for p in curve.curve:
        print(f"{p.k:3d} {p.train_loglik:13.1f} {_num(p.heldout_loglik, 1):>16} {_num(p.heldout_mean, 4):>15} "
              f"{p.bic:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of Polis conversation folders")
    parser.add_argument("--conversation", action="append", help="only these (default: every folder in --data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS / "polis_fit.json")
    parser.add_argument("--curve-out", type=Path, default=RESULTS / "polis_k_curve.json")
    args = parser.parse_args()
    started = time.perf_counter()
    folders = sorted(p for p in args.data.iterdir() if (p / "participants-votes.csv").is_file())
    if args.conversation:
        folders = [p for p in folders if p.name in args.conversation]
    results = []
    for folder in folders:
        results.append(conversation_table(folder, seed=args.seed, restarts=args.restarts).result)
        print(f"{folder.name}: {results[-1].seconds:.1f} s", flush=True)
    table = PolisFitTable(seed=args.seed, restarts=args.restarts, k_range=list(K_RANGE),
                          heldout_comparisons=HELDOUT, heldout_annotators=HELDOUT, conversations=results,
                          seconds=time.perf_counter() - started)
    print()
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table.model_dump_json(indent=1) + "\n")
    for r in results:
        if r.conversation == CURVE_CONVERSATION:
            curve = KCurve(conversation=r.conversation, seed=args.seed, restarts=args.restarts,
                           polis_groups=len(r.polis_groups), chosen_heldout=r.fits["k_heldout"].k,
                           chosen_bic=r.fits["k_bic"].k, curve=r.k_curve)
            print()
            print_curve(curve)
            args.curve_out.write_text(curve.model_dump_json(indent=1) + "\n")
    print(f"\nwrote {args.out} ({table.seconds:.0f} s)")


if __name__ == "__main__":
    main()
