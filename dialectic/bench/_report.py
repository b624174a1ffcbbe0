"""What `dialectic bench summarize` reports: the statistics of `summarise`, a ranking, paired tests, the minority curve.

Nothing here computes a statistic of its own beyond ordering: cell figures come from
`dialectic.bench.stats.summarise`, comparisons from `paired_differences`, the curve from
`minority_curve`. The ranking orders each scenario's strategies by their mean worst-case welfare
(higher first; ties broken by lower mean max-min regret, then name) and ranks equal means equally
(1, 1, 3). The overall table averages, per strategy, its rank, worst-case welfare and regret over the
scenarios it ran, and pools its false-agreement and AI-wins counts.

Every random draw derives from `seed`: the summary's bootstrap from default_rng([seed, 0]), the paired
comparisons' from default_rng([seed, 1]) and the curve's from default_rng([seed, 2]), so the same
rows and seed give the same report, and asking for a pair does not move the summary's intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from dialectic.bench._minority import CurvePoint, minority_curve
from dialectic.bench._rows import RunRow, check_metric
from dialectic.bench.stats import CellSummary, PairedDifference, Summary, paired_differences, summarise

#: The metrics every paired comparison reports: the one asked for (`--metric`) and max-min regret.
PAIR_METRICS_ALWAYS = ("maxmin_regret",)


class Standing(BaseModel):
    """A strategy across the scenarios it ran."""

    model_config = ConfigDict(extra="forbid")

    strategy: str
    scenarios: int
    mean_rank: float
    mean_worst_case_welfare: float
    mean_maxmin_regret: float
    false_agreements: int
    ai_wins: int
    runs: int


class BenchReport(BaseModel):
    """Everything `dialectic bench summarize` prints, writes as JSON and draws."""

    model_config = ConfigDict(extra="forbid")

    source: str
    kind: str
    seed: int
    #: Traces skipped on the way (incomplete or not evaluated), one line each.
    notes: list[str] = []
    summary: Summary
    #: Per scenario, its strategies best first, with their rank (equal means share a rank).
    ranking: dict[str, list[tuple[str, int]]]
    overall: list[Standing]
    pairs: list[PairedDifference] = []
    minority: list[CurvePoint] = []


def rank_cells(cells: Sequence[CellSummary]) -> list[tuple[str, int]]:
    """One scenario's strategies, best first, with competition ranks (module docstring)."""

    def key(cell: CellSummary) -> tuple[float, float, str]:
        return (-cell.metrics["worst_case_welfare"].mean.value, cell.metrics["maxmin_regret"].mean.value, cell.strategy)

    ordered = sorted(cells, key=key)
    ranked: list[tuple[str, int]] = []
    for position, cell in enumerate(ordered, start=1):
        value = round(cell.metrics["worst_case_welfare"].mean.value, 12)
        previous = ordered[position - 2] if position > 1 else None
        same = previous is not None and round(previous.metrics["worst_case_welfare"].mean.value, 12) == value
        ranked.append((cell.strategy, ranked[-1][1] if same else position))
    return ranked


def _standings(summary: Summary, ranking: dict[str, list[tuple[str, int]]]) -> list[Standing]:
    by_strategy: dict[str, list[CellSummary]] = {}
    for cell in summary.cells:
        by_strategy.setdefault(cell.strategy, []).append(cell)
    ranks = {(scenario, strategy): rank for scenario, ranked in ranking.items() for strategy, rank in ranked}
    standings = [
        Standing(
            strategy=strategy,
            scenarios=len(cells),
            mean_rank=float(np.mean([ranks[(c.scenario, strategy)] for c in cells])),
            mean_worst_case_welfare=float(np.mean([c.metrics["worst_case_welfare"].mean.value for c in cells])),
            mean_maxmin_regret=float(np.mean([c.metrics["maxmin_regret"].mean.value for c in cells])),
            false_agreements=sum(c.flags["false_agreement"].count for c in cells),
            ai_wins=sum(c.flags["ai_wins"].count for c in cells),
            runs=sum(c.n_runs for c in cells),
        )
        for strategy, cells in by_strategy.items()
    ]
    return sorted(standings, key=lambda s: (s.mean_rank, s.mean_maxmin_regret, s.strategy))


def build_report(
    rows: Sequence[RunRow],
    *,
    source: str,
    kind: str,
    seed: int = 0,
    notes: Sequence[str] = (),
    pair: tuple[str, str] | None = None,
    metric: str = "worst_case_welfare",
    alpha: float = 0.1,
    confidence: float = 0.95,
    n_resamples: int = 9999,
) -> BenchReport:
    """The report of `rows` (see the module docstring). `pair` names two strategies to compare by seed
    on every scenario both ran, on `metric` (per group for "welfare") and on max-min regret; a strategy
    absent from the rows raises ValueError listing those present."""
    if not rows:
        raise ValueError("no result rows to summarise")
    summary = summarise(
        rows, np.random.default_rng([seed, 0]), alpha=alpha, confidence=confidence, n_resamples=n_resamples
    )
    scenarios = sorted({c.scenario for c in summary.cells})
    ranking = {s: rank_cells([c for c in summary.cells if c.scenario == s]) for s in scenarios}
    pairs: list[PairedDifference] = []
    if pair is not None:
        check_metric(metric, "g" if metric == "welfare" else None)
        present = sorted({r.strategy for r in rows})
        unknown = [s for s in pair if s not in present]
        if unknown:
            raise ValueError(
                f"--pair: strategy {', '.join(map(repr, unknown))} has no runs here; expected one of {', '.join(present)}"
            )
        generator = np.random.default_rng([seed, 1])
        for m in dict.fromkeys((metric, *PAIR_METRICS_ALWAYS)):
            pairs += paired_differences(
                rows, pair[0], pair[1], generator, metric=m, confidence=confidence, n_resamples=n_resamples
            )
    base = int(np.random.default_rng([seed, 2]).integers(0, 2**63))
    return BenchReport(
        source=source,
        kind=kind,
        seed=seed,
        notes=list(notes),
        summary=summary,
        ranking=ranking,
        overall=_standings(summary, ranking),
        pairs=pairs,
        minority=minority_curve(rows, base, confidence=confidence, n_resamples=n_resamples),
    )
