"""Statistics across runs: per scenario, strategy and group, and paired, seed-matched comparisons.

`summarise(rows, rng)` gives, for every (scenario, strategy) cell: each group's welfare W_g and the
scalar metrics (worst-case welfare, max-min regret, ...) as mean, worst run and CVaR at alpha
(definitions in `dialectic.bench._tail`), and the rates of every outcome label and flag; each with
a bootstrap confidence interval from `scipy.stats.bootstrap` (`dialectic.bench._bootstrap`).

`paired_difference(rows, scenario, a, b, metric, group, rng)` matches the runs of strategies a and
b on one scenario by seed and reports the mean of (a - b) with a bootstrap interval, the number of
pairs, the seeds either side lacks, and two tests of "no difference" (`dialectic.bench._paired_test`):
a sign-flip permutation test of the mean and the Wilcoxon signed-rank test.

Bootstrap methods: means and rates use BCa (second-order accurate for smooth statistics). The
worst run and CVaR use the percentile method: BCa's bias and acceleration corrections assume a
smooth statistic, while the bootstrap distribution of a minimum is a few atoms (the lowest sample
values, and never below the observed one). The interval of a worst run says how much the observed
minimum moves under resampling; its low end is the observed worst, so it is no bound on how badly
an unseen seed could go. Read it, and CVaR's, as indicative at the usual 5-50 seeds. Rates of 0 or 1 have a
zero-width bootstrap interval (every resample agrees); `Rate.exact` gives the Clopper-Pearson
interval beside it, which does not collapse.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.bench._bootstrap import Estimate, Method, bootstrap_estimate, derived_rng
from dialectic.bench._paired_test import sign_flip_p_value, wilcoxon_p_value
from dialectic.bench._rows import FLAGS, METRICS, RunRow, check_metric, metric_value
from dialectic.bench._tail import cvar_axis, mean_axis, tail_size, worst_axis

#: Scalar metrics a summary reports by default, besides each group's welfare.
DEFAULT_METRICS: tuple[str, ...] = (
    "worst_case_welfare",
    "worst_case_gain",
    "utilitarian",
    "nash_welfare",
    "welfare_gini",
    "maxmin_regret",
)


class MetricSummary(BaseModel):
    """One metric (or one group's welfare) over the seeds of a cell."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    group: str | None = None
    higher_is_better: bool
    n: int
    mean: Estimate
    #: The worst run: min over seeds (max where lower is better).
    worst: Estimate
    #: The seed of the worst run (the lowest such seed on ties).
    worst_seed: int
    #: Mean of the ceil(alpha * n) worst runs.
    cvar: Estimate
    #: How many runs `cvar` averages.
    cvar_runs: int


class Rate(BaseModel):
    """How often a label (or a flag) occurred among the runs of a cell."""

    model_config = ConfigDict(extra="forbid")

    count: int
    n: int
    #: count / n, with a bootstrap interval of the mean of the 0/1 indicators.
    rate: Estimate
    #: Clopper-Pearson (exact binomial) interval at the same confidence.
    exact: tuple[float, float]


class CellSummary(BaseModel):
    """Every statistic of one strategy on one scenario."""

    model_config = ConfigDict(extra="forbid")

    scenario: str
    strategy: str
    n_runs: int
    seeds: list[int]
    welfare: dict[str, MetricSummary]
    metrics: dict[str, MetricSummary]
    labels: dict[str, Rate]
    flags: dict[str, Rate]


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float
    confidence: float
    n_resamples: int
    cells: list[CellSummary]

    def cell(self, scenario: str, strategy: str) -> CellSummary:
        for c in self.cells:
            if c.scenario == scenario and c.strategy == strategy:
                return c
        raise KeyError(f"no runs of strategy {strategy!r} on scenario {scenario!r}")


class PairedDifference(BaseModel):
    """Strategy a minus strategy b on one scenario, runs matched by seed."""

    model_config = ConfigDict(extra="forbid")

    scenario: str
    strategy_a: str
    strategy_b: str
    metric: str
    group: str | None = None
    higher_is_better: bool
    n_pairs: int
    seeds: list[int]
    #: Seeds with a run of a but none of b, and the other way round: left out of the comparison.
    unmatched_a: list[int]
    unmatched_b: list[int]
    #: mean over matched seeds of metric(a) - metric(b); None when no seed matches.
    mean_difference: Estimate | None
    #: Pairs where a did better, worse, or the same (by the metric's orientation).
    a_better: int
    b_better: int
    ties: int
    #: Two-sided p-value of the sign-flip permutation test of the mean difference (exact up to 16
    #: pairs); None when there is no pair or every difference is 0.
    p_value: float | None = None
    #: Two-sided p-value of the Wilcoxon signed-rank test (zero differences dropped); None likewise.
    wilcoxon_p: float | None = None


def _rng(rng: np.random.Generator | int) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _index(rows: Iterable[RunRow]) -> dict[tuple[str, str], dict[int, RunRow]]:
    """{(scenario, strategy): {seed: row}}, refusing two rows for the same run."""
    cells: dict[tuple[str, str], dict[int, RunRow]] = {}
    for row in rows:
        runs = cells.setdefault((row.scenario, row.strategy), {})
        if row.seed in runs:
            raise ValueError(
                f"two rows for scenario {row.scenario!r}, strategy {row.strategy!r}, seed {row.seed}; "
                "a run must appear once"
            )
        runs[row.seed] = row
    return cells


def _metric_summary(
    values: np.ndarray,
    seeds: list[int],
    metric: str,
    group: str | None,
    base: int,
    key: tuple[str, ...],
    alpha: float,
    confidence: float,
    n_resamples: int,
) -> MetricSummary:
    higher = METRICS[metric]
    worst = partial(worst_axis, higher_is_better=higher)
    tail = partial(cvar_axis, alpha=alpha, higher_is_better=higher)

    def estimate(stat, name: str, method: Method) -> Estimate:  # type: ignore[no-untyped-def]
        return bootstrap_estimate(
            values,
            stat,
            derived_rng(base, *key, name),
            confidence=confidence,
            n_resamples=n_resamples,
            method=method,
        )

    order = np.argsort(values if higher else -values, kind="stable")
    return MetricSummary(
        metric=metric,
        group=group,
        higher_is_better=higher,
        n=len(values),
        mean=estimate(mean_axis, "mean", "BCa"),
        worst=estimate(worst, "worst", "percentile"),
        worst_seed=seeds[int(order[0])],
        cvar=estimate(tail, "cvar", "percentile"),
        cvar_runs=tail_size(len(values), alpha),
    )


def _rate(hits: np.ndarray, rng: np.random.Generator, confidence: float, n_resamples: int) -> Rate:
    from scipy import stats

    count, n = int(hits.sum()), int(hits.size)
    ci = stats.binomtest(count, n).proportion_ci(confidence_level=confidence, method="exact")
    return Rate(
        count=count,
        n=n,
        rate=bootstrap_estimate(
            hits.astype(float), mean_axis, rng, confidence=confidence, n_resamples=n_resamples, method="BCa"
        ),
        exact=(float(ci.low), float(ci.high)),
    )


def summarise(
    rows: Iterable[RunRow],
    rng: np.random.Generator | int,
    *,
    alpha: float = 0.1,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    metrics: Iterable[str] = DEFAULT_METRICS,
) -> Summary:
    """Per (scenario, strategy) cell: welfare per group, scalar metrics, label and flag rates.

    Rows are sorted by seed inside a cell, so their order does not matter. One integer is drawn
    from `rng` and every estimate resamples from a generator derived from it and the estimate's
    name (cell, metric, group, statistic): the same generator state gives the same summary.
    Labels are reported in the evaluator's order (dialectic.evaluate.LABELS), then any other label
    found in the rows; flags in the order of `dialectic.bench.FLAGS`.
    """
    from dialectic.evaluate import LABELS

    metrics = tuple(metrics)
    for metric in metrics:
        check_metric(metric, None)
    base = int(_rng(rng).integers(0, 2**63))
    cells = []
    for (scenario, strategy), runs in sorted(_index(rows).items()):
        ordered = [runs[s] for s in sorted(runs)]
        seeds = [r.seed for r in ordered]
        key = (scenario, strategy)
        summary = partial(_metric_summary, alpha=alpha, confidence=confidence, n_resamples=n_resamples)
        groups = list(dict.fromkeys(g for r in ordered for g in r.welfare))
        welfare = {}
        for group in groups:
            have = [r for r in ordered if group in r.welfare]
            values = np.array([r.welfare[group] for r in have])
            welfare[group] = summary(
                values, [r.seed for r in have], "welfare", group, base, (*key, "welfare", group)
            )
        scalar = {
            m: summary(np.array([metric_value(r, m) for r in ordered]), seeds, m, None, base, (*key, m))
            for m in metrics
        }
        labels = [*LABELS, *sorted({r.label for r in ordered} - set(LABELS))]
        label_rates = {
            label: _rate(
                np.array([r.label == label for r in ordered]),
                derived_rng(base, *key, "label", label),
                confidence,
                n_resamples,
            )
            for label in labels
        }
        flag_rates = {
            flag: _rate(
                np.array([bool(getattr(r, flag)) for r in ordered]),
                derived_rng(base, *key, "flag", flag),
                confidence,
                n_resamples,
            )
            for flag in FLAGS
        }
        cells.append(
            CellSummary(
                scenario=scenario,
                strategy=strategy,
                n_runs=len(ordered),
                seeds=seeds,
                welfare=welfare,
                metrics=scalar,
                labels=label_rates,
                flags=flag_rates,
            )
        )
    return Summary(alpha=alpha, confidence=confidence, n_resamples=n_resamples, cells=cells)


def paired_difference(
    rows: Iterable[RunRow],
    scenario: str,
    a: str,
    b: str,
    rng: np.random.Generator | int,
    *,
    metric: str = "worst_case_welfare",
    group: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    method: Method = "BCa",
) -> PairedDifference:
    """Mean over seed-matched pairs of metric(a) - metric(b) on `scenario`, with a bootstrap interval.

    Only seeds that both strategies ran are compared; the others are listed in `unmatched_a` /
    `unmatched_b`. The interval resamples the pairs (a one-sample bootstrap of the differences),
    drawing from `rng`; the permutation test draws from it next (above 16 pairs). Raises ValueError if either strategy has no run on the scenario; with runs
    on both sides but no common seed, `mean_difference` is None.
    """
    higher = check_metric(metric, group)
    cells = _index(rows)
    missing = [s for s in (a, b) if (scenario, s) not in cells]
    if missing:
        raise ValueError(f"no runs of strategy {', '.join(map(repr, missing))} on scenario {scenario!r}")
    runs_a, runs_b = cells[(scenario, a)], cells[(scenario, b)]
    seeds = sorted(set(runs_a) & set(runs_b))
    diffs = np.array(
        [metric_value(runs_a[s], metric, group) - metric_value(runs_b[s], metric, group) for s in seeds]
    )
    better = diffs if higher else -diffs
    generator = _rng(rng)
    mean_difference = (
        bootstrap_estimate(diffs, mean_axis, generator, confidence=confidence, n_resamples=n_resamples, method=method)
        if seeds
        else None
    )
    return PairedDifference(
        scenario=scenario,
        strategy_a=a,
        strategy_b=b,
        metric=metric,
        group=group,
        higher_is_better=higher,
        n_pairs=len(seeds),
        seeds=seeds,
        unmatched_a=sorted(set(runs_a) - set(runs_b)),
        unmatched_b=sorted(set(runs_b) - set(runs_a)),
        mean_difference=mean_difference,
        a_better=int(np.sum(better > 0)),
        b_better=int(np.sum(better < 0)),
        ties=int(np.sum(better == 0)),
        p_value=sign_flip_p_value(diffs, generator, n_resamples),
        wilcoxon_p=wilcoxon_p_value(diffs),
    )


def paired_differences(
    rows: Iterable[RunRow],
    a: str,
    b: str,
    rng: np.random.Generator | int,
    *,
    metric: str = "welfare",
    confidence: float = 0.95,
    n_resamples: int = 9999,
) -> list[PairedDifference]:
    """`paired_difference` on every scenario both strategies ran, for every group when metric is "welfare".

    Each comparison resamples from a generator derived from one draw of `rng` and its own name.
    """
    check_metric(metric, "g" if metric == "welfare" else None)
    rows = list(rows)
    cells = _index(rows)
    base = int(_rng(rng).integers(0, 2**63))
    out = []
    for scenario in sorted({s for s, _ in cells}):
        if (scenario, a) not in cells or (scenario, b) not in cells:
            continue
        groups: list[str | None] = [None]
        if metric == "welfare":
            both = [*cells[(scenario, a)].values(), *cells[(scenario, b)].values()]
            groups = list(dict.fromkeys(g for r in both for g in r.welfare))
        for group in groups:
            out.append(
                paired_difference(
                    rows,
                    scenario,
                    a,
                    b,
                    derived_rng(base, scenario, a, b, metric, group or ""),
                    metric=metric,
                    group=group,
                    confidence=confidence,
                    n_resamples=n_resamples,
                )
            )
    return out
